"""Training data for the spectral pipeline: labelled pixels of scenes, and chips.

Intensities: every cube or chip is divided by its own robust maximum (the 99th percentile of its
valid values over all bands), so raw counts, radiance and reflectance x 10000 all land near
[0, 1] without knowing the sensor; training adds brightness jitter on top, so illumination that
differs between scenes does not matter.

Scene protocol: a stratified sample of each class's labelled pixels (a fraction, e.g. 5%, or N
per class, at least ``MIN_PER_CLASS``) is the training set; validation draws from the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import albumentations as A
import numpy as np
import torch
from torch.utils.data import Dataset

MIN_PER_CLASS = 5


def robust_scale(data: np.ndarray, valid: np.ndarray | None = None) -> float:
    """The 99th percentile of the valid values of a (bands, H, W) cube (1.0 if it is all zero)."""
    values = data[:, valid] if valid is not None else data.reshape(len(data), -1)
    if values.size > 2_000_000:  # a strided sample is as good and keeps big scenes cheap
        values = values.reshape(-1)[:: values.size // 2_000_000 + 1]
    scale = float(np.percentile(values, 99)) if values.size else 0.0
    return scale if scale > 0 else 1.0


def normalise(data: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """(bands, H, W) -> float32 divided by its robust maximum; invalid pixels set to 0."""
    out = data.astype(np.float32) / robust_scale(data, valid)
    if valid is not None:
        out[:, ~valid] = 0
    return out


@dataclass
class LabelledScene:
    """A normalised cube, its class map (0 = unlabelled) and the pixels chosen for training.

    Attributes:
        cube: (bands, H, W) float32, normalised.
        labels: (H, W) int64.
        train: (N, 2) rows and columns of training pixels.
        rest: (M, 2) the other labelled pixels (validation and test).
    """

    cube: np.ndarray
    labels: np.ndarray
    train: np.ndarray
    rest: np.ndarray


def stratified_split(
    labels: np.ndarray, fraction: float, per_class: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Training and remaining pixel coordinates, class by class.

    Args:
        fraction: share of each class's labelled pixels for training (used when per_class is 0).
        per_class: a fixed count per class instead.
    """
    train, rest = [], []
    for value in np.unique(labels[labels > 0]):
        where = np.argwhere(labels == value)
        rng.shuffle(where)
        count = per_class or int(round(fraction * len(where)))
        count = min(max(count, MIN_PER_CLASS), len(where) - 1)
        train.append(where[:count])
        rest.append(where[count:])
    return np.concatenate(train), np.concatenate(rest)


def patches_at(cube: np.ndarray, points: np.ndarray, size: int, pad: bool = True) -> np.ndarray:
    """(N, bands, size, size) patches centred on ``points`` (N, 2) of a (bands, H, W) cube.

    Args:
        pad: mirror the edges first; False when ``cube`` already has a ``size // 2`` margin and
            ``points`` count from the cube's corner, margin included.
    """
    half = size // 2
    padded = np.pad(cube, ((0, 0), (half, half), (half, half)), mode="symmetric") if pad else cube
    points = points if pad else points - half
    rows = points[:, 0, None] + np.arange(size)[None]
    cols = points[:, 1, None] + np.arange(size)[None]
    return padded[:, rows[:, :, None], cols[:, None, :]].transpose(1, 0, 2, 3)


AUGMENT = A.Compose([A.HorizontalFlip(), A.VerticalFlip(), A.RandomRotate90()])


def augment(patch: np.ndarray, rng: np.random.Generator, brightness: float) -> np.ndarray:
    """Flips/rotations (albumentations, any band count) and a brightness factor: (C, H, W) in and out."""
    flipped = AUGMENT(image=np.ascontiguousarray(patch.transpose(1, 2, 0)))["image"].transpose(2, 0, 1)
    return flipped * np.float32(rng.uniform(1 - brightness, 1 + brightness))


class PixelPatches(Dataset):
    """Patches centred on chosen pixels of labelled scenes; labels are 0-based classes.

    Args:
        scenes: the scenes; ``which`` picks their ``train`` or ``rest`` pixels.
        limit: keep at most this many pixels (a random subset, for validation).
        brightness: jitter range (0 for validation).
    """

    def __init__(
        self, scenes: list[LabelledScene], which: str, size: int, brightness: float = 0.0, limit: int = 0, seed: int = 0
    ):
        self.scenes, self.size, self.brightness = scenes, size, brightness
        half = size // 2  # padded once here: padding per item would copy the whole cube each time
        self.padded = [np.pad(s.cube, ((0, 0), (half, half), (half, half)), mode="symmetric") for s in scenes]
        self.rng = np.random.default_rng(seed)
        items = [(i, r, c) for i, s in enumerate(scenes) for r, c in getattr(s, which)]
        if limit and len(items) > limit:
            items = [items[j] for j in sorted(self.rng.choice(len(items), limit, replace=False))]
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        scene_index, row, col = self.items[index]
        patch = self.padded[scene_index][:, row : row + self.size, col : col + self.size]
        if self.brightness:
            patch = augment(patch, self.rng, self.brightness)
        label = int(self.scenes[scene_index].labels[row, col]) - 1
        return {"image": torch.from_numpy(np.ascontiguousarray(patch, np.float32)), "label": torch.tensor(label)}


class Chips(Dataset):
    """Normalised chips (N, bands, H, W) with 0-based labels, augmented when ``brightness`` > 0."""

    def __init__(self, chips: np.ndarray, labels: np.ndarray, brightness: float = 0.0, seed: int = 0):
        self.chips, self.labels, self.brightness = chips, labels, brightness
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        chip = self.chips[index]
        if self.brightness:
            chip = augment(chip, self.rng, self.brightness)
        image = torch.from_numpy(np.ascontiguousarray(chip, np.float32))
        return {"image": image, "label": torch.tensor(int(self.labels[index]))}

"""Training data for the spectral pipeline: labelled pixels of scenes, windows around them, and chips.

Intensities are normalised as prediction does (``patches.normalise``); training adds brightness
jitter on top, so illumination that differs between scenes does not matter.

Scene protocol: a stratified sample of each class's labelled pixels (a fraction, e.g. 5%, or N
per class, at least ``MIN_PER_CLASS``) is the training set; validation draws from the rest.
The dense scene design (``windows.py``) trains on whole windows placed around those pixels
(``SparseWindows``) and validates on windows tiling the scenes (``TiledWindows``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from .windows import IGNORE

MIN_PER_CLASS = 5


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


@functools.cache
def flips():
    """Flips and quarter turns (albumentations: training only, so imported here; any band count)."""
    import albumentations as A

    return A.Compose([A.HorizontalFlip(), A.VerticalFlip(), A.RandomRotate90()])


def augment(patch: np.ndarray, rng: np.random.Generator, brightness: float) -> np.ndarray:
    """Flips/rotations (albumentations, any band count) and a brightness factor: (C, H, W) in and out."""
    flipped = flips()(image=np.ascontiguousarray(patch.transpose(1, 2, 0)))["image"].transpose(2, 0, 1)
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


def sparse_labels(scene: LabelledScene, pixels: np.ndarray) -> np.ndarray:
    """(H, W) int64: the 0-based class at ``pixels`` (N, 2), ``IGNORE`` everywhere else."""
    labels = np.full(scene.labels.shape, IGNORE, np.int64)
    labels[pixels[:, 0], pixels[:, 1]] = scene.labels[pixels[:, 0], pixels[:, 1]] - 1
    return labels


def pad_to_window(cube: np.ndarray, labels: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Mirror the cube (and pad labels with ``IGNORE``) by half a window on every side, so a window
    can sit around any pixel, even one at the edge."""
    half = window // 2
    cube = np.pad(cube, ((0, 0), (half, half), (half, half)), mode="symmetric")
    return cube, np.pad(labels, half, constant_values=IGNORE)


def as_item(image: np.ndarray, labels: np.ndarray) -> dict[str, torch.Tensor]:
    return {
        "image": torch.from_numpy(np.ascontiguousarray(image, np.float32)),
        "label": torch.from_numpy(np.ascontiguousarray(labels, np.int64)),
    }


class SparseWindows(Dataset):
    """Training windows: each around a random labelled training pixel (at a random place in it),
    flipped, rotated and brightened; the label map holds the window's training pixels only.

    Args:
        length: windows per epoch (each drawn afresh).
    """

    def __init__(self, scenes: list[LabelledScene], window: int, brightness: float, length: int = 512, seed: int = 0):
        self.window, self.brightness, self.length = window, brightness, length
        self.padded = [pad_to_window(s.cube, sparse_labels(s, s.train), window) for s in scenes]
        self.pixels = [(i, r, c) for i, s in enumerate(scenes) for r, c in s.train]
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        scene, row, col = self.pixels[self.rng.integers(len(self.pixels))]
        cube, labels = self.padded[scene]
        half, window = self.window // 2, self.window
        top = int(np.clip(row + half - self.rng.integers(window), 0, cube.shape[1] - window))
        left = int(np.clip(col + half - self.rng.integers(window), 0, cube.shape[2] - window))
        image = cube[:, top : top + window, left : left + window].transpose(1, 2, 0)
        flipped = flips()(image=np.ascontiguousarray(image), mask=labels[top : top + window, left : left + window])
        factor = np.float32(self.rng.uniform(1 - self.brightness, 1 + self.brightness))
        return as_item(flipped["image"].transpose(2, 0, 1) * factor, flipped["mask"])


class TiledWindows(Dataset):
    """Validation windows tiling every scene; each labels up to ``limit`` (over all scenes) of the
    scenes' other (``rest``) pixels, chosen at random once. Windows with no labelled pixel are left out.
    """

    def __init__(self, scenes: list[LabelledScene], window: int, limit: int = 0, seed: int = 0):
        rng = np.random.default_rng(seed)
        chosen = [s.rest for s in scenes]
        total = sum(len(r) for r in chosen)
        if limit and total > limit:
            keep = np.sort(rng.choice(total, limit, replace=False))
            bounds = np.cumsum([0] + [len(r) for r in chosen])
            chosen = [r[keep[(keep >= a) & (keep < b)] - a] for r, a, b in zip(chosen, bounds[:-1], bounds[1:])]
        self.items = []
        for scene, pixels in zip(scenes, chosen):
            cube, labels = pad_to_window(scene.cube, sparse_labels(scene, pixels), window)
            height, width = scene.labels.shape
            for top in range(0, height, window):
                for left in range(0, width, window):
                    tile = labels[top : top + window, left : left + window]
                    if (tile != IGNORE).any():
                        self.items.append((cube[:, top : top + window, left : left + window], tile))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return as_item(*self.items[index])

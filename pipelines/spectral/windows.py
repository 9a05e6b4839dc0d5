"""The dense scene design: a network over whole windows of a scene, one class map out, trained on
sparse labelled pixels.

A pretrained 2D encoder (EfficientNet-Lite0, stride 32) cannot read a 9 x 9 neighbourhood, so it
reads windows (``model.patch`` on a side, 64 by default) and a per-pixel decoder (``unet``) upsamples
its levels back to every pixel. Only a few pixels per class are labelled: each training window
is placed around one of them, every other pixel of it is ``IGNORE`` in the label map, and the loss
reads the labelled ones only. Validation tiles the scenes and labels a sample of their other pixels.
"""

from __future__ import annotations

import albumentations as A
import numpy as np
import torch
from torch.utils.data import Dataset

from .data import LabelledScene

IGNORE = -1  # the label of a pixel the loss does not read
AUGMENT = A.Compose([A.HorizontalFlip(), A.VerticalFlip(), A.RandomRotate90()])


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
        flipped = AUGMENT(image=np.ascontiguousarray(image), mask=labels[top : top + window, left : left + window])
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


def classify_dense(data: np.ndarray, halo: int, multiple: int, predict) -> np.ndarray:
    """Per-pixel class probabilities of a strip in one pass: (bands, rows + 2 halo, W) ->
    (rows, W, classes). Columns get a mirrored halo too; both sides are padded up to ``multiple``
    (the encoder's coarsest reduction), and ``predict`` maps (1, bands, H, W) to (1, classes, H, W)."""
    rows, width = data.shape[1] - 2 * halo, data.shape[2]
    data = np.pad(data, ((0, 0), (0, 0), (halo, halo)), mode="symmetric")
    extra = [(-size) % multiple for size in data.shape[1:]]
    data = np.pad(data, ((0, 0), (0, extra[0]), (0, extra[1])), mode="symmetric")
    probabilities = predict(data[None])[0]  # (classes, H, W)
    return probabilities[:, halo : halo + rows, halo : halo + width].transpose(1, 2, 0)

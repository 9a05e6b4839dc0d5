"""Intensity scaling and pixel neighbourhoods of spectral cubes, shared by prediction and training.

Intensities: every cube or chip is divided by its own robust maximum (the 99th percentile of its
valid values over all bands), so raw counts, radiance and reflectance x 10000 all land near
[0, 1] without knowing the sensor. Kept apart from the training data (``data.py``, which builds
an augmentation pipeline), so that prediction imports no training library.
"""

from __future__ import annotations

import numpy as np


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

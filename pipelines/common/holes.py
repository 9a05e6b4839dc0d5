"""Nodata and NaN as masks, band by band, as GDAL and QGIS read them: nothing is invented under a
hole and no valid pixel becomes one.

- ``hole_mask``: a value equal to the band's nodata, or NaN (with or without a nodata tag), is a
  hole in that band.
- ``fill_holes``: networks need numbers everywhere, so holes are filled from their valid
  neighbours (repeated 3x3 means, growing one pixel a step) up to ``depth`` pixels deep, and the
  rest with the band's mean. Smooth fills keep a network from ringing at a hole's edge, and a fill
  that reads only ``depth`` pixels around each hole is the same in a tile as in the whole image.
- ``avoid_nodata``: a valid value that would be stored as the nodata value moves one step away
  from it, toward the side it came from.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def hole_mask(data: np.ndarray, nodata: float | None) -> np.ndarray:
    """(bands, H, W) bool: True where a band holds its nodata value or NaN.

    Args:
        data: (bands, H, W) stored values, any numeric dtype.
        nodata: the file's nodata value (None: only NaN is a hole).
    """
    holes = np.isnan(data) if np.issubdtype(data.dtype, np.floating) else np.zeros(data.shape, bool)
    if nodata is not None and not np.isnan(nodata) and representable(nodata, data.dtype):
        holes |= data == np.asarray(nodata).astype(data.dtype)
    return holes


def representable(value: float, dtype: np.dtype) -> bool:
    """Whether ``dtype`` can hold ``value`` exactly (a uint8 band cannot hold -9999: no pixel is it)."""
    if not np.issubdtype(dtype, np.integer):
        return True
    info = np.iinfo(dtype)
    return float(value).is_integer() and info.min <= value <= info.max


def fill_holes(data: np.ndarray, holes: np.ndarray, depth: int) -> np.ndarray:
    """A copy of ``data`` (bands, H, W) with holes filled from valid neighbours, ``depth`` pixels deep.

    Each step gives every hole pixel next to a known one the mean of its known 3x3 neighbours; what
    is still unknown after ``depth`` steps takes the mean of the band's valid pixels (0 if none).
    """
    if not holes.any():
        return data
    values = np.where(holes, 0.0, data).astype(np.float32)
    known = (~holes).astype(np.float32)
    window = (1, 3, 3)
    for _ in range(depth):
        unknown = known == 0
        if not unknown.any():
            break
        total = ndimage.uniform_filter(values * known, window, mode="constant")
        count = ndimage.uniform_filter(known, window, mode="constant")
        reached = unknown & (count > 1e-6)
        values = np.where(reached, total / np.maximum(count, 1e-6), values)
        known = np.where(reached, 1.0, known).astype(np.float32)
    still = known == 0
    if still.any():
        valid = ~holes
        sums, counts = np.where(valid, data, 0).sum(axis=(1, 2)), valid.sum(axis=(1, 2))
        means = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0).astype(np.float32)
        values = np.where(still, means[:, None, None], values)
    return values.astype(data.dtype, copy=False)


def avoid_nodata(stored: np.ndarray, unrounded: np.ndarray, nodata: float | None) -> np.ndarray:
    """``stored`` with every value equal to ``nodata`` moved one step toward ``unrounded``'s side.

    Args:
        stored: values as they will be written (integers rounded and clipped, or floats cast).
        unrounded: the same values before rounding (float64), which say which side to step to.
        nodata: the nodata value (None or NaN: nothing to avoid).
    """
    if nodata is None or np.isnan(nodata) or not representable(nodata, stored.dtype):
        return stored
    target = np.asarray(nodata).astype(stored.dtype)
    hit = stored == target
    if not hit.any():
        return stored
    if np.issubdtype(stored.dtype, np.integer):
        info = np.iinfo(stored.dtype)
        up = (unrounded > float(nodata)) | (target == info.min)
        up &= target != info.max
        moved = np.where(up, int(target) + 1, int(target) - 1).astype(stored.dtype)
    else:
        up = unrounded > float(nodata)
        moved = np.where(up, np.nextafter(target, np.inf), np.nextafter(target, -np.inf)).astype(stored.dtype)
    return np.where(hit, moved, stored)


def checkerboard(height: int, width: int, cell: int = 8) -> np.ndarray:
    """(H, W, 3) uint8 grey-and-white squares: how a picture shows that a pixel holds nothing."""
    cells = (np.indices((height, width)) // cell).sum(0) % 2
    return np.where(cells[..., None], 200, 255).repeat(3, -1).astype(np.uint8)

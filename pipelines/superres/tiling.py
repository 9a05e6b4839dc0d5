"""Tiled upscaling in bounded memory, without seams.

The image is cut into core tiles whose origins are multiples of the attention window; each tile is
run with ``overlap`` pixels of context on every side (clipped at the image border) and only its core
is kept. Every output pixel therefore comes from the tile in which it lies farthest from a tile
edge (the limit of blending with a step weight), the window partitions inside each tile line up
with those of the whole image, and no accumulation buffer is needed: memory is one tile whatever the
raster size. Tiled output matches whole-image output to within 1e-3 on [0, 1] data (tested).
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from ..common.holes import fill_holes


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def plan_tiles(height: int, width: int, tile: int, overlap: int, window: int) -> Iterator[tuple[int, int, int, int]]:
    """Core boxes ``(top, left, height, width)`` covering the image, origins multiples of ``window``."""
    margin = round_up(overlap, window)
    core = max(window, (tile - 2 * margin) // window * window)
    for top in range(0, height, core):
        for left in range(0, width, core):
            yield top, left, min(core, height - top), min(core, width - left)


def upscale_tiled(
    read: Callable[[int, int, int, int], tuple[np.ndarray, np.ndarray]],
    write: Callable[[np.ndarray, np.ndarray, int, int], None],
    height: int,
    width: int,
    scale: int,
    predict: Callable[[np.ndarray], np.ndarray],
    tile: int = 256,
    overlap: int = 16,
    window: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Upscale an image by tiles.

    Args:
        read: ``read(top, left, h, w) -> (data (bands, h, w) in [0, 1], holes (bands, h, w))``.
        write: ``write(data (bands, h*s, w*s), holes (bands, h*s, w*s), out_top, out_left)``.
        predict: ``(bands, h, w) -> (bands, h*s, w*s)`` for any h, w.
        tile, overlap: model input size and context on each side, in input pixels; holes are
            filled from valid neighbours up to ``overlap`` pixels deep before ``predict``.
        window: the model's attention window; tile origins and margins are multiples of it.
    """
    margin = round_up(overlap, window)
    boxes = list(plan_tiles(height, width, tile, overlap, window))
    for index, (top, left, core_h, core_w) in enumerate(boxes):
        in_top, in_left = max(0, top - margin), max(0, left - margin)
        in_bottom, in_right = min(height, top + core_h + margin), min(width, left + core_w + margin)
        data, holes = read(in_top, in_left, in_bottom - in_top, in_right - in_left)
        upscaled = predict(fill_holes(data, holes, overlap))
        y0, x0 = (top - in_top) * scale, (left - in_left) * scale
        core = upscaled[:, y0 : y0 + core_h * scale, x0 : x0 + core_w * scale]
        core_holes = holes[:, top - in_top : top - in_top + core_h, left - in_left : left - in_left + core_w]
        write(core, np.repeat(np.repeat(core_holes, scale, 1), scale, 2), top * scale, left * scale)
        if progress is not None:
            progress(index + 1, len(boxes))

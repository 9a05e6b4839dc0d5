"""Tiled upscaling in bounded memory, without seams.

The image is cut into core tiles whose origins are multiples of the attention window; each tile is
run with ``overlap`` pixels of context on every side (clipped at the image border) and only its core
is kept. Every output pixel therefore comes from the tile in which it lies farthest from a tile
edge (the limit of blending with a step weight), the window partitions inside each tile line up
with those of the whole image, and no accumulation buffer is needed: memory is one tile whatever the
raster size. Tiled output matches whole-image output to within 1e-3 on [0, 1] data (tested).
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np

from ..common.holes import fill_holes
from ..common.inference import Window, stream, tiles


def upscale_window(
    predict: Callable[[np.ndarray], np.ndarray],
    scale: int,
    overlap: int,
    read_back: tuple[np.ndarray, np.ndarray],
    window: Window,
) -> tuple[np.ndarray, np.ndarray]:
    """A tile's context (data, holes) -> its core upscaled, and the core's holes upscaled alike.

    Holes are filled from valid neighbours up to ``overlap`` pixels deep before ``predict``
    (``(bands, h, w) -> (bands, h*s, w*s)``); the writer puts nodata back under them.
    """
    data, holes = read_back
    rows, cols = window.core_in_context
    upscaled = predict(fill_holes(data, holes, overlap))
    core = upscaled[:, rows.start * scale : rows.stop * scale, cols.start * scale : cols.stop * scale]
    return core, np.repeat(np.repeat(holes[:, rows, cols], scale, 1), scale, 2)


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
    """Upscale an image by tiles, as ``predict superres`` streams it (the benchmark and tests call this).

    Args:
        read: ``read(top, left, h, w) -> (data (bands, h, w) in [0, 1], holes (bands, h, w))``.
        write: ``write(data (bands, h*s, w*s), holes (bands, h*s, w*s), out_top, out_left)``.
        predict: ``(bands, h, w) -> (bands, h*s, w*s)`` for any h, w.
        tile, overlap: model input size and context on each side, in input pixels.
        window: the model's attention window; tile origins and margins are multiples of it.
    """
    stream(
        tiles(height, width, tile, overlap, window),
        lambda box: read(*box.context),
        partial(upscale_window, predict, scale, overlap),
        lambda box, out: write(*out, box.core[0] * scale, box.core[1] * scale),
        progress,
    )

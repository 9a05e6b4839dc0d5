"""Scenes in bounded memory: a cube read strip by strip, classified pixel by pixel, written by strips.

GeoTIFFs are read through rasterio windows (a strip of rows plus the patch halo), so a scene of
any size needs memory for one strip only. ENVI, .mat and .npy cubes are read whole (the common
benchmark files are small). The intensity scale is computed once per scene from a strided sample
of rows (of the bands used), never per strip, so strips agree with each other; the same sample
finds dead bands.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..base import InputError
from ..common.inference import Window as Strip
from ..common.rasters import ArrayRaster, FileRaster, OnRaster
from ..common.unfamiliar import neighbour_correlation
from .bands import dead_bands
from .io import Cube, Georeference, raster_wavelengths, read_cube
from .patches import patches_at, robust_scale

SCALE_SAMPLE_ROWS = 64


@dataclass
class SceneSource(OnRaster):
    """A cube to classify: its raster (a GeoTIFF held open for the unit, or a cube in memory: the
    raster stack in ``common/rasters.py``), its band wavelengths and georeference.

    ``read(row0, row1)`` gives ((bands, rows, W) float32 raw values, 0 in holes; (bands, rows, W)
    holes: the band's nodata value or NaN).
    """

    path: Path | None
    raster: FileRaster | ArrayRaster
    wavelengths: tuple[float, ...] | None
    georef: Georeference

    def read(self, row0: int, row1: int) -> tuple[np.ndarray, np.ndarray]:
        data, holes = self.raster.read(row0, 0, row1 - row0, self.width)
        return np.where(holes, 0, data).astype(np.float32), holes


def open_scene(path: Path) -> SceneSource:
    """A strip reader over a GeoTIFF (windowed, one open dataset) or any other cube format (in memory)."""
    path = Path(path)
    if path.suffix.lower() not in (".tif", ".tiff"):
        return in_memory(read_cube(path))
    raster = FileRaster(path)
    dataset = raster.dataset
    if dataset.count < 2:
        raster.close()
        raise InputError(f"{path.name}: {dataset.count} band; a spectral cube needs 2 or more")
    tags = [dataset.tags(i) for i in range(1, dataset.count + 1)]
    wavelengths = raster_wavelengths(tags, dataset.tags(ns="ENVI") or {})
    georef = Georeference(dataset.crs, dataset.transform)
    return SceneSource(path, raster, tuple(wavelengths) if wavelengths else None, georef)


def in_memory(cube: Cube) -> SceneSource:
    raster = ArrayRaster(cube.data, cube.nodata, holes=cube.holes)
    return SceneSource(cube.path, raster, cube.wavelengths, cube.georef)


def sampled_rows(source: SceneSource) -> tuple[np.ndarray, np.ndarray]:
    """(data, holes) of up to ``SCALE_SAMPLE_ROWS`` rows spread over the scene: (bands, rows, W)."""
    rows = np.unique(np.linspace(0, source.height - 1, min(SCALE_SAMPLE_ROWS, source.height)).astype(int))
    parts = [source.read(int(r), int(r) + 1) for r in rows]
    return np.concatenate([p[0] for p in parts], axis=1), np.concatenate([p[1] for p in parts], axis=1)


def spectral_smoothness(source: SceneSource, channels: np.ndarray) -> float:
    """How smooth the scene's spectra are: the correlation of each used band with the next used one
    over the sampled pixels valid in all of them (imaging spectrometers: above 0.9; noise: about 0)."""
    data, holes = sampled_rows(source)
    used = np.flatnonzero(channels >= 0)
    used = used[np.argsort(channels[used])]  # in the model's band (wavelength) order
    valid = ~holes[used].any(0)
    return neighbour_correlation(data[used], 0, np.broadcast_to(valid, data[used].shape))


def scene_statistics(source: SceneSource, channels: np.ndarray) -> tuple[float, np.ndarray]:
    """The scene's intensity scale and the model band of each input band (-1: unused), from up to
    ``SCALE_SAMPLE_ROWS`` rows spread over it.

    Dead (constant) bands, and bands that are holes in every sampled pixel, become unused. The scale
    is the robust maximum of the bands that are used, over pixels valid in all of them, so a cube
    read with ``--bands first-half`` is scaled exactly like a file that only has those bands.
    """
    data, holes = sampled_rows(source)
    empty = holes.all(axis=(1, 2))
    channels = np.where(dead_bands(data, ~holes[~empty].any(0)) | empty, -1, channels)
    used = channels >= 0
    return (robust_scale(data[used], ~holes[used].any(0)) if used.any() else 1.0), channels


def read_strip(source: SceneSource, window: Strip, halo: int) -> tuple[np.ndarray, np.ndarray]:
    """A strip's (data, holes) with ``halo`` rows either side of its core, mirrored at the image's edges."""
    top, _, rows, _ = window.context
    data, holes = source.read(top, top + rows)
    above, below = window.margins
    pad = ((0, 0), (halo - above, halo - below), (0, 0))
    if halo - above or halo - below:
        data, holes = np.pad(data, pad, mode="symmetric"), np.pad(holes, pad, mode="symmetric")
    return data, holes


def classify_strip(
    data: np.ndarray, halo: int, patch: int, predict: Callable[[np.ndarray], np.ndarray], batch: int = 1024
) -> np.ndarray:
    """Per-pixel class probabilities of a strip: (bands, rows + 2 halo, W) -> (rows, W, classes)."""
    padded = np.pad(data, ((0, 0), (0, 0), (halo, halo)), mode="symmetric")
    rows, width = data.shape[1] - 2 * halo, data.shape[2]
    points = np.stack(np.mgrid[0:rows, 0:width], -1).reshape(-1, 2) + halo
    chunks = []
    for start in range(0, len(points), batch):  # patches are built per chunk: memory stays small
        chunks.append(predict(patches_at(padded, points[start : start + batch], patch, pad=False)))
    return np.concatenate(chunks).reshape(rows, width, -1)

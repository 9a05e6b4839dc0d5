"""GeoTIFFs as every task reads and writes them: by window, with nodata as a mask, georeference kept.

A plain TIFF without georeference is fine (rasterio's NotGeoreferencedWarning is silenced); an
unreadable file is an ``InputError`` that names it. Written rasters are tiled, deflate-compressed
GeoTIFFs, BigTIFF when they need it, with the CRS, transform and nodata they are given.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from ..errors import InputError
from .holes import hole_mask


def open_raster(path: Path) -> rasterio.io.DatasetReader:
    """Open a raster for reading; a file GDAL cannot read is an ``InputError`` naming it."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(path)
    except rasterio.RasterioIOError as error:
        reason = str(error).splitlines()[0].replace(f"'{path}' ", "").replace(str(path), path.name)
        raise InputError(f"{path.name}: unreadable {path.suffix.lstrip('.').upper()} file ({reason})") from error


def read_window(dataset, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(bands, h, w) raw values and (bands, h, w) holes: a band's nodata value or NaN is a hole in that band."""
    data = dataset.read(window=Window(left, top, width, height), boundless=False)
    return data, hole_mask(data, dataset.nodata)


def create_raster(path: Path, **profile: Any) -> rasterio.io.DatasetWriter:
    """A GeoTIFF open for writing window by window: tiled 256 x 256, deflate, BigTIFF when needed.

    ``profile``: height, width, count, dtype, and crs, transform, nodata where the output has them.
    """
    profile = {"driver": "GTiff", "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate", **profile}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(Path(path), "w", BIGTIFF="IF_SAFER", **profile)


def write_window(dataset, data: np.ndarray, top: int, left: int) -> None:
    """Write (bands, h, w) at (top, left) of a raster opened by ``create_raster``."""
    dataset.write(data, window=Window(left, top, data.shape[2], data.shape[1]))

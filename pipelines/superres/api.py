"""superres for the Python API (``pipelines/api.py``): an image in, the upscaled image out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..api import Prediction
from ..base import InputError


def to_files(data: np.ndarray, meta: Mapping[str, Any], folder: Path) -> Path:
    """(H, W) or (H, W, bands). uint8 goes as a PNG; any other type as a GeoTIFF, with ``meta``'s
    ``crs``, ``transform`` and ``nodata`` (the output keeps them, the transform scaled)."""
    from ..common.rasters import create_raster

    if data.ndim not in (2, 3):
        raise InputError(f"superres takes an (H, W) or (H, W, bands) image, got shape {data.shape}")
    folder = Path(folder)
    folder.mkdir(parents=True)
    if data.dtype == np.uint8 and not meta:
        from PIL import Image

        path = folder / "image.png"
        Image.fromarray(data).save(path)
        return path
    bands = data.reshape(*data.shape[:2], -1).transpose(2, 0, 1)
    path = folder / "image.tif"
    profile = {"count": bands.shape[0], "height": bands.shape[1], "width": bands.shape[2], "dtype": bands.dtype}
    profile |= {key: meta[key] for key in ("crs", "transform", "nodata") if meta.get(key) is not None}
    with create_raster(path, **profile) as dataset:
        dataset.write(bands)
    return path


def from_files(paths: Mapping[str, Path]) -> Prediction:
    """The upscaled image in the input's type and layout; a GeoTIFF's CRS and (scaled) transform."""
    (path,) = paths.values()
    if path.suffix.lower() == ".png":
        from PIL import Image

        with Image.open(path) as image:
            return Prediction(np.asarray(image))
    import warnings

    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)  # a plain array has none
        with rasterio.open(path) as dataset:
            bands = dataset.read()
            crs, transform = (dataset.crs, dataset.transform) if dataset.crs else (None, None)
    array = bands[0] if len(bands) == 1 else bands.transpose(1, 2, 0)
    return Prediction(array, crs=crs, transform=transform)

"""superres for the Python API (``pipelines/api.py``): an image in, the upscaled image out, in memory."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..api import Prediction
from ..base import InputError, Sample
from ..common.rasters import georeference
from .io import array_image

PICTURE_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}  # 8-bit pictures without georeference, by bands


def to_sample(data: np.ndarray, meta: Mapping[str, Any]) -> Sample:
    """(H, W) or (H, W, bands). 8-bit data without ``meta`` is a picture (RGB and RGBA go by their
    luma with ``color="auto"``, as a PNG file would); anything else is a raster, with ``meta``'s
    ``crs``, ``transform`` and ``nodata`` (the output keeps them, the transform scaled)."""
    data = np.asarray(data)
    if data.ndim not in (2, 3):
        raise InputError(f"superres takes an (H, W) or (H, W, bands) image, got shape {data.shape}")
    pixels = np.ascontiguousarray(data.reshape(*data.shape[:2], -1).transpose(2, 0, 1))
    picture = data.dtype == np.uint8 and not meta
    mode = PICTURE_MODES.get(pixels.shape[0]) if picture else None
    crs, transform = georeference(meta)
    source = array_image(pixels, meta.get("nodata"), crs, transform, mode)
    return Sample(source, {"name": meta.get("name", "image")})


def to_prediction(sample: Sample) -> Prediction:
    """The upscaled image in the input's type and layout; a raster's CRS and (scaled) transform."""
    pixels, raster = sample.pred, sample.image.raster
    array = pixels[0] if len(pixels) == 1 else pixels.transpose(1, 2, 0)
    if raster.crs is None or raster.transform is None:
        return Prediction(array)
    scale = pixels.shape[1] // raster.height
    return Prediction(array, crs=raster.crs, transform=raster.transform @ type(raster.transform).scale(1 / scale))

"""spectral for the Python API (``pipelines/api.py``): a cube in, its class map out, in memory."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..api import Prediction
from ..base import InputError, Sample
from ..common.rasters import ArrayRaster, georeference
from .io import Georeference
from .scene import SceneSource


def to_sample(data: np.ndarray, meta: Mapping[str, Any]) -> Sample:
    """(bands, H, W), as stored (raw counts, radiance or reflectance: each scene is scaled on its
    own). ``meta``: ``wavelengths`` (nm, to match another band count than the model's), ``crs``,
    ``transform``, ``nodata`` (a band's nodata value or NaN is a hole in it); for the land-cover
    model, surface reflectance and ``band_names`` (the products' own: B02, SR_B4). Scene models only;
    chips models take a folder's path."""
    data = np.asarray(data)
    if data.ndim != 3:
        raise InputError(f"spectral takes a (bands, H, W) cube, got shape {data.shape}")
    if data.shape[0] < 2:
        raise InputError(f"spectral: {data.shape[0]} band; a spectral cube needs 2 or more")
    wavelengths = meta.get("wavelengths")
    if wavelengths is not None and len(wavelengths) != data.shape[0]:
        raise InputError(f"spectral: {len(wavelengths)} wavelengths for {data.shape[0]} bands")
    georef = Georeference(*georeference(meta))
    raster = ArrayRaster(data, meta.get("nodata"), georef.crs, georef.transform)
    name = meta.get("name", "scene")
    source = SceneSource(
        None, raster, tuple(float(w) for w in wavelengths) if wavelengths is not None else None, georef
    )
    band_names = [str(n).upper() for n in meta["band_names"]] if meta.get("band_names") is not None else None
    if band_names is not None and len(band_names) != data.shape[0]:
        raise InputError(f"spectral: {len(band_names)} band names for {data.shape[0]} bands")
    return Sample(source, {"name": name, "file": name, "band_names": band_names})


def to_prediction(sample: Sample) -> Prediction:
    """The class map (class i is value i + 1; 0 = no data) with the input's CRS and transform."""
    georef = sample.image.georef
    return Prediction(np.asarray(sample.pred), crs=georef.crs, transform=georef.transform)

"""spectral for the Python API (``pipelines/api.py``): a cube in, its class map out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..api import Prediction
from ..base import InputError
from .io import Georeference, read_class_map, write_cube


def to_files(data: np.ndarray, meta: Mapping[str, Any], folder: Path) -> Path:
    """(bands, H, W), as stored (raw counts, radiance or reflectance: each scene is scaled on its
    own). ``meta``: ``wavelengths`` (nm, to match another band count than the model's), ``crs``,
    ``transform``, ``nodata``. Written as a GeoTIFF. Scene models only; chips models take folders."""
    if data.ndim != 3:
        raise InputError(f"spectral takes a (bands, H, W) cube, got shape {data.shape}")
    folder = Path(folder)
    folder.mkdir(parents=True)
    path = folder / "scene.tif"
    georef = Georeference(meta.get("crs"), meta.get("transform"))
    write_cube(data, path, meta.get("wavelengths"), georef, meta.get("nodata"))
    return path


def from_files(paths: Mapping[str, Path]) -> Prediction:
    """The class map (class i is value i + 1; 0 = no data) with the input's CRS and transform."""
    tif = next(path for name, path in paths.items() if name.endswith("_classes.tif"))
    classes, georef = read_class_map(tif)
    return Prediction(classes, crs=georef.crs, transform=georef.transform)

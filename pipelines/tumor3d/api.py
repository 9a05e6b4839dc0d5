"""tumor3d for the Python API (``pipelines/api.py``): four modalities in, labels on their grid out,
in memory (the array passes the checks a case's files do)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..api import Prediction
from ..base import InputError, Sample
from .modalities import MODALITIES


def to_sample(data: np.ndarray, meta: Mapping[str, Any]) -> Sample:
    """(4, X, Y, Z) volumes in the order T1, T1ce, T2, FLAIR; ``meta["affine"]``: voxel to mm (4 x 4,
    RAS; the identity, 1 mm, when not given)."""
    data = np.asarray(data)
    if data.ndim != 4 or data.shape[0] != len(MODALITIES):
        raise InputError(f"tumor3d takes (4, X, Y, Z) volumes ({', '.join(MODALITIES)}), got shape {data.shape}")
    image = data.astype(np.float32)
    if not np.isfinite(image).all():
        raise InputError("the volumes contain NaN or Inf values")
    if not (image != 0).any():
        raise InputError("the brain mask is empty (every voxel is zero)")
    affine = np.asarray(meta.get("affine", np.eye(4)), dtype=np.float64)
    if affine.shape != (4, 4) or not np.isfinite(affine).all():
        raise InputError(f"meta['affine'] must be a finite 4 x 4 matrix, got shape {affine.shape}")
    return Sample(image, {"name": meta.get("name", "case"), "affine": affine, "header": None, "source": None})


def to_prediction(sample: Sample) -> Prediction:
    """The label volume (0, 1 core, 2 oedema, 4 or 3 enhancing) on the input's grid, with its affine."""
    return Prediction(np.asarray(sample.pred, dtype=np.uint8), affine=np.asarray(sample.meta["affine"]))

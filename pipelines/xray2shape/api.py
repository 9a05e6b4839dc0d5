"""xray2shape for the Python API (``pipelines/api.py``): two radiographs in, labels on the model's
grid out, in memory (the arrays pass the checks a view file does)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..api import Prediction
from ..base import InputError, Sample
from .files import VIEWS
from .io import Radiograph, checked


def to_sample(data: np.ndarray, meta: Mapping[str, Any]) -> Sample:
    """(2, H, W): the AP view then the lateral one, bone bright (any range; each is windowed robustly
    as a file's would be); ``meta["pixel_spacing_mm"]``: (row, column) mm of both, when known."""
    data = np.asarray(data)
    if data.ndim != 3 or data.shape[0] != 2:
        raise InputError(f"xray2shape takes (2, H, W) radiographs (AP, lateral), got shape {data.shape}")
    spacing = meta.get("pixel_spacing_mm")
    spacing = tuple(float(v) for v in spacing) if spacing is not None else None
    source = "meta" if spacing else "none"
    views = {view: checked(Radiograph(image, spacing, source), f"the {view} view") for view, image in zip(VIEWS, data)}
    return Sample(views, {"name": meta.get("name", "case")})


def to_prediction(sample: Sample) -> Prediction:
    """Bone labels on the model's grid (millimetre spacing in the affine)."""
    return Prediction(np.asarray(sample.pred, dtype=np.uint8), affine=sample.meta["affine"])

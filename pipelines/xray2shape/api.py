"""xray2shape for the Python API (``pipelines/api.py``): two radiographs in, labels on the model's grid out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import nibabel as nib
import numpy as np

from ..api import Prediction
from ..base import InputError


def to_files(data: np.ndarray, meta: Mapping[str, Any], folder: Path) -> Path:
    """(2, H, W): the AP view then the lateral one, bone bright (any range; each is windowed robustly
    as a file would be). Written as float32 TIFFs, lossless."""
    import tifffile

    if data.ndim != 3 or data.shape[0] != 2:
        raise InputError(f"xray2shape takes (2, H, W) radiographs (AP, lateral), got shape {data.shape}")
    folder = Path(folder)
    folder.mkdir(parents=True)
    for view, image in zip(("ap", "lat"), data):
        tifffile.imwrite(folder / f"case_{view}.tif", image.astype(np.float32))
    return folder


def from_files(paths: Mapping[str, Path]) -> Prediction:
    """Bone labels on the model's grid (millimetre spacing in the affine)."""
    image = nib.load(str(next(path for name, path in paths.items() if name.endswith("_seg.nii.gz"))))
    return Prediction(np.asarray(image.dataobj, dtype=np.uint8), affine=image.affine)

"""tumor3d for the Python API (``pipelines/api.py``): four modalities in, labels on their grid out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import nibabel as nib
import numpy as np

from ..api import Prediction
from ..base import InputError
from .generator import MODALITIES


def to_files(data: np.ndarray, meta: Mapping[str, Any], folder: Path) -> Path:
    """(4, X, Y, Z) volumes in the order T1, T1ce, T2, FLAIR; ``meta["affine"]``: voxel to mm (4 x 4,
    RAS; the identity, 1 mm, when not given). Written as a case folder of four NIfTI files."""
    if data.ndim != 4 or data.shape[0] != len(MODALITIES):
        raise InputError(f"tumor3d takes (4, X, Y, Z) volumes ({', '.join(MODALITIES)}), got shape {data.shape}")
    affine = np.asarray(meta.get("affine", np.eye(4)), dtype=np.float64)
    case = Path(folder) / "case"
    case.mkdir(parents=True)
    for modality, volume in zip(MODALITIES, data):
        nib.save(nib.Nifti1Image(volume.astype(np.float32), affine), case / f"case_{modality}.nii.gz")
    return case


def from_files(paths: Mapping[str, Path]) -> Prediction:
    """The label volume (0, 1 core, 2 oedema, 4 enhancing) on the input's grid, with its affine."""
    image = nib.load(str(next(path for name, path in paths.items() if name.endswith("_seg.nii.gz"))))
    return Prediction(np.asarray(image.dataobj, dtype=np.uint8), affine=image.affine)

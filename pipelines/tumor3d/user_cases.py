"""Your labelled cases for training (``train tumor3d --data DIR``): each case read as ``predict``
reads it (BraTS-named NIfTI or a DICOM study), its label volume checked against it, both
preprocessed as the generated cases are (RAS, the model's spacing, z-score, crop to the brain).

Labels: BraTS 0 / 1 (necrotic core) / 2 (oedema) / 4 (enhancing); BraTS 2023's 0/1/2/3, where 3 is
the enhancing tumour, is read as 4. A label on another grid than its case (shape, or an affine
that differs by more than 0.01 mm), a value outside these, or a volume with no tumour voxel is
one line naming the case, and the case is skipped (``common/user_data.py``).
"""

from __future__ import annotations

import numpy as np
import torch
from monai.data import MetaTensor

from ..base import InputError
from ..common.user_data import LabelledUnit
from ..common.volumes import load_nifti
from .transforms import preprocessing

GRID_TOLERANCE_MM = 1e-2  # label editors store the affine in float32: the case's, to about 1e-5 mm
BRATS_LABELS = {0, 1, 2, 4}


def brats_label(values: np.ndarray, name: str) -> np.ndarray:
    """The label volume in BraTS 0/1/2/4 (a 0/1/2/3 volume's 3 becomes 4), or an ``InputError``."""
    found = {int(v) for v in np.unique(values)}
    if found == {0}:
        raise InputError(f"{name}: an empty label volume (no tumour voxel)")
    if 3 in found and 4 in found:
        raise InputError(f"{name}: labels 3 and 4 both present (BraTS uses 0/1/2/4, or 0/1/2/3 since 2023)")
    if 3 in found:
        values = np.where(values == 3, 4, values)
        found = (found - {3}) | {4}
    outside = sorted(found - BRATS_LABELS)
    if outside:
        raise InputError(f"{name}: label values {outside} outside BraTS 0/1/2/4 (or 0/1/2/3)")
    return values


def user_case(pipeline, item: LabelledUnit, spacing) -> dict[str, torch.Tensor]:
    """A case of the user's folder as the training sets take it: image (4, *S), label (1, *S) uint8."""
    sample = pipeline.read(item.unit)
    image, affine = sample.image, np.asarray(sample.meta["affine"], np.float64)
    truth = load_nifti(item.truth)
    raw = np.asarray(truth.dataobj)
    if raw.ndim == 4 and raw.shape[3] == 1:
        raw = raw[..., 0]
    if raw.shape != image.shape[1:]:
        raise InputError(f"{item.truth.name}: shape {raw.shape}, the case's volumes {tuple(image.shape[1:])}")
    offset = float(np.abs(truth.affine - affine).max())
    if offset > GRID_TOLERANCE_MM:
        raise InputError(f"{item.truth.name}: on another grid than the case (affine differs by up to {offset:.3g} mm)")
    if not np.array_equal(raw, np.round(raw)):
        raise InputError(f"{item.truth.name}: label values are not whole numbers")
    label = brats_label(raw.astype(np.int16), item.truth.name)
    tensor = lambda a: MetaTensor(torch.from_numpy(np.ascontiguousarray(a, np.float32)), affine=torch.as_tensor(affine))  # noqa: E731
    out = preprocessing(spacing, keys=("image", "label"))({"image": tensor(image), "label": tensor(label[None])})
    return {"image": out["image"].as_tensor().contiguous(), "label": out["label"].as_tensor().to(torch.uint8)}

"""Your labelled pairs for training (``train xray2shape --data DIR``): an AP and a lateral view as
``predict`` takes them (``DIR/inputs/<case>_ap.png`` and ``_lat.png``, or DICOM), brought to the
model's detector grid as prediction brings them, and the bone labels ``DIR/truth/<case>_seg.nii.gz``.

The geometry is fixed per anatomy: the label volume must lie on the model's grid (its shape, and a
voxel size of the model's spacing), centred on the views' isocentre, as ``predict`` writes its own
labels (so a case labelled by correcting a prediction is already in place). A label on another
grid, a value beyond the model's labels, or an empty volume is one line naming the case, and the
case is skipped (``common/user_data.py``). The pairs are trained on as they are: the generated
phantoms' augmentations (geometry, dose, blur) re-render the views, which a radiograph does not allow.
"""

from __future__ import annotations

import numpy as np
import torch

from ..base import InputError
from ..common.user_data import LabelledUnit
from ..common.volumes import load_nifti

SPACING_TOLERANCE_MM = 1e-3


def user_pair(pipeline, item: LabelledUnit) -> dict[str, torch.Tensor]:
    """``image`` (2, rows, columns) float32 as the model takes it, ``label`` (1, X, Y, Z) int64."""
    sample = pipeline.preprocess(pipeline.read(item.unit))
    config, name = pipeline.model_cfg, item.truth.name
    truth = load_nifti(item.truth)
    label = np.asarray(truth.dataobj)
    if tuple(label.shape) != tuple(config.grid):
        raise InputError(f"{name}: shape {label.shape}, the {config.anatomy} model's grid {tuple(config.grid)}")
    spacing = np.asarray(truth.header.get_zooms()[:3], np.float64)
    if np.abs(spacing - config.spacing_mm).max() > SPACING_TOLERANCE_MM:
        raise InputError(f"{name}: voxels of {spacing.tolist()} mm, the model's grid {config.spacing_mm} mm")
    if not np.array_equal(label, np.round(label)):
        raise InputError(f"{name}: label values are not whole numbers")
    beyond = sorted({int(v) for v in np.unique(label)} - {0, *config.label_names})
    if beyond:
        raise InputError(f"{name}: label values {beyond} beyond the model's ({', '.join(config.label_names.values())})")
    if not label.any():
        raise InputError(f"{name}: an empty label volume (no bone voxel)")
    return {"image": sample.image.float(), "label": torch.from_numpy(label.astype(np.int64))[None]}

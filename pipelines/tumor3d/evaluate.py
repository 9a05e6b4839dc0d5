"""``hybridvision evaluate tumor3d``: Dice and HD95 per region, per case and on average."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from ..common.volumes import pair_label_files
from .metrics import case_scores, detect_convention


def evaluate_folders(pred: Path, truth: Path) -> dict:
    """Pair ``<case>_seg.nii.gz`` files by name and score them; either label convention."""
    pairs, missing = pair_label_files(pred, truth)
    cases = []
    for name, truth_path, pred_path in pairs:
        truth_image, pred_image = nib.load(str(truth_path)), nib.load(str(pred_path))
        truth_label = np.asarray(truth_image.dataobj).astype(np.int16)
        pred_label = np.asarray(pred_image.dataobj).astype(np.int16)
        if not np.allclose(truth_image.affine, pred_image.affine, atol=1e-3):
            raise ValueError(f"{name}: prediction and truth have different affines")
        convention = detect_convention(truth_label, pred_label)
        spacing = [float(s) for s in truth_image.header.get_zooms()[:3]]
        scores = case_scores(pred_label, truth_label, spacing)
        cases.append({"case": name.split("_seg")[0], "labels": convention, **scores})
    keys = [k for k in cases[0] if k.startswith(("dice_", "hd95_"))]
    mean = {k: float(np.mean([c[k] for c in cases])) for k in keys}
    return {"cases": cases, "mean": mean, "missing_predictions": missing}

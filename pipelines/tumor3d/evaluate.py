"""``hybridvision evaluate tumor3d``: Dice and HD95 per region, per case and on average."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from .metrics import case_scores, detect_convention


def evaluate_folders(pred: Path, truth: Path) -> dict:
    """Pair ``<case>_seg.nii.gz`` files by name and score them; either label convention."""
    pred, truth = Path(pred), Path(truth)
    for folder, what in ((pred, "--pred"), (truth, "--truth")):
        if not folder.is_dir():
            raise FileNotFoundError(f"{what} folder not found: {folder}")
    truths = {p.name: p for p in sorted(truth.glob("*_seg.nii*"))}
    if not truths:
        raise FileNotFoundError(f"no <case>_seg.nii.gz files in {truth}")
    cases, missing = [], []
    for name, truth_path in truths.items():
        pred_path = pred / name
        if not pred_path.exists():
            missing.append(name)
            continue
        truth_image, pred_image = nib.load(str(truth_path)), nib.load(str(pred_path))
        truth_label = np.asarray(truth_image.dataobj).astype(np.int16)
        pred_label = np.asarray(pred_image.dataobj).astype(np.int16)
        if not np.allclose(truth_image.affine, pred_image.affine, atol=1e-3):
            raise ValueError(f"{name}: prediction and truth have different affines")
        convention = detect_convention(truth_label, pred_label)
        spacing = [float(s) for s in truth_image.header.get_zooms()[:3]]
        scores = case_scores(pred_label, truth_label, spacing)
        cases.append({"case": name.split("_seg")[0], "labels": convention, **scores})
    if not cases:
        raise FileNotFoundError(f"no prediction in {pred} matches a truth file in {truth}")
    keys = [k for k in cases[0] if k.startswith(("dice_", "hd95_"))]
    mean = {k: float(np.mean([c[k] for c in cases])) for k in keys}
    return {"cases": cases, "mean": mean, "missing_predictions": missing}

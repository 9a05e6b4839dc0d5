"""``hybridvision evaluate xray2shape``: Dice, ASSD and HD95 per label, and a clinical parameter per anatomy.

Predictions and truth are paired by name (``<case>_seg.nii.gz``). A prediction on another grid than
its truth (a model with another grid or spacing, samples generated at another spacing) is resampled
onto the truth's grid by world coordinates (nearest neighbour), so scores are on the truth's voxels.
The anatomy comes from ``--anatomy``, else from the samples' ``manifest.json`` beside the truth folder,
else from the label values (any above 2: spine). With a manifest, the generator's own value of the
clinical parameter is reported beside the measured ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from ..common.volumes import grid_resample, pair_label_files
from .geometry import ANATOMIES
from .metrics import femoral_head_diameter_mm, label_scores, summarise, vertebral_body_heights_mm


def load_manifest(truth: Path) -> dict[str, Any]:
    for candidate in (truth / "manifest.json", truth.parent / "manifest.json"):
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text())
            except (OSError, json.JSONDecodeError):
                return {}
    return {}


def to_truth_grid(pred: nib.Nifti1Image, truth: nib.Nifti1Image) -> np.ndarray:
    """The prediction's labels on the truth's voxels (nearest neighbour by world position)."""
    pred_label = np.asarray(pred.dataobj).astype(np.int16)
    if pred_label.shape == truth.shape[:3] and np.allclose(pred.affine, truth.affine, atol=1e-3):
        return pred_label
    axes = [np.arange(n, dtype=np.float64) for n in truth.shape[:3]]
    voxels = np.stack(np.meshgrid(*axes, indexing="ij"))  # (3, X, Y, Z) truth voxel indices
    to_pred = np.linalg.inv(pred.affine) @ truth.affine
    coordinates = np.tensordot(to_pred[:3, :3], voxels, axes=1) + to_pred[:3, 3].reshape(3, 1, 1, 1)
    return np.rint(grid_resample(pred_label.astype(np.float32), coordinates, order=0)).astype(np.int16)


def detect_anatomy(option: str, manifest: dict, labels: list[np.ndarray]) -> str:
    if option != "auto":
        if option not in ANATOMIES:
            raise ValueError(f"--anatomy must be auto, femur or spine, got {option!r}")
        return option
    if manifest.get("anatomy") in ANATOMIES:
        return manifest["anatomy"]
    return "spine" if any(int(label.max()) > 2 for label in labels) else "femur"


def clinical_scores(anatomy: str, pred: np.ndarray, truth: np.ndarray, spacing: float, case: dict) -> dict:
    """The anatomy's clinical parameter on prediction and truth, and the error."""
    if anatomy == "femur":
        measured, reference = femoral_head_diameter_mm(pred, spacing), femoral_head_diameter_mm(truth, spacing)
        out = {
            "head_diameter_mm": measured,
            "head_diameter_truth_mm": reference,
            "head_diameter_error_mm": abs(measured - reference),
        }
        if "femoral_head_diameter_mm" in case:
            out["head_diameter_generator_mm"] = float(case["femoral_head_diameter_mm"])
        return out
    names = ANATOMIES["spine"].label_names
    measured, reference = (
        vertebral_body_heights_mm(pred, spacing, names),
        vertebral_body_heights_mm(truth, spacing, names),
    )
    errors = {level: abs(measured[level] - reference[level]) for level in measured}
    finite = [e for e in errors.values() if np.isfinite(e)]
    return {
        "body_height_error_mm": float(np.mean(finite)) if finite else float("nan"),
        "body_heights_mm": measured,
        "body_heights_truth_mm": reference,
        "body_height_errors_mm": errors,
        **(
            {"body_heights_generator_mm": case["vertebral_body_heights_mm"]}
            if "vertebral_body_heights_mm" in case
            else {}
        ),
    }


def evaluate_folders(pred: Path, truth: Path, anatomy: str = "auto") -> dict:
    """Score every ``<case>_seg.nii.gz`` of ``truth`` that has a prediction of the same name in ``pred``.

    Returns:
        ``{"cases": [...], "mean": {...}, "missing_predictions": [...], "anatomy": ...}``; each case has
        ``dice_mean``, ``assd_mm_mean``, ``assd_voxels_mean``, ``hd95_mm_mean``, ``hd95_voxels_mean``, the
        clinical error, and ``per_label`` scores.
    """
    label_files, missing = pair_label_files(pred, truth)
    manifest = load_manifest(Path(truth))
    by_name = {c.get("name"): c for c in manifest.get("cases", [])}
    pairs = []
    for name, truth_path, pred_path in label_files:
        truth_image, pred_image = nib.load(str(truth_path)), nib.load(str(pred_path))
        pairs.append((name, truth_image, to_truth_grid(pred_image, truth_image)))
    truth_labels = [np.asarray(image.dataobj).astype(np.int16) for _, image, _ in pairs]
    anatomy = detect_anatomy(anatomy, manifest, truth_labels)
    names = ANATOMIES[anatomy].label_names
    cases = []
    for (name, truth_image, pred_label), truth_label in zip(pairs, truth_labels):
        spacing = [float(s) for s in truth_image.header.get_zooms()[:3]]
        case_name = name.split("_seg")[0]
        per_label = label_scores(pred_label, truth_label, spacing, names)
        clinical = clinical_scores(
            anatomy, pred_label, truth_label, float(np.mean(spacing)), by_name.get(case_name, {})
        )
        cases.append({"case": case_name, **summarise(per_label), **clinical, "per_label": per_label})
    numeric = [k for k in cases[0] if all(isinstance(c.get(k), float) for c in cases)]
    mean: dict[str, Any] = {k: nan_mean([c[k] for c in cases]) for k in numeric}
    mean["per_label"] = {
        label: {key: nan_mean([c["per_label"][label][key] for c in cases]) for key in scores}
        for label, scores in cases[0]["per_label"].items()
    }
    return {"anatomy": anatomy, "cases": cases, "mean": mean, "missing_predictions": missing}


def nan_mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")

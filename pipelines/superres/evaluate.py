"""``hybridvision evaluate superres``: PSNR and SSIM per image, beside bicubic upscaling of the input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .degrade import bicubic_upsample
from .io import SUFFIXES, open_image
from .metrics import psnr, ssim


def unit_array(path: Path) -> np.ndarray:
    with open_image(path) as source:
        data, _ = source.read_all()
    return data.transpose(1, 2, 0)


def size_mismatch(truth_path: Path, ours: np.ndarray, high: np.ndarray, low: np.ndarray | None) -> str:
    """The message for a prediction whose size differs from the truth's, in scales where it can.

    The input's height gives both scales; else the samples' manifest beside the truth folder
    gives the truth's scale; else only the sizes are told.
    """
    sizes = f"prediction {ours.shape[1]}x{ours.shape[0]}, truth {high.shape[1]}x{high.shape[0]}"
    if low is not None:
        needed = high.shape[0] / low.shape[0]
    else:
        manifest = truth_path.parent.parent / "manifest.json"
        needed = json.loads(manifest.read_text()).get("scale") if manifest.is_file() else None
        if not needed:
            return f"{truth_path.name}: {sizes} differ in size"
    predicted = needed * ours.shape[0] / high.shape[0]
    advice = f"predict with --scale {needed:g}"
    return f"{truth_path.name}: predicted x{predicted:g}, truth needs x{needed:g} ({sizes}); {advice}"


def evaluate_folders(pred: Path, truth: Path, input: Path | None = None) -> dict:
    """Pair images by name; the scale is the size ratio of truth to input (border crop = scale)."""
    pred, truth, input = Path(pred), Path(truth), (Path(input) if input else None)  # "" from the CLI: none
    cases, missing = [], []
    for truth_path in sorted(p for p in truth.iterdir() if p.suffix.lower() in SUFFIXES):
        pred_path = pred / truth_path.name
        if not pred_path.exists():
            missing.append(truth_path.name)
            continue
        high, ours = unit_array(truth_path), unit_array(pred_path)
        low_path = Path(input) / truth_path.name if input is not None else None
        low = unit_array(low_path) if low_path is not None and low_path.exists() else None
        if ours.shape != high.shape:
            raise ValueError(size_mismatch(truth_path, ours, high, low))
        row = {"case": truth_path.stem}
        scale = 1
        if low is not None:
            scale = high.shape[0] // low.shape[0]
            bicubic = bicubic_upsample(torch.from_numpy(low.transpose(2, 0, 1))[None], scale)[0]
            bicubic = bicubic.clamp(0, 1).numpy().transpose(1, 2, 0)
            row["psnr_bicubic"] = psnr(bicubic, high, scale)
            row["ssim_bicubic"] = ssim(bicubic, high, scale)
        row["psnr"] = psnr(ours, high, scale)
        row["ssim"] = ssim(ours, high, scale)
        if "psnr_bicubic" in row:
            row["psnr_gain"] = row["psnr"] - row["psnr_bicubic"]
        cases.append(row)
    if not cases:
        raise FileNotFoundError(f"no prediction in {pred} matches an image in {truth}")
    keys = [k for k in cases[0] if k != "case"]
    mean = {k: float(np.mean([c[k] for c in cases])) for k in keys}
    return {"cases": cases, "mean": mean, "missing_predictions": missing}

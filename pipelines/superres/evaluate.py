"""``hybridvision evaluate superres``: PSNR and SSIM per image, beside bicubic upscaling of the input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .degrade import bicubic_upsample
from .images import SUFFIXES, open_image
from .metrics import psnr, ssim


def unit_array(path: Path) -> np.ndarray:
    source = open_image(path)
    data, _ = source.read(0, 0, source.height, source.width)
    return data.transpose(1, 2, 0)


def evaluate_folders(pred: Path, truth: Path, input: Path | None = None) -> dict:
    """Pair images by name; the scale is the size ratio of truth to input (border crop = scale)."""
    pred, truth = Path(pred), Path(truth)
    cases, missing = [], []
    for truth_path in sorted(p for p in truth.iterdir() if p.suffix.lower() in SUFFIXES):
        pred_path = pred / truth_path.name
        if not pred_path.exists():
            missing.append(truth_path.name)
            continue
        high, ours = unit_array(truth_path), unit_array(pred_path)
        if ours.shape != high.shape:
            raise ValueError(f"{truth_path.name}: prediction {ours.shape} and truth {high.shape} differ in size")
        row = {"case": truth_path.stem}
        scale = 1
        if input is not None and (Path(input) / truth_path.name).exists():
            low = unit_array(Path(input) / truth_path.name)
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

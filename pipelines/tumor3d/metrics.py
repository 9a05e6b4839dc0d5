"""Dice and HD95 per BraTS region, with the BraTS conventions for empty regions.

Both empty: Dice 1, HD95 0. One empty: Dice 0, HD95 373.13 (the diagonal of the BraTS volume,
the value the challenge uses). HD95 is in millimetres, from the truth's voxel spacing.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from monai.metrics import compute_hausdorff_distance

from .transforms import REGIONS

EMPTY_HD95 = 373.13


def detect_convention(*labels: np.ndarray) -> str:
    """brats2023 if any volume uses 3 (enhancing), else brats2021 (4, or no enhancing at all)."""
    values = set()
    for label in labels:
        values |= set(np.unique(label).tolist())
    if 3 in values and 4 in values:
        raise ValueError("labels mix 3 and 4: neither the BraTS 2021 nor the 2023 convention")
    unknown = values - {0, 1, 2, 3, 4}
    if unknown:
        raise ValueError(f"label values {sorted(unknown)} are not BraTS labels (0, 1, 2, 3 or 4)")
    return "brats2023" if 3 in values else "brats2021"


def region_masks(label: np.ndarray) -> np.ndarray:
    """(3, *S) bool: WT, TC, ET from a BraTS label volume in either convention."""
    enhancing = (label == 4) | (label == 3)
    core = enhancing | (label == 1)
    return np.stack([core | (label == 2), core, enhancing])


def dice(pred: np.ndarray, truth: np.ndarray) -> float:
    total = pred.sum() + truth.sum()
    return 1.0 if total == 0 else float(2 * np.logical_and(pred, truth).sum() / total)


def hd95(pred: np.ndarray, truth: np.ndarray, spacing: Sequence[float]) -> float:
    if not pred.any() and not truth.any():
        return 0.0
    if not pred.any() or not truth.any():
        return EMPTY_HD95
    value = compute_hausdorff_distance(
        torch.from_numpy(pred[None, None]), torch.from_numpy(truth[None, None]), percentile=95, spacing=list(spacing)
    )
    return float(value.item())


def case_scores(pred_label: np.ndarray, truth_label: np.ndarray, spacing: Sequence[float]) -> dict[str, float]:
    """Dice and HD95 of WT, TC and ET for one case."""
    if pred_label.shape != truth_label.shape:
        raise ValueError(f"prediction shape {pred_label.shape} differs from truth {truth_label.shape}")
    pred, truth = region_masks(pred_label), region_masks(truth_label)
    scores = {}
    for index, region in enumerate(REGIONS):
        scores[f"dice_{region}"] = dice(pred[index], truth[index])
        scores[f"hd95_{region}"] = hd95(pred[index], truth[index], spacing)
    return scores


def soft_region_dice(logits: torch.Tensor, regions: torch.Tensor) -> dict[str, float]:
    """Validation Dice per region from logits (B, 3, *S) and target regions (B, 3, *S)."""
    hard = (logits > 0).float()
    dims = tuple(range(2, hard.ndim))
    overlap = (hard * regions).sum(dims)
    total = hard.sum(dims) + regions.sum(dims)
    per_region = torch.where(total > 0, 2 * overlap / total.clamp(min=1), torch.ones_like(total)).mean(0)
    scores = {f"dice_{r}": float(v) for r, v in zip(REGIONS, per_region)}
    scores["dice"] = float(per_region.mean())
    return scores

"""Classification scores of the hyperspectral literature: OA, AA, Cohen's kappa, per-class accuracy;
and the land-cover literature's per-class F1 (precision and recall together) and its mean."""

from __future__ import annotations

import numpy as np


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, classes: int) -> np.ndarray:
    """(classes, classes) counts, rows = truth, columns = prediction; labels are 1..classes. 0 is left
    out on either side: unlabelled truth, or a pixel the prediction left without a class (no data, a
    cloud), which ``coverage`` counts."""
    keep = (truth > 0) & (pred > 0)
    truth, pred = truth[keep].astype(np.int64) - 1, np.clip(pred[keep].astype(np.int64) - 1, 0, classes - 1)
    return np.bincount(truth * classes + pred, minlength=classes * classes).reshape(classes, classes)


def scores(confusion: np.ndarray, class_names: tuple[str, ...] | None = None) -> dict:
    """Overall accuracy, average (per-class mean) accuracy, kappa and per-class accuracy, in %."""
    total = confusion.sum()
    if total == 0:
        raise ValueError("no labelled pixel to score")
    correct = np.trace(confusion)
    support = confusion.sum(1)
    per_class = np.divide(np.diag(confusion), support, out=np.full(len(support), np.nan), where=support > 0)
    either = support + confusion.sum(0)  # a class's truth plus its predictions: F1 = 2 TP / that
    f1 = np.divide(2 * np.diag(confusion), either, out=np.full(len(support), np.nan), where=either > 0)
    chance = float((confusion.sum(0) * support).sum()) / total**2
    overall = correct / total
    names = class_names or tuple(str(i + 1) for i in range(len(support)))
    return {
        "overall_accuracy": 100 * float(overall),
        "average_accuracy": 100 * float(np.nanmean(per_class)),
        "kappa": float((overall - chance) / (1 - chance)) if chance < 1 else 1.0,
        "per_class_accuracy": {n: (None if np.isnan(a) else 100 * float(a)) for n, a in zip(names, per_class)},
        "macro_f1": 100 * float(np.nanmean(f1)),
        "per_class_f1": {n: (None if np.isnan(a) else 100 * float(a)) for n, a in zip(names, f1)},
        "support": {n: int(s) for n, s in zip(names, support)},
        "confusion": confusion.tolist(),
    }


def coverage(truth: np.ndarray, pred: np.ndarray) -> tuple[int, int]:
    """(labelled pixels, those the prediction gave a class)."""
    labelled = truth > 0
    return int(labelled.sum()), int((labelled & (pred > 0)).sum())

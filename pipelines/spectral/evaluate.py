"""``hybridvision evaluate spectral``: class maps against truth maps, or chip predictions against labels.

Scenes (and products' land cover): ``PRED/<scene>_classes.tif`` against ``TRUTH/<scene>_classes.tif``
on the labelled pixels (class names from the prediction's ``classes`` tag):
overall accuracy, average accuracy, kappa, per-class accuracy and the confusion matrix, per scene
and over all scenes pooled. Chips: ``PRED/predictions.csv`` against ``TRUTH/labels.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..base import InputError
from .chips import read_labels
from .generator import CHIP_CLASSES
from .io import read_class_map
from .library import SCENE_CLASS_NAMES
from .metrics import confusion_matrix, coverage, scores


def class_names(pred_path: Path) -> tuple[str, ...]:
    """The classes a class map was written with (its ``classes`` tag: a land-cover model's are not
    the hyperspectral scenes'), else the hyperspectral scenes' classes."""
    from ..common.rasters import open_raster

    with open_raster(pred_path) as dataset:
        tag = dataset.tags().get("classes", "")
    return tuple(tag.split(",")) if tag else SCENE_CLASS_NAMES


def evaluate_scenes(pred: Path, truth: Path) -> dict:
    cases, pooled, counted = [], None, np.zeros(2, np.int64)
    for truth_path in sorted(truth.glob("*_classes.tif")):
        pred_path = pred / truth_path.name
        if not pred_path.exists():
            continue
        expected, truth_grid = read_class_map(truth_path)
        predicted, pred_grid = read_class_map(pred_path)
        if expected.shape != predicted.shape:
            raise InputError(f"{truth_path.name}: prediction {predicted.shape} and truth {expected.shape} differ")
        differs = pred_grid.differs_from(truth_grid)
        if differs:  # same size, another place: pixel-wise scores would compare unrelated ground
            raise InputError(f"{truth_path.name}: the prediction and the truth are not on one grid ({differs})")
        known = class_names(pred_path)
        classes = max(len(known), int(expected.max()), int(predicted.max()))
        names = known if classes == len(known) else None
        confusion = confusion_matrix(expected, predicted, classes)
        pooled = confusion if pooled is None else pooled + confusion
        row = scores(confusion, names)
        labelled, classified = coverage(expected, predicted)
        counted += (labelled, classified)
        row["coverage"] = 100 * classified / labelled  # labelled pixels given a class (not no data or cloud)
        cases.append({"case": truth_path.name.removesuffix("_classes.tif"), **row})
    if not cases:
        raise FileNotFoundError(f"no class map in {pred} matches a *_classes.tif in {truth}")
    return {"cases": cases, "mean": scores(pooled, names) | {"coverage": 100 * counted[1] / counted[0]}}


def evaluate_chips(pred: Path, truth: Path) -> dict:
    expected = read_labels(truth / "labels.csv")
    predicted = read_labels(pred / "predictions.csv", column="class")
    names = list(dict.fromkeys([*CHIP_CLASSES, *sorted(set(expected.values()) - set(CHIP_CLASSES))]))
    pairs = [(names.index(expected[f]) + 1, names.index(predicted[f]) + 1) for f in expected if f in predicted]
    if not pairs:
        raise FileNotFoundError(f"no file in {pred / 'predictions.csv'} is in {truth / 'labels.csv'}")
    truth_values, pred_values = np.array(pairs).T
    result = scores(confusion_matrix(truth_values, pred_values, len(names)), tuple(names))
    result["missing"] = sorted(set(expected) - set(predicted))
    return {"cases": [{"case": "chips", **result}], "mean": result}


def evaluate_folders(pred: Path, truth: Path) -> dict:
    if (truth / "labels.csv").exists():
        return evaluate_chips(pred, truth)
    return evaluate_scenes(pred, truth)

"""The spectral tab's accuracy line: which truth a classified cube is scored against.

A class map uploaded beside the cube (``<scene>_classes.tif``) is its truth; so is the sample's
truth when the cube is the sample scene itself (as after the sample button, whatever band choice is
classified next). Without one, the status has no accuracy.
"""

from __future__ import annotations

import filecmp
from pathlib import Path
from typing import Callable


def is_truth(path: Path) -> bool:
    """A class map by its name (``x_classes.tif``, ``x_gt.mat``), never a cube to classify."""
    from hybridvision.pipelines.spectral.templates import is_class_map

    return is_class_map(path)


def truth_for(cube: Path, uploads: list[Path], sample: Callable[[], tuple[Path, Path]]) -> Path | None:
    """The uploaded class map of ``cube`` (same scene name), else the sample's truth if ``cube`` is
    the sample scene (same bytes), else None."""
    scene = cube.name.split(".")[0]
    for path in uploads:
        if path.name.lower() in (f"{scene}_classes.tif".lower(), f"{scene}_classes.tiff".lower()):
            return path
    sample_cube, sample_truth = sample()
    if cube.name == sample_cube.name and filecmp.cmp(cube, sample_cube, shallow=False):
        return sample_truth
    return None


def accuracy_line(prediction: Path, truth: Path) -> str:
    """``; overall accuracy against the truth: 91.3%`` over the truth's labelled pixels."""
    from hybridvision.pipelines.base import InputError
    from hybridvision.pipelines.spectral.io import read_class_map

    (predicted, pred_grid), (expected, truth_grid) = read_class_map(prediction), read_class_map(truth)
    if predicted.shape != expected.shape:
        raise InputError(f"{truth.name}: {expected.shape} pixels, the cube has {predicted.shape}")
    differs = pred_grid.differs_from(truth_grid)
    if differs:
        raise InputError(f"{truth.name}: not on the cube's grid ({differs})")
    labelled = expected > 0
    if not labelled.any():
        return f"; {truth.name} labels no pixel"
    return f"; overall accuracy against the truth: {100 * (predicted[labelled] == expected[labelled]).mean():.1f}%"

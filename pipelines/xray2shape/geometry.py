"""xray2shape's fixed geometry: the anatomies, the output grid in world space, the detector it is seen on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .phantoms import FEMUR_LABELS, SPINE_LABELS, femur_phantom, spine_phantom

NOMINAL_SOURCE_TO_ISOCENTRE_MM = 1000.0
NOMINAL_MAGNIFICATION = 1.2  # source-to-detector / source-to-isocentre of the nominal geometry
PIXELS_PER_VOXEL = 2  # image pixels per grid voxel at the isocentre


@dataclass(frozen=True)
class Anatomy:
    """What a phantom family is: its generator, label names and the field of view it is laid out for."""

    name: str
    phantom: Callable[..., Any]
    label_names: dict[int, str]
    field_of_view_mm: tuple[float, float, float]  # (X, Y, Z)


ANATOMIES = {
    "femur": Anatomy("femur", femur_phantom, dict(FEMUR_LABELS), (128.0, 128.0, 128.0)),
    "spine": Anatomy("spine", spine_phantom, dict(SPINE_LABELS), (128.0, 128.0, 224.0)),
}


def grid_affine(grid: tuple[int, int, int], spacing_mm: float) -> np.ndarray:
    """Voxel to RAS world (mm) of the model grid: the spacing on the diagonal, centred at the origin."""
    affine = np.diag([spacing_mm] * 3 + [1.0])
    affine[:3, 3] = -(np.asarray(grid, float) - 1) / 2 * spacing_mm
    return affine


def image_shape(grid: tuple[int, int, int]) -> tuple[int, int]:
    """(rows, columns) of both views for a (X, Y, Z) grid: rows along z, columns along x (AP) or y."""
    return PIXELS_PER_VOXEL * grid[2], PIXELS_PER_VOXEL * grid[0]


def detector_spacing_mm(spacing_mm: float, magnification: float = NOMINAL_MAGNIFICATION) -> float:
    """Detector pixel size that puts ``PIXELS_PER_VOXEL`` pixels on a grid voxel at the isocentre."""
    return magnification * spacing_mm / PIXELS_PER_VOXEL

"""Spatial layouts of land cover: fields, a river, roads, a town with shadows, on a fine grid.

A layout is drawn ``oversample`` times finer than the sensor's pixels; averaging the fine
one-hot map over each pixel gives sub-pixel abundances, so border pixels are mixtures.
Labels are 1-based scene classes (``library.SCENE_CLASSES``); -1 marks background that is
mixed from several classes and stays unlabelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .library import SCENE_CLASS_NAMES

BACKGROUND = -1
FIELD_CLASSES = ("corn", "wheat", "forest", "grassland", "bare soil", "kaolinite clay", "carbonate rock")


def label_of(name: str) -> int:
    return SCENE_CLASS_NAMES.index(name) + 1


@dataclass
class Layout:
    """A fine-grid class map and the shadow mask cast by buildings.

    Attributes:
        classes: (H*, W*) int, 1-based class, or -1 for mixed background.
        shadow: (H*, W*) bool, True where a building shades the ground.
    """

    classes: np.ndarray
    shadow: np.ndarray


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-std smooth random field with correlation length ``scale`` pixels."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), max(scale, 0.5), mode="wrap")
    return (field - field.mean()) / (field.std() + 1e-9)


def fields(shape: tuple[int, int], count: int, classes: tuple[str, ...], rng: np.random.Generator) -> np.ndarray:
    """Voronoi parcels with warped borders; every class in ``classes`` gets at least one parcel."""
    height, width = shape
    seeds = rng.uniform(0, 1, (count, 2)) * (height, width)
    names = list(classes) + list(rng.choice(classes, max(0, count - len(classes))))
    rng.shuffle(names)
    labels = np.array([label_of(n) for n in names[:count]])
    labels[rng.uniform(size=count) < 0.1] = BACKGROUND  # a few parcels of unlabelled mixed cover
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    warp = 0.04 * max(shape)
    rows = rows + warp * smooth_noise(shape, max(shape) / 8, rng)
    cols = cols + warp * smooth_noise(shape, max(shape) / 8, rng)
    distance = (rows[..., None] - seeds[:, 0]) ** 2 + (cols[..., None] - seeds[:, 1]) ** 2
    return labels[np.argmin(distance, axis=-1)]


def draw_river(classes: np.ndarray, width: float, rng: np.random.Generator) -> None:
    """A meandering river across the scene, drawn in place."""
    height, wide = classes.shape
    rows, cols = np.mgrid[0:height, 0:wide].astype(np.float64)
    if rng.uniform() < 0.5:
        rows, cols = cols, rows
    span = rows.shape[0]
    base = rng.uniform(0.2, 0.8) * rows.shape[1]
    centre = base + 0.15 * rows.shape[1] * np.sin(2 * np.pi * (rows / span * rng.uniform(0.6, 1.6) + rng.uniform()))
    classes[np.abs(cols - centre) < width / 2] = label_of("water")


def draw_road(classes: np.ndarray, width: float, rng: np.random.Generator) -> None:
    """A straight road at a random angle through a random point."""
    height, wide = classes.shape
    rows, cols = np.mgrid[0:height, 0:wide].astype(np.float64)
    angle = rng.uniform(0, np.pi)
    point = rng.uniform(0.2, 0.8, 2) * (height, wide)
    distance = np.abs((rows - point[0]) * np.cos(angle) - (cols - point[1]) * np.sin(angle))
    classes[distance < width / 2] = label_of("asphalt")


def draw_town(
    classes: np.ndarray, shadow: np.ndarray, box: tuple[int, int, int, int], unit: int, rng: np.random.Generator
) -> None:
    """Buildings on a street grid inside ``box`` (row0, col0, row1, col1), with cast shadows.

    Args:
        unit: the fine pixels per sensor pixel; buildings are 3 to 8 sensor pixels wide.
    """
    row0, col0, row1, col1 = box
    classes[row0:row1, col0:col1] = label_of("grassland")
    street = 2 * unit
    block = int(rng.integers(7, 12)) * unit
    sun = rng.uniform(0, 2 * np.pi)
    shift = (int(round(2 * unit * np.sin(sun))), int(round(2 * unit * np.cos(sun))))
    roofs = np.zeros_like(shadow)
    for r in range(row0, row1, block + street):
        classes[r : r + street, col0:col1] = label_of("asphalt")
        for c in range(col0, col1, block + street):
            classes[row0:row1, c : c + street] = label_of("asphalt")
            top, left = r + street + unit, c + street + unit
            size = (int(rng.integers(3, 8)) * unit, int(rng.integers(3, 8)) * unit)
            bottom, right = min(top + size[0], row1, r + street + block), min(left + size[1], col1, c + street + block)
            if bottom <= top or right <= left:
                continue
            roof = label_of("concrete roof") if rng.uniform() < 0.5 else label_of("red tile roof")
            classes[top:bottom, left:right] = roof
            roofs[top:bottom, left:right] = True
    cast = np.roll(roofs, shift, axis=(0, 1))
    shadow |= cast & ~roofs


def scene_layout(size: int, oversample: int, rng: np.random.Generator) -> Layout:
    """Fields, a river, one to three roads and a town, on a (size*oversample)² fine grid."""
    fine = size * oversample
    classes = fields((fine, fine), int(rng.integers(18, 30)), FIELD_CLASSES, rng)
    shadow = np.zeros(classes.shape, bool)
    draw_river(classes, rng.uniform(2.5, 5) * oversample, rng)
    town = int(rng.uniform(0.3, 0.42) * fine)
    row0, col0 = rng.integers(0, fine - town, 2)
    draw_town(classes, shadow, (row0, col0, row0 + town, col0 + town), oversample, rng)
    for _ in range(int(rng.integers(1, 4))):
        draw_road(classes, rng.uniform(1.5, 2.5) * oversample, rng)
    return Layout(classes, shadow)


def abundances(layout: Layout, oversample: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel class fractions of a fine layout.

    Returns:
        fractions: (count + 1, H, W); index 0 is the mixed background, 1.. the classes.
        shadow: (H, W) fraction of the pixel in shadow.
    """
    fine = layout.classes
    height, width = fine.shape[0] // oversample, fine.shape[1] // oversample
    onehot = np.stack([(fine == (k if k else BACKGROUND)) for k in range(count + 1)]).astype(np.float32)

    def pool(values: np.ndarray) -> np.ndarray:
        return values.reshape(*values.shape[:-2], height, oversample, width, oversample).mean((-3, -1))

    return pool(onehot), pool(layout.shadow.astype(np.float32))

"""Synthetic hyperspectral scenes and multi-band chips from the fixed spectral library.

A scene: a land-cover layout (``layout``) drawn 3x finer than the pixels, so borders mix
linearly; per-pixel spectra from the library with per-pixel and per-scene parameter spread;
illumination that varies over the scene and blue-tinted building shadows; sensor noise that
grows where the atmosphere absorbs (1400, 1900, 2500 nm), a few dead and a few noisy bands;
often a no-data corner, as at the edge of a flight line. Ground truth is the dominant class
where it covers at least 75% of the pixel, 0 (unlabelled) elsewhere, in the mixed background
parcels and in no-data.

A chip: a small Sentinel-2-like (13 bands) patch whose label is its land-use type (crops,
forest, residential, river, ...), each type a recipe of the same layout pieces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import layout as lay
from .library import FINE_GRID, SCENE_CLASSES, SENTINEL2, Sensor, atmospheric_transmission, class_spectra

OVERSAMPLE = 3
LABEL_PURITY = 0.75
REFLECTANCE_SCALE = 10000  # files store reflectance x 10000 as int16, as AVIRIS and Sentinel-2 products do
NODATA = -9999


@dataclass
class Rendered:
    """A rendered cube.

    Attributes:
        reflectance: (bands, H, W) float32.
        labels: (H, W) uint8, 0 = unlabelled.
        valid: (H, W) bool, False in the no-data region.
    """

    reflectance: np.ndarray
    labels: np.ndarray
    valid: np.ndarray


def shadow_light(shadow_fraction: np.ndarray) -> np.ndarray:
    """(N,) shaded fraction -> (N, F) light factor: shade keeps only the bluish diffuse sky."""
    diffuse = 0.3 * (500 / FINE_GRID) ** 2
    return 1 - shadow_fraction[:, None] * (1 - diffuse[None])


def render(
    layout: lay.Layout,
    sensor: Sensor,
    rng: np.random.Generator,
    noise: float,
    classes: int = len(SCENE_CLASSES),
    spectra_of=class_spectra,
) -> Rendered:
    """Spectra for a fine layout, mixed per pixel, lit, sampled by ``sensor`` and made noisy.

    Args:
        classes: labels in the layout (1..classes); ``spectra_of(label, count, rng, scene_shift)``
            draws each one's spectra (the library's classes by default; ``multispectral`` adds one).
    """
    fractions, shadow = lay.abundances(layout, OVERSAMPLE, classes)
    _, height, width = fractions.shape
    scene_shift = rng.uniform(-1, 1, 3)
    mix_pair = rng.choice([lay.label_of(n) for n in lay.FIELD_CLASSES], 2, replace=False)
    pixels = height * width
    flat = fractions.reshape(classes + 1, pixels)
    spectra = np.zeros((pixels, len(FINE_GRID)), np.float32)
    for k in range(classes + 1):
        where = np.flatnonzero(flat[k] > 0)
        if not len(where):
            continue
        if k == 0:  # unlabelled background: a mixture of two classes in varying shares
            share = rng.uniform(0.3, 0.7, len(where))[:, None]
            part = share * spectra_of(mix_pair[0], len(where), rng, scene_shift)
            part += (1 - share) * spectra_of(mix_pair[1], len(where), rng, scene_shift)
        else:
            part = spectra_of(k, len(where), rng, scene_shift)
        spectra[where] += (flat[k, where, None] * part).astype(np.float32)
    light = rng.uniform(0.75, 1.25) * (1 + 0.08 * lay.smooth_noise((height, width), height / 6, rng))
    spectra *= (light.reshape(-1, 1) * shadow_light(shadow.reshape(-1))).astype(np.float32)
    response = sensor.response().astype(np.float32)
    bands = spectra @ response
    # noise: stronger where little light survives the atmosphere
    strength = noise / np.sqrt(np.clip(atmospheric_transmission() @ response, 0.02, 1))
    bands += rng.standard_normal(bands.shape).astype(np.float32) * strength[None].astype(np.float32)
    cube = bands.T.reshape(len(sensor.centres), height, width)
    dominant = fractions.argmax(0)
    labels = np.where(fractions.max(0) >= LABEL_PURITY, dominant, 0).astype(np.uint8)
    return Rendered(np.clip(cube, 0, None), labels, np.ones((height, width), bool))


def spoil_bands(cube: np.ndarray, rng: np.random.Generator) -> list[int]:
    """Kill one to three bands and make one to three very noisy, in place; returns them."""
    count = len(cube)
    dead = rng.choice(count, int(rng.integers(1, 4)), replace=False)
    cube[dead] = 0
    noisy = rng.choice(count, int(rng.integers(1, 4)), replace=False)
    cube[noisy] += rng.normal(0, 0.05, cube[noisy].shape).astype(np.float32)
    return sorted(int(b) for b in dead)


def nodata_corner(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """(H, W) valid mask with a triangular no-data corner in 70% of scenes, as at a swath edge."""
    height, width = shape
    valid = np.ones(shape, bool)
    if rng.uniform() < 0.3:
        return valid
    rows, cols = np.mgrid[0:height, 0:width]
    rows = rows if rng.uniform() < 0.5 else height - 1 - rows
    cols = cols if rng.uniform() < 0.5 else width - 1 - cols
    valid[rows + cols < rng.uniform(0.1, 0.3) * (height + width) / 2] = False
    return valid


def scene(size: int, sensor: Sensor, seed: int) -> Rendered:
    """A whole scene: ``size`` x ``size`` pixels seen by ``sensor``."""
    rng = np.random.default_rng(seed)
    rendered = render(lay.scene_layout(size, OVERSAMPLE, rng), sensor, rng, noise=rng.uniform(0.002, 0.006))
    spoil_bands(rendered.reflectance, rng)
    valid = nodata_corner((size, size), rng)
    rendered.labels[~valid] = 0
    rendered.valid = valid
    return rendered


def to_file_values(rendered: Rendered) -> np.ndarray:
    """(bands, H, W) int16 reflectance x 10000 with ``NODATA`` outside the valid region."""
    values = np.clip(np.round(rendered.reflectance * REFLECTANCE_SCALE), 0, 32000).astype(np.int16)
    values[:, ~rendered.valid] = NODATA
    return values


# -- chips -------------------------------------------------------------------------------
CHIP_CLASSES = (
    "annual crop",
    "forest",
    "grassland",
    "residential",
    "industrial",
    "river",
    "lake",
    "highway",
    "bare land",
)


def lake(classes: np.ndarray, rng: np.random.Generator) -> None:
    """An ellipse of water covering most of the chip."""
    height, width = classes.shape
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    centre = rng.uniform(0.35, 0.65, 2) * (height, width)
    radii = rng.uniform(0.45, 0.7, 2) * (height, width)
    classes[((rows - centre[0]) / radii[0]) ** 2 + ((cols - centre[1]) / radii[1]) ** 2 < 1] = lay.label_of("water")


def chip_layout(kind: str, size: int, rng: np.random.Generator) -> lay.Layout:
    """The fine layout of one chip of land-use ``kind``."""
    fine = size * OVERSAMPLE
    shape = (fine, fine)
    shadow = np.zeros(shape, bool)
    parcels = int(rng.integers(3, 8))
    vegetation = ("grassland", "forest", "corn")
    if kind == "annual crop":
        classes = lay.fields(shape, parcels, ("corn", "wheat", "bare soil"), rng)
    elif kind == "forest":
        classes = lay.fields(shape, parcels, ("forest",) * 6 + ("grassland",), rng)
    elif kind == "grassland":
        classes = lay.fields(shape, parcels, ("grassland",) * 6 + ("bare soil",), rng)
    elif kind in ("residential", "industrial"):
        classes = lay.fields(shape, 2, ("grassland",), rng)
        lay.draw_town(classes, shadow, (0, 0, fine, fine), OVERSAMPLE * (1 if kind == "residential" else 3), rng)
        if kind == "industrial":
            classes[classes == lay.label_of("red tile roof")] = lay.label_of("concrete roof")
    elif kind == "river":
        classes = lay.fields(shape, parcels, vegetation, rng)
        lay.draw_river(classes, rng.uniform(3, 6) * OVERSAMPLE, rng)
    elif kind == "lake":
        classes = lay.fields(shape, parcels, vegetation, rng)
        lake(classes, rng)
    elif kind == "highway":
        classes = lay.fields(shape, parcels, ("corn", "wheat", "grassland"), rng)
        lay.draw_road(classes, rng.uniform(4, 6) * OVERSAMPLE, rng)
    elif kind == "bare land":
        classes = lay.fields(shape, parcels, ("bare soil", "kaolinite clay", "carbonate rock"), rng)
    else:
        raise ValueError(f"unknown chip kind {kind!r}")
    return lay.Layout(classes, shadow)


def chip(kind: str, size: int, seed: int, sensor: Sensor = SENTINEL2) -> np.ndarray:
    """(13, size, size) reflectance of one chip of land-use ``kind``."""
    rng = np.random.default_rng(seed)
    return render(chip_layout(kind, size, rng), sensor, rng, noise=rng.uniform(0.003, 0.01)).reflectance

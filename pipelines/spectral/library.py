"""A fixed library of land-cover reflectance spectra and the sensors that sample them.

Every spectrum is a smooth continuum times absorption features, with the physics that makes
classes differ in real imaging spectrometry: the chlorophyll wells at 450/670 nm and the red
edge near 715 nm of vegetation, the leaf-water bands at 970/1200/1450/1940 nm, iron-oxide
slopes and the 900 nm ferric band of soils and tiles, the Al-OH doublet of kaolinite near
2165/2205 nm, the carbonate band at 2340 nm, hydrocarbon bands of asphalt at 1730/2310 nm,
and water that is dark beyond 900 nm. Each class takes per-pixel parameters (vigour, moisture,
brightness) so that one class is a family of spectra, not one curve. Spectra are computed on a
5 nm grid and integrated by a sensor's Gaussian spectral response functions.

The library is the same for every scene (a model trained on one scene applies to another);
scenes vary in layout, illumination, mixing and noise (see ``generator``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FINE_GRID = np.arange(400.0, 2501.0, 5.0)  # nm


@dataclass(frozen=True)
class LandCover:
    """One class: its name, its preview colour and which spectrum family draws it."""

    name: str
    colour: tuple[int, int, int]


SCENE_CLASSES = (
    LandCover("corn", (255, 215, 0)),
    LandCover("wheat", (230, 160, 60)),
    LandCover("forest", (20, 110, 40)),
    LandCover("grassland", (120, 200, 80)),
    LandCover("bare soil", (150, 100, 60)),
    LandCover("kaolinite clay", (235, 225, 200)),
    LandCover("carbonate rock", (170, 170, 190)),
    LandCover("water", (30, 90, 200)),
    LandCover("asphalt", (60, 60, 60)),
    LandCover("concrete roof", (200, 200, 200)),
    LandCover("red tile roof", (200, 60, 40)),
)
"""Scene classes; label values are 1 + the index here (0 = unlabelled)."""

SCENE_CLASS_NAMES = tuple(c.name for c in SCENE_CLASSES)


def gauss(centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((FINE_GRID - centre) / width) ** 2)


def sigmoid(centre: float, width: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(FINE_GRID - centre) / width))


def absorb(depths: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Multiplicative band: (N,) depths -> (N, F) factors."""
    return 1 - depths[:, None] * gauss(centre, width)[None]


def col(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)[:, None]


def vegetation(vigour, water, green, red, edge_nm, nir, dry_matter=0.0) -> np.ndarray:
    """Green leaves: dark visible with a green peak, the red edge, a bright NIR plateau, water bands.

    Args:
        vigour: (N,) scales the NIR plateau (leaf area).
        water: (N,) depth of the leaf-water bands (0..1).
        green, red: visible reflectance at the green peak and in the red well.
        edge_nm: red-edge inflection wavelength.
        nir: NIR plateau of a vigour-1 canopy.
        dry_matter: cellulose/lignin band depth at 2100 nm (senescent canopies).
    """
    vigour, water = np.asarray(vigour, float), np.asarray(water, float)
    n = len(vigour)
    visible = (red - 0.01) + (green - red + 0.01) * gauss(550, 28) + 0.01 * sigmoid(500, 15)
    visible = visible - 0.012 * gauss(450, 25)
    plateau = col(nir * vigour) * np.ones_like(FINE_GRID)
    # SWIR falls with the leaf-water continuum; humps at 1650 and 2200 nm remain
    swir = 1 - 0.35 * sigmoid(1350, 35) - 0.25 * sigmoid(1850, 35)
    plateau = plateau * swir[None]
    edge = sigmoid(edge_nm, 14)
    spectrum = visible[None] * (1 - edge[None]) + plateau * edge[None]
    for centre, width, scale in ((970, 25, 0.08), (1200, 35, 0.12), (1450, 55, 0.7), (1940, 65, 0.85)):
        spectrum = spectrum * absorb(water * scale, centre, width)
    if dry_matter:
        spectrum = spectrum * absorb(np.full(n, dry_matter), 2100, 45)
    return spectrum


def soil(brightness, moisture, iron=0.08, clay=0.05, carbonate=0.0, blue_drop=0.5, base=0.09, rise=0.32):
    """Soils and rocks: a rising continuum, iron at 900 nm, water at 1400/1900, Al-OH and CO3 bands.

    Args:
        brightness: (N,) overall albedo factor.
        moisture: (N,) 0 dry .. 1 wet (darker, deeper water bands).
        iron: ferric-band depth near 900 nm and the blue fall-off.
        clay: Al-OH depth (kaolinite doublet 2165/2205 nm).
        carbonate: CO3 depth at 2340 nm.
    """
    brightness, moisture = np.asarray(brightness, float), np.asarray(moisture, float)
    continuum = base + rise * (1 - np.exp(-(FINE_GRID - 380) / 550))
    continuum = continuum - blue_drop * iron * (1 - sigmoid(560, 35))
    spectrum = col(brightness * (1 - 0.45 * moisture)) * continuum[None]
    spectrum = spectrum * absorb(np.full_like(brightness, iron), 900, 80)
    spectrum = spectrum * absorb(0.1 + 0.5 * moisture, 1415, 30) * absorb(0.15 + 0.6 * moisture, 1915, 40)
    if clay:
        spectrum = spectrum * absorb(np.full_like(brightness, clay * 0.8), 2165, 14)
        spectrum = spectrum * absorb(np.full_like(brightness, clay), 2206, 16)
    if carbonate:
        spectrum = spectrum * absorb(np.full_like(brightness, carbonate), 2340, 28)
        spectrum = spectrum * absorb(np.full_like(brightness, carbonate * 0.5), 2160, 40)
    return spectrum


def water(turbidity) -> np.ndarray:
    """Open water: blue-green, dark beyond 900 nm; turbidity adds a broad 550-700 nm bump."""
    turbidity = np.asarray(turbidity, float)
    clear = 0.055 * (1 - sigmoid(600, 50)) + 0.012 * (1 - sigmoid(820, 40)) + 0.004
    bump = 0.05 * gauss(640, 70) + 0.012 * gauss(810, 25)
    return clear[None] + turbidity[:, None] * bump[None]


def asphalt(age) -> np.ndarray:
    """Asphalt: dark, slowly rising; ageing brightens it; hydrocarbon bands at 1730 and 2310 nm."""
    age = np.asarray(age, float)
    base = col(0.045 + 0.06 * age) * (1 + 0.9 * (FINE_GRID - 400) / 2100)[None]
    return base * absorb(np.full_like(age, 0.12), 1730, 20) * absorb(np.full_like(age, 0.15), 2310, 25)


def concrete(brightness) -> np.ndarray:
    """Concrete: bright and grey, a gentle rise to 1000 nm, weak water and carbonate bands."""
    brightness = np.asarray(brightness, float)
    continuum = 0.26 + 0.1 * (1 - np.exp(-(FINE_GRID - 400) / 250)) - 0.03 * sigmoid(1800, 200)
    spectrum = col(brightness) * continuum[None]
    return spectrum * absorb(np.full_like(brightness, 0.08), 1915, 40) * absorb(np.full_like(brightness, 0.1), 2340, 30)


def red_tile(brightness) -> np.ndarray:
    """Fired clay tiles: dark blue-green, a steep iron-oxide rise at 580 nm, ferric band at 870 nm."""
    brightness = np.asarray(brightness, float)
    continuum = 0.07 + 0.3 * sigmoid(585, 18) + 0.12 * sigmoid(1100, 150)
    spectrum = col(brightness) * continuum[None]
    return spectrum * absorb(np.full_like(brightness, 0.22), 870, 70)


def class_spectra(label: int, count: int, rng: np.random.Generator, scene_shift: np.ndarray) -> np.ndarray:
    """``count`` spectra of scene class ``label`` (1-based) on ``FINE_GRID``: (count, F).

    Args:
        scene_shift: (3,) per-scene offsets of the class parameters in [-1, 1] (phenology, soil
            moisture, ageing), the same for every pixel of the scene.
    """
    u = lambda low, high: rng.uniform(low, high, count)  # noqa: E731
    s0, s1, s2 = scene_shift
    name = SCENE_CLASS_NAMES[label - 1]
    if name == "corn":
        return vegetation(u(0.85, 1.15) + 0.08 * s0, u(0.7, 0.95), 0.075, 0.035, 718 + 3 * s0, 0.52)
    if name == "wheat":  # ripening: yellower, weaker edge, dry matter
        return vegetation(u(0.75, 1.05) + 0.08 * s0, u(0.4, 0.65), 0.10, 0.075, 706 + 3 * s0, 0.40, 0.08)
    if name == "forest":  # conifers: dark visible, moderate NIR, wet
        return vegetation(u(0.8, 1.1) + 0.05 * s0, u(0.85, 1.0), 0.045, 0.025, 724, 0.31)
    if name == "grassland":
        return vegetation(u(0.8, 1.1) + 0.08 * s0, u(0.55, 0.8), 0.085, 0.05, 712 + 2 * s0, 0.42)
    if name == "bare soil":
        return soil(u(0.85, 1.15), np.clip(u(0.05, 0.35) + 0.1 * s1, 0, 1), iron=0.12, clay=0.06)
    if name == "kaolinite clay":
        return soil(u(0.9, 1.1), np.clip(u(0.0, 0.15) + 0.05 * s1, 0, 1), iron=0.03, clay=0.25, base=0.42, rise=0.2)
    if name == "carbonate rock":
        return soil(
            u(0.9, 1.1),
            np.clip(u(0.0, 0.15) + 0.05 * s1, 0, 1),
            iron=0.0,
            clay=0.02,
            carbonate=0.3,
            base=0.28,
            rise=0.14,
        )
    if name == "water":
        return water(np.clip(u(0.0, 0.6) + 0.2 * s1, 0, 1))
    if name == "asphalt":
        return asphalt(np.clip(u(0.0, 0.6) + 0.2 * s2, 0, 1))
    if name == "concrete roof":
        return concrete(u(0.85, 1.15) + 0.05 * s2)
    if name == "red tile roof":
        return red_tile(u(0.85, 1.15) + 0.05 * s2)
    raise ValueError(f"unknown class {label}")


@dataclass(frozen=True)
class Sensor:
    """Band centres and widths (nm); spectra reach it through Gaussian response functions."""

    name: str
    centres: tuple[float, ...]
    fwhm: tuple[float, ...]
    band_names: tuple[str, ...] = ()

    def response(self) -> np.ndarray:
        """(F, bands) matrix: fine-grid spectrum @ response -> band values."""
        sigma = np.asarray(self.fwhm) / 2.3548
        weights = np.exp(-0.5 * ((FINE_GRID[:, None] - np.asarray(self.centres)[None]) / sigma[None]) ** 2)
        return weights / weights.sum(0, keepdims=True)


def imaging_spectrometer(bands: int = 128) -> Sensor:
    """An AVIRIS-like instrument: ``bands`` contiguous bands from 400 to 2500 nm."""
    centres = np.linspace(400, 2500, bands)
    width = float(centres[1] - centres[0]) * 1.1
    return Sensor(f"spectrometer-{bands}", tuple(np.round(centres, 1)), (width,) * bands)


SENTINEL2 = Sensor(
    "sentinel-2",
    (443, 490, 560, 665, 705, 740, 783, 842, 865, 945, 1375, 1610, 2190),
    (20, 65, 35, 30, 15, 15, 20, 115, 20, 20, 30, 90, 180),
    ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"),
)

ATMOSPHERIC_WINDOWS = ((1340, 1450), (1790, 1960), (2450, 2500))
"""Where water vapour absorbs the sun's light: little signal reaches the sensor, noise dominates."""


def atmospheric_transmission() -> np.ndarray:
    """(F,) fraction of light that survives two passes through a humid atmosphere."""
    transmission = np.ones_like(FINE_GRID)
    for centre, width, depth in ((940, 25, 0.5), (1135, 30, 0.6), (1395, 40, 0.97), (1880, 50, 0.98), (2500, 60, 0.8)):
        transmission = transmission * (1 - depth * gauss(centre, width))
    return transmission * (1 - 0.35 * gauss(1375, 25))

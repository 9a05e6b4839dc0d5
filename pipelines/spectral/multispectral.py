"""Multispectral land-cover scenes as Sentinel-2 MSI (Level-2A, 12 bands at 10/20/60 m) and
Landsat 8/9 OLI (7 surface-reflectance bands at 30 m) see them.

The library's spectra (``library``) are drawn on the hyperspectral scenes' layouts (fields, a river,
roads, a town), plus wetland beside the water, 3x finer than 10 m, and integrated by each sensor's
band responses: Gaussians from the published centre wavelengths and full widths at half maximum
(MSI from the Sentinel-2A spectral response table, OLI from its band edges). Bands come at their
native resolution (block means of the 10 m render, so coarse pixels mix); the sky adds what real
Level-2A images keep: a haze veil (a blue-heavy path term), clouds (bright and flat, soft
edges), their shadows (lit only by the bluish sky) and a no-data corner. The truth is the land
cover (classes below) where one class covers at least 75% of a pixel not under a cloud, and a
sky layer (0 clear, 1 cloud, 2 cloud shadow) that products' quality layers are written from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..common.landsat import OLI_CENTRES_NM
from ..common.sentinel2 import MSI_BANDS
from . import generator
from . import layout as lay
from .library import SCENE_CLASSES, LandCover, Sensor, class_spectra, vegetation, water

LANDCOVER = (
    LandCover("water", (30, 90, 200)),
    LandCover("tree cover", (20, 110, 40)),
    LandCover("grassland", (150, 210, 90)),
    LandCover("cropland", (240, 200, 60)),
    LandCover("built-up", (200, 40, 40)),
    LandCover("bare soil", (170, 130, 90)),
    LandCover("wetland", (0, 150, 160)),
)
"""Land-cover classes; label values are 1 + the index here (0 = unlabelled)."""

FROM_LIBRARY = {
    "corn": "cropland", "wheat": "cropland", "forest": "tree cover", "grassland": "grassland",
    "bare soil": "bare soil", "kaolinite clay": "bare soil", "carbonate rock": "bare soil", "water": "water",
    "asphalt": "built-up", "concrete roof": "built-up", "red tile roof": "built-up",
}  # fmt: skip
WETLAND = len(SCENE_CLASSES) + 1  # the layout label of the one class the hyperspectral library lacks
CLEAR, CLOUD, SHADOW = 0, 1, 2

MSI_FWHM = {"B01": 21, "B02": 66, "B03": 36, "B04": 31, "B05": 15, "B06": 15, "B07": 20, "B08": 106,
            "B8A": 21, "B09": 20, "B11": 91, "B12": 175}  # fmt: skip
OLI_FWHM = {1: 16, 2: 60, 3: 57, 4: 37, 5: 28, 6: 85, 7: 187}


@dataclass(frozen=True)
class SensorBands:
    """A sensor as products deliver it: bands with names, centres, widths and native resolution."""

    key: str  # "sentinel2" or "landsat", as ``Product.sensor``
    names: tuple[str, ...]
    centres: tuple[float, ...]
    fwhm: tuple[float, ...]
    resolutions: tuple[int, ...]  # metres
    grid: int  # metres of the grid a model reads them on (the finest band)

    def sensor(self) -> Sensor:
        return Sensor(self.key, self.centres, self.fwhm, self.names)


SENTINEL2_L2A = SensorBands(
    "sentinel2",
    tuple(name for name in MSI_FWHM),
    tuple(MSI_BANDS[name][2] for name in MSI_FWHM),
    tuple(float(width) for width in MSI_FWHM.values()),
    tuple(MSI_BANDS[name][1] for name in MSI_FWHM),
    10,
)
LANDSAT_OLI = SensorBands(
    "landsat",
    tuple(f"SR_B{n}" for n in OLI_FWHM),
    tuple(OLI_CENTRES_NM[n] for n in OLI_FWHM),
    tuple(float(width) for width in OLI_FWHM.values()),
    (30,) * len(OLI_FWHM),
    30,
)
SENSORS = {s.key: s for s in (SENTINEL2_L2A, LANDSAT_OLI)}


@dataclass
class MultispectralScene:
    """One generated scene.

    Attributes:
        bands: band name -> (H_r, W_r) float32 surface reflectance at the band's native resolution.
        labels: (H, W) uint8 land cover (1-based, 0 unlabelled) on the sensor's grid.
        sky: (H, W) uint8 CLEAR, CLOUD or SHADOW on the same grid.
        valid: (H, W) bool, False in the no-data corner.
    """

    sensor: SensorBands
    bands: dict[str, np.ndarray]
    labels: np.ndarray
    sky: np.ndarray
    valid: np.ndarray


def wetland_spectra(count: int, rng: np.random.Generator, scene_shift: np.ndarray) -> np.ndarray:
    """Marsh: emergent wet vegetation over standing water, in varying shares."""
    share = rng.uniform(0.25, 0.55, count)[:, None]
    plants = vegetation(rng.uniform(0.5, 0.8, count), rng.uniform(0.85, 1.0, count), 0.07, 0.04, 712, 0.36)
    return share * water(rng.uniform(0.1, 0.6, count)) + (1 - share) * plants


def spectra_of(label: int, count: int, rng: np.random.Generator, scene_shift: np.ndarray) -> np.ndarray:
    if label == WETLAND:
        return wetland_spectra(count, rng, scene_shift)
    return class_spectra(label, count, rng, scene_shift)


def draw_wetland(classes: np.ndarray, rng: np.random.Generator) -> None:
    """Patches of marsh along the water's banks (on the fine grid, in place), never on buildings."""
    water_label = lay.label_of("water")
    reach = rng.uniform(6, 20) * generator.OVERSAMPLE
    distance = ndimage.distance_transform_edt(classes != water_label)
    patchy = lay.smooth_noise(classes.shape, classes.shape[0] / 10, rng) > rng.uniform(-0.3, 0.6)
    natural = np.isin(classes, [lay.label_of(n) for n in lay.FIELD_CLASSES] + [lay.BACKGROUND])
    classes[(distance > 0) & (distance < reach) & patchy & natural] = WETLAND


def sky_fields(shape: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cloud opacity, shadow strength, haze thickness), each (H, W) in [0, 1]; 40% of scenes are clear."""
    height, _ = shape
    haze = rng.uniform(0, 1) * (0.5 + 0.5 * np.clip(lay.smooth_noise(shape, height / 4, rng), -1, 1))
    if rng.uniform() < 0.4:
        return np.zeros(shape), np.zeros(shape), haze
    field = lay.smooth_noise(shape, height / rng.uniform(8, 16), rng)
    cover = rng.uniform(0.05, 0.35)
    threshold = np.quantile(field, 1 - cover)
    opacity = np.clip((field - threshold) / rng.uniform(0.2, 0.6) + 0.3, 0, 1) * (field > threshold - 0.3)
    offset = (rng.uniform(-1, 1, 2) * height / 10).round().astype(int)  # the sun's direction and cloud height
    shadow = np.roll(opacity, tuple(offset), axis=(0, 1))
    return opacity, np.clip(shadow - opacity, 0, 1), haze


def add_sky(cube: np.ndarray, centres: tuple[float, ...], opacity, shadow, haze, rng) -> None:
    """In place on (bands, H, W) reflectance: haze veil, shadows (diffuse skylight only) and clouds."""
    nm = np.asarray(centres, np.float32)[:, None, None]
    path = 0.03 * haze[None] * (490 / nm) ** 2  # scattered skylight: strongest in the blue
    diffuse = 0.3 * (500 / nm) ** 2
    cube *= 1 - 0.8 * shadow[None] * (1 - diffuse)
    cube += path.astype(np.float32)
    brightness = rng.uniform(0.45, 0.85)
    cloud = brightness * (1 - 0.25 * np.clip((nm - 1000) / 1200, 0, 1))  # water droplets absorb a little SWIR
    cube[:] = (1 - opacity[None]) * cube + opacity[None] * cloud


def block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    height, width = image.shape[-2] // factor, image.shape[-1] // factor
    image = image[..., : height * factor, : width * factor]
    return image.reshape(*image.shape[:-2], height, factor, width, factor).mean((-3, -1))


def landcover_of(fractions: np.ndarray) -> np.ndarray:
    """(library classes + wetland + 1, H, W) fractions -> (H, W) 1-based land cover, 0 unlabelled:
    the dominant land-cover class where it covers at least ``LABEL_PURITY`` of the pixel."""
    names = [FROM_LIBRARY[c.name] for c in SCENE_CLASSES] + ["wetland"]
    order = [c.name for c in LANDCOVER]
    cover = np.zeros((len(LANDCOVER), *fractions.shape[1:]), np.float32)
    for library_label, name in enumerate(names, start=1):
        cover[order.index(name)] += fractions[library_label]
    labels = (cover.argmax(0) + 1).astype(np.uint8)
    return np.where(cover.max(0) >= generator.LABEL_PURITY, labels, 0).astype(np.uint8)


def scene(sensor: SensorBands, side: int, seed: int) -> MultispectralScene:
    """A ``side`` x ``side`` scene on ``sensor``'s grid (the side must be a multiple of every band's
    resolution over the grid's, e.g. of 6 for Sentinel-2)."""
    rng = np.random.default_rng(seed)
    fine_side = side * sensor.grid // 10  # the render is at 10 m
    layout = lay.scene_layout(fine_side, generator.OVERSAMPLE, rng)
    draw_wetland(layout.classes, rng)
    classes = len(SCENE_CLASSES) + 1
    noise = rng.uniform(0.002, 0.006)
    rendered = generator.render(layout, sensor.sensor(), rng, noise, classes=classes, spectra_of=spectra_of)
    cube = rendered.reflectance
    opacity, shadow, haze = sky_fields(cube.shape[1:], rng)
    add_sky(cube, sensor.centres, opacity, shadow, haze, rng)
    valid = generator.nodata_corner(cube.shape[1:], rng)
    factor = sensor.grid // 10
    fractions, _ = lay.abundances(layout, generator.OVERSAMPLE * factor, classes)
    labels = landcover_of(fractions)
    cloud, shade = block_mean(opacity, factor), block_mean(shadow, factor)
    sky = np.where(cloud > 0.5, CLOUD, np.where(shade > 0.5, SHADOW, CLEAR)).astype(np.uint8)
    valid_grid = block_mean(valid.astype(np.float32), factor) > 0.5
    labels[(cloud > 0.3) | ~valid_grid] = 0
    bands = {}
    for index, (name, resolution) in enumerate(zip(sensor.names, sensor.resolutions)):
        band = block_mean(cube[index], resolution // 10)
        band += rng.normal(0, noise, band.shape).astype(np.float32)  # each detector's own noise
        band[block_mean(valid.astype(np.float32), resolution // 10) <= 0.5] = np.nan
        bands[name] = np.clip(band, 0.0, 1.5).astype(np.float32)
    return MultispectralScene(sensor, bands, labels, sky, valid_grid)


def on_grid(scene: MultispectralScene) -> np.ndarray:
    """(bands, H, W) float32: every band on the sensor's grid, coarser ones bilinear (as the product
    reader brings them), NaN where there is no data."""
    import torch

    height, width = scene.labels.shape
    out = np.empty((len(scene.bands), height, width), np.float32)
    for index, band in enumerate(scene.bands.values()):
        if band.shape == (height, width):
            out[index] = band
            continue
        tensor = torch.from_numpy(np.nan_to_num(band))[None, None]
        out[index] = torch.nn.functional.interpolate(tensor, (height, width), mode="bilinear")[0, 0].numpy()
    out[:, ~scene.valid] = np.nan
    return out

"""``samples spectral --kind multispectral --product sentinel2|landsat``: generated land-cover scenes
(``multispectral``) written as the providers' products, with their truth.

``inputs/<product>``: a Sentinel-2 L2A ``.SAFE.zip`` (12 bands at 10/20/60 m, ``SCL`` at 20 m) or a
Landsat 9 Collection 2 Level-2 folder (SR_B1-SR_B7 and ``QA_PIXEL`` at 30 m), in their real layout
(``common/product_samples.py``); the quality layer flags the scene's clouds, their shadows and its
no-data corner. ``truth/<product>_classes.tif``: the land cover on the product's grid (10 m or 30 m),
0 = unlabelled (mixed pixels, under clouds, no data), what ``evaluate spectral`` compares with.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rasterio.crs import CRS
from rasterio.transform import from_origin

from ..common.atomic import write_json_atomic
from ..common.product_samples import ProductContent, block_mean, write_landsat, write_sentinel2
from .io import Georeference, write_cube
from .multispectral import CLOUD, LANDCOVER, SENSORS, SHADOW, MultispectralScene, scene

SCL_VEGETATION, SCL_SHADOW, SCL_CLOUD_HIGH = 4, 3, 9
QA_FILL, QA_CLOUD, QA_SHADOW, QA_CLEAR = 1 << 0, 1 << 3, 1 << 4, 1 << 6
ORIGIN = (300000, 5900040)  # the sample products' UTM 34N corner (EPSG:32634)


def quality_layer(rendered: MultispectralScene) -> np.ndarray:
    """SCL (20 m, from the 10 m sky) for Sentinel-2, QA_PIXEL (30 m) for Landsat."""
    if rendered.sensor.key == "sentinel2":
        cloud = block_mean((rendered.sky == CLOUD).astype(float), 2) > 0.5
        shadow = block_mean((rendered.sky == SHADOW).astype(float), 2) > 0.5
        scl = np.where(cloud, SCL_CLOUD_HIGH, np.where(shadow, SCL_SHADOW, SCL_VEGETATION)).astype(np.uint8)
        scl[block_mean(rendered.valid.astype(float), 2) <= 0.5] = 0
        return scl
    qa = np.full(rendered.sky.shape, QA_CLEAR, np.uint16)
    qa[rendered.sky == CLOUD], qa[rendered.sky == SHADOW] = QA_CLOUD, QA_SHADOW
    qa[~rendered.valid] = QA_FILL
    return qa


def write_multispectral(output: Path, count: int, seed: int, product: str, size: int, progress) -> dict:
    if product not in SENSORS:
        raise ValueError(f"--product must be sentinel2 or landsat, got {product!r}")
    sensor = SENSORS[product]
    multiple = max(sensor.resolutions) // sensor.grid
    side = {"sentinel2": 192, "landsat": 64}[product] if size == 145 else size  # 145: the scene default
    side = side // multiple * multiple
    if side < 4 * multiple:
        raise ValueError(f"--size must be at least {4 * multiple} for {product}, got {size}")
    for folder in ("inputs", "truth"):
        (output / folder).mkdir(parents=True, exist_ok=True)
    writer = write_sentinel2 if product == "sentinel2" else write_landsat
    cases = []
    for i in range(count):
        rendered = scene(sensor, side, seed + i)
        path = writer(output / "inputs", seed + i, content=ProductContent(rendered.bands, quality_layer(rendered)))
        unit = path.name.split(".")[0]
        progress(f"{path.name} ({side}x{side} at {sensor.grid} m)")
        georef = Georeference(CRS.from_epsg(32634), from_origin(*ORIGIN, sensor.grid, sensor.grid))
        truth = output / "truth" / f"{unit}_classes.tif"
        write_cube(rendered.labels[None], truth, georef=georef, band_names=["class (0 = unlabelled)"])
        counts = np.bincount(rendered.labels.ravel(), minlength=len(LANDCOVER) + 1)
        sky = {"cloud": int((rendered.sky == CLOUD).sum()), "shadow": int((rendered.sky == SHADOW).sum())}
        labelled = {c.name: int(n) for c, n in zip(LANDCOVER, counts[1:])}
        cases.append({"name": unit, "seed": seed + i, "labelled_pixels": labelled, "sky_pixels": sky})
    manifest = {
        "pipeline": "spectral",
        "kind": "multispectral",
        "product": product,
        "seed": seed,
        "size": side,
        "classes": [{"value": i + 1, "name": c.name, "colour": list(c.colour)} for i, c in enumerate(LANDCOVER)],
        "generator": "pipelines/spectral/multispectral.py",
        "cases": cases,
    }
    write_json_atomic(output / "manifest.json", manifest)
    return manifest

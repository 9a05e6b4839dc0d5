"""The spectral tab's satellite products: a Sentinel-2 ``.SAFE.zip`` (or a Landsat ``.tar``), or a
GeoTIFF whose band descriptions name their bands, in; its centre classified into land cover by the
shipped ``spectral/landcover`` model.

A real Level-2A zip (0.6-1.2 GB) is over the upload limit: the page says to crop it with
``hybridvision predict spectral --bbox``; small products (``samples spectral --kind multispectral``)
fit. The page classifies the centre ``PRODUCT_SIDE`` pixels of the 10 m (or 30 m) grid, the same
``--window`` the command takes, and shows a true-colour composite of that area beside the map.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from .shared import cached_sample, over_checkerboard, predict_folder, shipped, to_display, warning_line
from .spectral_truth import accuracy_line

PRODUCT_SIDE = 512
PRODUCT_SEED = 2100  # never trained on (the shipped model saw seeds 0-23)
TRUE_COLOUR = {"sentinel2": ("B04", "B03", "B02"), "landsat": ("SR_B4", "SR_B3", "SR_B2")}
TEN_METRE = {"sentinel2": "B02,B03,B04,B08", "landsat": "SR_B2,SR_B3,SR_B4,SR_B5"}


def sample_product() -> tuple[Path, Path]:
    """(product, truth) of a generated Sentinel-2 L2A product, made once and cached."""

    def make(folder: Path) -> None:
        from hybridvision.pipelines.spectral.samples import write_samples

        write_samples(folder, 1, PRODUCT_SEED, kind="multispectral", product="sentinel2", size=192, progress=print)

    folder = cached_sample(f"spectral-sentinel2-{PRODUCT_SEED}", make)
    (product,) = (folder / "inputs").iterdir()
    return product, folder / "truth" / f"{product.name.split('.')[0]}_classes.tif"


def centre_window(path: Path) -> tuple[str, str, object]:
    """``--window`` of the centre ``PRODUCT_SIDE`` pixels of the product's grid (or the GeoTIFF's),
    the sensor, and the opened product (None for a GeoTIFF)."""
    from hybridvision.pipelines.common.product_grid import DEFAULT_GRID
    from hybridvision.pipelines.common.products import open_product
    from hybridvision.pipelines.common.rasters import FileRaster
    from hybridvision.pipelines.spectral.landcover_geotiff import is_geotiff, named_bands, sensor_of

    product = None if is_geotiff(path) else open_product(path)
    grid = (
        path if product is None else next(b for b in product.bands if b.resolution == DEFAULT_GRID[product.sensor]).path
    )
    raster = FileRaster(grid)
    height, width, descriptions = raster.height, raster.width, raster.dataset.descriptions
    raster.close()
    sensor = sensor_of(named_bands(descriptions)) if product is None else product.sensor
    side_h, side_w = min(PRODUCT_SIDE, height), min(PRODUCT_SIDE, width)
    return f"{(width - side_w) // 2},{(height - side_h) // 2},{side_w},{side_h}", sensor, product


def true_colour(path: Path, sensor: str, product, window: str) -> np.ndarray:
    """The window's red, green and blue reflectance stretched to 8 bits; holes shown as a checkerboard."""
    from hybridvision.pipelines.common.product_grid import ProductGrid
    from hybridvision.pipelines.spectral.landcover_geotiff import geotiff_source

    column, row, width, height = (int(v) for v in window.split(","))
    names = list(TRUE_COLOUR[sensor])
    if product is None:
        raster, _ = geotiff_source(path, sensor, "", {}, names)  # red, green, blue, whatever the file's order
    else:
        raster = ProductGrid(product, [product.band(n) for n in names], mask="nodata")
    try:
        data, masked = raster.read(row, column, height, width)
    finally:
        raster.close()
    holes = np.isnan(data).any(0) | (masked.any(0) if masked.ndim == 3 else masked)
    rgb = np.nan_to_num(data).transpose(1, 2, 0)
    return over_checkerboard(to_display(rgb, 0.0, 0.3), holes)


def classify_product(path: Path, subset_label: str, truth: Path | None, folder: Path, report: Callable):
    """(RGB, class map preview, area rows, class map file, status) of a product's centre."""
    from hybridvision.pipelines.spectral.writers import class_areas

    from .shared import load_model

    report(0.05, desc="reading the product's metadata")
    window, sensor, product = centre_window(path)
    bands = "all" if subset_label == "all bands" else TEN_METRE[sensor]
    chosen = shipped("spectral").get("landcover")
    if chosen is None:
        raise ValueError("no shipped spectral/landcover checkpoint in this installation")
    report(0.2, desc="classifying the centre of the product")
    start, notes = time.perf_counter(), {}
    outputs = predict_folder(chosen, path, folder / "output", notes, bands=bands, window=window)
    tif, png = (next(p for p in outputs if p.name.endswith(s)) for s in ("_classes.tif", "_classes.png"))
    pipeline, _, _ = load_model(str(chosen))
    areas = class_areas(tif, pipeline.model_cfg.classes)
    rows = [[a["class"], a["pixels"], "" if a["hectares"] is None else round(a["hectares"], 2)] for a in areas]
    kept = "every band" if bands == "all" else f"the 10 m bands ({bands})"
    status = (
        f"{path.name}: {sensor} land cover of the centre {window.split(',', 2)[2].replace(',', ' x ')} "
        f"pixels from {kept}, {time.perf_counter() - start:.1f} s (a whole product: `hybridvision predict "
        "spectral --input <product>`, or `--bbox` for an area)"
    )
    if truth is not None:
        status += accuracy_line(tif, truth)
    return true_colour(path, sensor, product, window), str(png), rows, str(tif), status + warning_line(notes)

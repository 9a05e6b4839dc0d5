"""The tile bench's generated tile: a real-layout Sentinel-2 product of the asked size, a mosaic of
generated scenes, written once and then reused (the full tile takes minutes to encode)."""

from __future__ import annotations

import numpy as np

from hybridvision.bench.limit import matmul_peak
from hybridvision.bench.spectral.tile_bench import cached_tile, mosaic
from hybridvision.pipelines.common.product_grid import ProductGrid
from hybridvision.pipelines.common.products import open_product


def test_the_tile_is_a_product_of_that_size_written_once(tmp_path):
    path = cached_tile(240, tmp_path, lambda _: None, count=2)
    stamp = path.stat().st_mtime_ns
    assert cached_tile(240, tmp_path, lambda _: None, count=2) == path and path.stat().st_mtime_ns == stamp
    product = open_product(path)
    assert len(product.bands) == 12 and product.quality is not None
    grid = ProductGrid(product, [product.band("B04"), product.band("B11")])
    try:
        assert (grid.height, grid.width) == (240, 240)
        data, masked = grid.read(0, 0, 240, 240)
    finally:
        grid.close()
    assert np.isfinite(data[:, ~masked]).mean() > 0.9 and 0 < np.nanmean(data) < 0.6


def test_the_mosaic_repeats_scenes_turned_and_the_peak_is_measured():
    bands, scl = mosaic(420, count=2)
    assert bands["B02"].shape == (420, 420) and bands["B05"].shape == (210, 210) and scl.shape == (210, 210)
    assert bands["B01"].shape == (70, 70)
    assert matmul_peak(1, side=256, repeats=2) > 0.1

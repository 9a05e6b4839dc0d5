"""``--bbox`` (degrees) and ``--window`` (pixels) restrict superres to an area of any georeferenced
raster or product: the output covers that area, on the input's own grid, whatever the band group."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.checkpoint import load_checkpoint
from hybridvision.pipelines.common.product_samples import write_sentinel2
from hybridvision.pipelines.common.rasters import parse_area


def test_malformed_areas_are_refused_naming_the_option():
    assert parse_area("", "") is None
    assert parse_area("", "10,20,30,40") == ("window", (10, 20, 30, 40))
    for bbox, window, said in (
        ("1,2,3", "", "--bbox takes four comma-separated numbers"),
        ("3,2,1,4", "", "west < east"),
        ("", "1,2,0,4", "--window must be whole pixels"),
        ("1,2,3,4", "1,2,3,4", "choose one"),
    ):
        with pytest.raises(ValueError, match=said):
            parse_area(bbox, window)


def test_window_and_bbox_crop_products_and_rasters(tmp_path):
    pipeline, model, _ = load_checkpoint("superres/x2")
    write_sentinel2(tmp_path / "s2", seed=4, side=96)
    options = pipeline.make_options(window="8,16,40,24", bands="B02,B8A")
    report = run_batch(pipeline, model, tmp_path / "s2", tmp_path / "out", options=options)
    assert report.count("done") == 2
    (ten,), (twenty,) = (list((tmp_path / "out").glob(f"*_{r}m_x2.tif")) for r in (10, 20))
    with rasterio.open(ten) as fine, rasterio.open(twenty) as coarse:
        assert (fine.width, fine.height, fine.res) == (80, 48, (5.0, 5.0))  # 40 x 24 pixels of 10 m, x2
        assert (coarse.width, coarse.height, coarse.res) == (40, 24, (10.0, 10.0))  # the same area at 20 m, x2
        assert fine.bounds == coarse.bounds == (300080.0, 5899640.0, 300480.0, 5899880.0)

    raster = tmp_path / "plain" / "dem.tif"
    raster.parent.mkdir()
    profile = dict(driver="GTiff", height=64, width=64, count=1, dtype="uint16", crs="EPSG:4326")
    with rasterio.open(raster, "w", transform=from_origin(10.0, 50.0, 0.01, 0.01), **profile) as dataset:
        dataset.write((np.random.default_rng(0).random((1, 64, 64)) * 1000).astype(np.uint16))
    options = pipeline.make_options(bbox="10.1,49.6,10.3,49.9")
    assert run_batch(pipeline, model, raster.parent, tmp_path / "crop", options=options).count("done") == 1
    with rasterio.open(tmp_path / "crop" / "dem.tif") as crop:
        assert (crop.width, crop.height) == (40, 60) and crop.bounds == pytest.approx((10.1, 49.6, 10.3, 49.9))
    outside = pipeline.make_options(bbox="20,20,21,21")
    failed = run_batch(pipeline, model, raster.parent, tmp_path / "none", options=outside).failed
    assert failed[0].error == "dem.tif: the bbox 20,20,21,21 lies outside the raster"

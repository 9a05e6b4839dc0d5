"""The installed command on products as users run it: ``samples superres --product``, then
``predict superres --scale 2`` on a Sentinel-2 .SAFE.zip and a Landsat folder side by side, a fresh
HOME; every GeoTIFF out is a valid Cloud-Optimised GeoTIFF (rio-cogeo's validator) at half the
pixel size, with a STAC Item beside it; ``predict spectral`` gives products to the land-cover model
and a hyperspectral model refuses one in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import rasterio
from rio_cogeo.cogeo import cog_validate

from tests.homes import fresh_home

COMMAND = str(Path(sys.executable).parent / "hybridvision")


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=environment, timeout=600)


def check_item(item_path: Path, raster_path: Path, source_id: str, checkpoint: str = "superres/x2") -> None:
    """The Item's fields checked against the STAC 1.x Item and projection-extension specs (pystac's
    own ``validate`` fetches the schemas from the network, which the tests may not use)."""
    item = json.loads(item_path.read_text())
    assert item["type"] == "Feature" and item["stac_version"].startswith("1.") and item["id"] == raster_path.stem
    assert item["geometry"]["type"] == "Polygon" and len(item["geometry"]["coordinates"][0]) == 5
    west, south, east, north = item["bbox"]
    assert -180 <= west < east <= 180 and -90 <= south < north <= 90
    properties = item["properties"]
    assert properties["datetime"] and properties["hybridvision:source"] == source_id
    assert (
        properties["hybridvision:checkpoint"] == "superres/x2"
        and len(properties["hybridvision:checkpoint_sha256"]) == 64
    )
    asset = item["assets"]["data"]
    assert asset["href"] == f"./{raster_path.name}" and "data" in asset["roles"] and "cloud-optimized" in asset["type"]
    with rasterio.open(raster_path) as dataset:
        assert properties["proj:code"] == f"EPSG:{dataset.crs.to_epsg()}"
        assert properties["proj:shape"] == [dataset.height, dataset.width]
        assert properties["proj:transform"] == list(dataset.transform)[:6]


def test_predict_superres_on_a_sentinel2_zip_and_a_landsat_folder(tmp_path):
    home = fresh_home()
    for product in ("sentinel2", "landsat"):
        done = run("samples", "superres", "--product", product, "--n", "1", "--output", str(tmp_path / "s"), home=home)
        assert done.returncode == 0, done.stderr
    inputs = tmp_path / "s" / "inputs"
    (zipped,) = inputs.glob("S2B_MSIL2A_*.SAFE.zip")
    (landsat,) = inputs.glob("LC09_L2SP_*")
    done = run(
        "predict", "superres", "--scale", "2", "--input", str(inputs), "--output", str(tmp_path / "out"), home=home
    )
    assert done.returncode == 0, done.stderr
    s2_id, l9_id = zipped.name.removesuffix(".SAFE.zip"), landsat.name
    outputs = sorted(p.name for p in (tmp_path / "out").iterdir())
    expected = [f"{l9_id}_30m_x2.json", f"{l9_id}_30m_x2.tif", f"{s2_id}_10m_x2.json", f"{s2_id}_10m_x2.tif"]
    assert outputs == [*expected, "report.json"]
    for stem, source_id, pixel, bands in ((f"{s2_id}_10m_x2", s2_id, 5.0, 4), (f"{l9_id}_30m_x2", l9_id, 15.0, 6)):
        raster = tmp_path / "out" / f"{stem}.tif"
        valid, errors, warnings = cog_validate(str(raster))
        assert valid and not errors and not warnings, (errors, warnings)
        with rasterio.open(raster) as dataset:
            assert dataset.res == (pixel, pixel) and dataset.count == bands and dataset.dtypes[0] == "float32"
            assert dataset.crs.to_epsg() == 32634 and np.isnan(dataset.nodata)
            data = dataset.read(1)
            assert np.isnan(data).any() and 0 < np.nanmean(data) < 1  # no-data strip kept; reflectance
        check_item(tmp_path / "out" / f"{stem}.json", raster, source_id)
    again = run(
        "predict", "superres", "--scale", "2", "--input", str(inputs), "--output", str(tmp_path / "out"), home=home
    )
    assert again.returncode == 0 and "2 skipped" in again.stderr  # resumable: one unit a product's group

    args = ("--checkpoint", "spectral/scene", "--input", str(zipped), "--output", str(tmp_path / "spectral"))
    refused = run("predict", "spectral", *args, home=home)  # a hyperspectral model never saw these bands
    assert refused.returncode == 1
    (unit,) = json.loads((tmp_path / "spectral" / "report.json").read_text())["units"]
    assert unit["status"] == "failed" and unit["error"].startswith(f"{zipped.name}: a Sentinel-2 product (B01, B02,")
    assert "use --checkpoint spectral/landcover" in unit["error"] and "\n" not in unit["error"]

    default = run("predict", "spectral", "--input", str(inputs), "--output", str(tmp_path / "landcover"), home=home)
    assert default.returncode == 0, default.stderr  # products go to the shipped land-cover model
    report = json.loads((tmp_path / "landcover" / "report.json").read_text())
    assert report["checkpoint"]["name"] == "spectral/landcover" and len(report["units"]) == 2


def test_every_georeferenced_output_has_its_item(tmp_path):
    """A plain GeoTIFF's upscaled copy and a scene's class map get an Item too, dated by the input's
    TIFFTAG_DATETIME; an input without one gets no datetime and says why."""
    from rasterio.transform import from_origin

    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.common.checkpoint import load_checkpoint

    (tmp_path / "in").mkdir()
    profile = dict(driver="GTiff", height=40, width=48, count=1, dtype="uint16", crs="EPSG:32633")
    for name, tags in (("dated.tif", {"TIFFTAG_DATETIME": "2024:05:17 10:30:00"}), ("undated.tif", {})):
        with rasterio.open(tmp_path / "in" / name, "w", transform=from_origin(500000, 4000000, 10, 10), **profile) as d:
            d.write((np.random.default_rng(0).random((1, 40, 48)) * 1000).astype(np.uint16))
            d.update_tags(**tags)
    pipeline, model, _ = load_checkpoint("superres/x2")
    assert run_batch(pipeline, model, tmp_path / "in", tmp_path / "out").count("done") == 2
    check_item(tmp_path / "out" / "dated.json", tmp_path / "out" / "dated.tif", "dated.tif")
    assert json.loads((tmp_path / "out" / "dated.json").read_text())["properties"]["datetime"] == "2024-05-17T10:30:00Z"
    undated = json.loads((tmp_path / "out" / "undated.json").read_text())["properties"]
    assert undated["datetime"] is None and undated["start_datetime"] == undated["end_datetime"]
    assert "unknown acquisition time" in undated["hybridvision:datetime_source"]
    assert cog_validate(str(tmp_path / "out" / "undated.tif"))[0]

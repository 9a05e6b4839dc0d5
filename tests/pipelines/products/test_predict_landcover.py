"""Land cover from products as users run it: the installed command, a fresh HOME, a Sentinel-2
.SAFE.zip and a Landsat folder from ``samples spectral --kind multispectral``, a landcover model
trained by ``train`` at its test size. The class map and the confidence map are valid Cloud-Optimised
GeoTIFFs on the product's grid with STAC Items; a pixel the quality layer flags is no data; a
re-run resumes; a sensor the model does not declare is refused in one line."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rio_cogeo.cogeo import cog_validate

from tests.homes import fresh_home
from tests.pipelines.products.test_predict_products import run

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "spectral" / "landcover_tiny.yaml"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root, home = tmp_path_factory.mktemp("landcover"), fresh_home()
    for product, size in (("sentinel2", "96"), ("landsat", "32")):
        args = ("--kind", "multispectral", "--product", product, "--size", size, "--seed", "1", "--n", "1")
        done = run("samples", "spectral", *args, "--output", str(root / product), home=home)
        assert done.returncode == 0, done.stderr
        shutil.copytree(root / product / "inputs", root / "inputs", dirs_exist_ok=True)
    done = run("train", "-c", str(CONFIG), "-o", str(root / "run"), home=home)
    assert done.returncode == 0, done.stderr
    return root, home, root / "run" / "model.safetensors"


def test_products_to_class_and_confidence_cogs(setup):
    root, home, checkpoint = setup
    out = root / "out"
    predict = ("predict", "spectral", "--checkpoint", str(checkpoint), "--input", str(root / "inputs"), "--output")
    done = run(*predict, str(out), home=home)
    assert done.returncode == 0, done.stderr
    (s2,) = (root / "inputs").glob("S2B_MSIL2A_*.SAFE.zip")
    (l9,) = (root / "inputs").glob("LC09_L2SP_*")
    for unit, pixel, side, sensor in ((s2.name.split(".")[0], 10.0, 96, "sentinel2"), (l9.name, 30.0, 32, "landsat")):
        classes_path, confidence_path = out / f"{unit}_classes.tif", out / f"{unit}_confidence.tif"
        for path in (classes_path, confidence_path):
            valid, errors, warnings = cog_validate(str(path))
            assert valid and not errors and not warnings, (path.name, errors, warnings)
        with rasterio.open(classes_path) as dataset:
            assert dataset.res == (pixel, pixel) and (dataset.height, dataset.width) == (side, side)
            assert dataset.crs.to_epsg() == 32634 and dataset.nodata == 0
            classes, colours = dataset.read(1), dataset.colormap(1)
            assert colours[1][:3] == (30, 90, 200)  # water's colour: QGIS shows the legend
        with rasterio.open(confidence_path) as dataset:
            confidence = dataset.read(1)
        assert classes.max() <= 7 and (classes > 0).any()
        np.testing.assert_array_equal(classes == 0, confidence == 0)  # no class, no confidence
        assert confidence[classes > 0].min() >= 100 // 7  # a softmax's winner has at least 1/7
        truth = json.loads((root / sensor / "manifest.json").read_text())["cases"][0]["sky_pixels"]
        assert (classes == 0).sum() >= truth["cloud"]  # every cloud (and no-data) pixel is a hole
        names = (out / f"{unit}_classes.tif.aux.xml").read_text()
        assert "<Category>no data</Category>" in names and "<Category>wetland</Category>" in names
        for stem in (f"{unit}_classes", f"{unit}_confidence"):
            item = json.loads((out / f"{stem}.json").read_text())
            assert item["id"] == stem and item["properties"]["hybridvision:source"] == unit
            assert item["properties"]["datetime"] and item["properties"]["proj:shape"] == [side, side]
            assert item["assets"]["data"]["href"] == f"./{stem}.tif"
    again = run(*predict, str(out), home=home)
    assert again.returncode == 0 and "2 skipped" in again.stderr

    unmasked = root / "unmasked"
    args = ("--mask", "none", "--bands", "B02,B03,B04,B08", "--input", str(s2), "--output", str(unmasked))
    assert run("predict", "spectral", "--checkpoint", str(checkpoint), *args, home=home).returncode == 0
    with rasterio.open(unmasked / f"{s2.name.split('.')[0]}_classes.tif") as dataset:
        assert (dataset.read(1) == 0).sum() < (classes_of(out, s2) == 0).sum()  # clouds classified too


def test_products_on_dask_give_the_serial_class_maps(setup, tmp_path):
    root, home, checkpoint = setup
    common = ("predict", "spectral", "--checkpoint", str(checkpoint), "--input", str(root / "inputs"))
    serial = run(*common, "--output", str(tmp_path / "serial"), home=home)
    dask = run(*common, "--output", str(tmp_path / "dask"), "--workers", "1", home=home)
    assert serial.returncode == 0 and dask.returncode == 0, dask.stderr
    for product in sorted((root / "inputs").iterdir()):
        np.testing.assert_array_equal(classes_of(tmp_path / "serial", product), classes_of(tmp_path / "dask", product))


def classes_of(out: Path, product: Path) -> np.ndarray:
    with rasterio.open(out / f"{product.name.split('.')[0]}_classes.tif") as dataset:
        return dataset.read(1)


def test_flips_and_rotations_give_an_entropy_map(setup, tmp_path):
    root, home, checkpoint = setup
    (landsat,) = (root / "inputs").glob("LC09_L2SP_*")
    args = ("--tta", "--input", str(landsat), "--output", str(tmp_path / "tta"))
    assert run("predict", "spectral", "--checkpoint", str(checkpoint), *args, home=home).returncode == 0
    entropy_path = tmp_path / "tta" / f"{landsat.name}_entropy.tif"
    assert cog_validate(str(entropy_path))[0]
    with rasterio.open(entropy_path) as dataset, rasterio.open(tmp_path / "tta" / f"{landsat.name}_classes.tif") as c:
        entropy, classes = dataset.read(1), c.read(1)
    np.testing.assert_array_equal(entropy == 0, classes == 0)
    assert entropy[classes > 0].min() >= 1 and json.loads(
        (tmp_path / "tta" / f"{landsat.name}_entropy.json").read_text()
    )


def test_an_area_and_a_sensor_the_model_does_not_read(setup, tmp_path):
    root, home, checkpoint = setup
    (s2,) = (root / "inputs").glob("S2B_MSIL2A_*.SAFE.zip")
    args = ("--window", "10,20,30,40", "--input", str(s2), "--output", str(tmp_path / "area"))
    assert run("predict", "spectral", "--checkpoint", str(checkpoint), *args, home=home).returncode == 0
    with rasterio.open(tmp_path / "area" / f"{s2.name.split('.')[0]}_classes.tif") as dataset:
        assert (dataset.width, dataset.height) == (30, 40) and dataset.transform.c == 300000 + 10 * 10

    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.common.checkpoint import load_checkpoint
    from hybridvision.pipelines.common.product_samples import ProductContent, write_sentinel2
    from hybridvision.pipelines.spectral.multispectral import SENTINEL2_L2A, scene

    overcast = scene(SENTINEL2_L2A, 48, 5)
    cloudy = write_sentinel2(
        tmp_path / "cloudy", 7, content=ProductContent(overcast.bands, np.full((24, 24), 9, np.uint8))
    )
    pipeline, model, _ = load_checkpoint(checkpoint)
    pipeline.model_cfg = dataclasses.replace(pipeline.model_cfg, sensors=("sentinel2",))
    (landsat,) = (root / "inputs").glob("LC09_L2SP_*")
    shutil.copytree(landsat, tmp_path / "mixed" / landsat.name)
    shutil.copy(cloudy, tmp_path / "mixed" / cloudy.name)
    shutil.copy(s2, tmp_path / "mixed" / s2.name)
    run_batch(pipeline, model, tmp_path / "mixed", tmp_path / "refused")
    units = {u["name"]: u for u in json.loads((tmp_path / "refused" / "report.json").read_text())["units"]}
    assert [u["status"] for u in units.values()].count("done") == 1  # the batch went on past both
    refused, overcast_unit = units[landsat.name], units[cloudy.name.split(".")[0]]
    assert refused["error"] == f"{landsat.name}: a landsat product; this model reads sentinel2 products"
    assert overcast_unit["error"] == (
        f"{cloudy.name}: no pixel to classify (every one is no data, or cloud or shadow under --mask clouds)"
    )
    written = sorted(p.name for p in (tmp_path / "refused").iterdir())
    assert not any(name.startswith((landsat.name, cloudy.name.split(".")[0])) for name in written)


def product_stack(product_path: Path) -> tuple[np.ndarray, dict]:
    """A product's bands on its grid as reflectance (no mask), and that grid's profile."""
    from hybridvision.pipelines.common.product_grid import ProductGrid
    from hybridvision.pipelines.common.products import open_product

    product = open_product(product_path)
    grid = ProductGrid(product, product.bands, 0, "none")
    try:
        data, _ = grid.read(0, 0, grid.height, grid.width)
        return data, {"crs": grid.crs, "transform": grid.transform, "names": [b.name for b in product.bands]}
    finally:
        grid.close()


def write_geotiff(path: Path, data: np.ndarray, grid: dict, descriptions=None, **profile) -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", count=len(data), height=data.shape[1], width=data.shape[2],
        dtype=data.dtype, crs=grid["crs"], transform=grid["transform"], **profile,
    ) as dataset:  # fmt: skip
        dataset.write(data)
        for index, text in enumerate(descriptions or (), 1):
            dataset.set_band_description(index, text)
    return path


def test_geotiffs_named_by_description_sensor_or_wavelengths(setup, tmp_path):
    """A stack exported from a product (uint16 counts, bands described as B01 ...), one with no
    names read by --sensor, a four-band one by --wavelengths: each classified on its own grid as
    the product is; without names, one line asking for them, and the batch goes on."""
    root, home, checkpoint = setup
    (s2,) = (root / "inputs").glob("S2B_MSIL2A_*.SAFE.zip")
    (l9,) = (root / "inputs").glob("LC09_L2SP_*")
    reflectance, grid = product_stack(s2)
    counts = np.where(np.isnan(reflectance), 0, np.clip(np.round(reflectance * 10000), 1, 65535)).astype(np.uint16)
    folder = tmp_path / "tifs"
    folder.mkdir()
    write_geotiff(folder / "exported.tif", counts, grid, descriptions=grid["names"])
    landsat, landsat_grid = product_stack(l9)
    write_geotiff(folder / "nameless.tif", landsat, landsat_grid)  # float32 reflectance, no descriptions
    out = tmp_path / "out"
    common = ("predict", "spectral", "--checkpoint", str(checkpoint))
    done = run(*common, "--input", str(folder), "--output", str(out), home=home)
    assert done.returncode == 1 and "1 done, 0 skipped, 1 failed" in done.stderr, done.stderr
    units = {u["name"]: u for u in json.loads((out / "report.json").read_text())["units"]}
    assert units["exported"]["status"] == "done"
    assert units["nameless"]["error"] == (
        "nameless.tif: 7 bands but no wavelengths or band names: give --sensor sentinel2|landsat "
        "(bands in the product's order) or --wavelengths (nm, one per band)"
    )
    product = tmp_path / "product"
    assert run(*common, "--mask", "none", "--input", str(s2), "--output", str(product), home=home).returncode == 0
    from_tif, from_product = classes_of(out, folder / "exported.tif"), classes_of(product, s2)
    assert (from_tif == from_product).mean() > 0.99  # the same pixels, stored as 1e-4 counts
    with rasterio.open(out / "exported_classes.tif") as dataset:
        assert dataset.crs == grid["crs"] and dataset.transform == grid["transform"]
    item = json.loads((out / "exported_classes.json").read_text())
    assert item["assets"]["data"]["title"].endswith("from " + ", ".join(grid["names"]))

    args = ("--sensor", "landsat", "--input", str(folder / "nameless.tif"), "--output", str(tmp_path / "landsat"))
    assert run(*common, *args, home=home).returncode == 0
    landsat_product = tmp_path / "landsat_product"
    assert (
        run(*common, "--mask", "none", "--input", str(l9), "--output", str(landsat_product), home=home).returncode == 0
    )
    np.testing.assert_array_equal(
        classes_of(tmp_path / "landsat", folder / "nameless.tif"), classes_of(landsat_product, l9)
    )

    (tmp_path / "four").mkdir()
    four = write_geotiff(tmp_path / "four" / "four.tif", reflectance[[1, 2, 3, 7]], grid)  # B02, B03, B04, B08
    args = ("--wavelengths", "490,560,665,842", "--input", str(four), "--output", str(tmp_path / "out4"))
    done = run(*common, *args, home=home)
    assert done.returncode == 0, done.stderr
    item = json.loads((tmp_path / "out4" / "four_classes.json").read_text())
    assert item["assets"]["data"]["title"].endswith("from B02, B03, B04, B08")


def test_a_student_learns_its_teacher(setup, tmp_path):
    """train.teacher: the land-cover checkpoint teaches a fresh model of the same config; with the
    teacher's loss alone, the distance to it falls, and the export names its teacher."""
    import csv

    from hybridvision.pipelines.common.checkpoint import read_metadata
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.common.training import train

    _, _, checkpoint = setup
    config = load_config(CONFIG)
    settings = {"teacher": str(checkpoint), "distill_weight": 1.0, "max_steps": 30, "val_every_steps": 30}
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, **settings))
    result = train(config, tmp_path / "student", progress_bar=False)
    with open(result.run_dir / "logs" / "metrics.csv") as handle:
        distances = [float(r["train/distill"]) for r in csv.DictReader(handle) if r.get("train/distill")]
    assert len(distances) == 30 and np.mean(distances[-5:]) < 0.7 * np.mean(distances[:5])
    assert read_metadata(result.model_path)["provenance"]["teacher"].startswith(str(checkpoint))

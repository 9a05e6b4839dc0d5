"""The product reader on real metadata documents (vendored, tests/data/products/SOURCES.md) and on
products written in the real layout: scale and offset from each product's own metadata, band
names, resolutions and wavelengths, time, grid; and bad products, each refused in one line."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
import rasterio

from hybridvision.pipelines.common.product_samples import write_landsat, write_sentinel2
from hybridvision.pipelines.common.products import ProductRaster, find_products, open_product
from hybridvision.pipelines.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "data" / "products"


def safe_folder(tmp_path: Path, document: str) -> Path:
    """A .SAFE folder around a real MTD_MSIL2A.xml, with an (empty) file for every IMAGE_FILE it lists."""
    text = (DATA / document).read_text()
    uri = text.split("<PRODUCT_URI>")[1].split("</PRODUCT_URI>")[0]
    folder = tmp_path / uri
    folder.mkdir()
    (folder / "MTD_MSIL2A.xml").write_text(text)
    for entry in text.split("<IMAGE_FILE>")[1:]:
        image = folder / (entry.split("</IMAGE_FILE>")[0] + ".jp2")
        image.parent.mkdir(parents=True, exist_ok=True)
        image.touch()
    return folder


def test_real_sentinel2_documents_before_and_after_baseline_04(tmp_path):
    new = open_product(safe_folder(tmp_path, "S2B_MSIL2A_N0509_MTD_MSIL2A.xml"))
    old = open_product(safe_folder(tmp_path, "S2A_MSIL2A_N0208_MTD_MSIL2A.xml"))
    assert new.notes["processing_baseline"] == "05.09" and old.notes["processing_baseline"] == "02.08"
    names = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]
    assert [b.name for b in new.bands] == names and [b.name for b in old.bands] == names
    b02 = new.band("B02")
    assert (b02.resolution, b02.wavelength, b02.scale) == (10, 492.3, 1e-4)  # the document's own centre
    assert b02.offset == pytest.approx(-0.1)  # BOA_ADD_OFFSET -1000 / 10000
    assert all(b.offset == 0 for b in old.bands) and old.band("B02").scale == 1e-4  # no offset before 04.00
    assert old.band("B8A").resolution == 20 and "R20m" in old.band("B8A").path  # each band at its own resolution
    assert new.datetime == datetime(2023, 8, 23, 9, 55, 59, 24000, tzinfo=timezone.utc)
    assert new.platform == "sentinel-2b" and old.platform == "sentinel-2a"
    assert new.id == "S2B_MSIL2A_20230823T095559_N0509_R122_T34UCF_20230823T124759"
    assert new.quality.endswith("_SCL_20m.jp2")


def test_real_landsat_metadata_and_refused_missions(tmp_path):
    folder = tmp_path / "LC08_L2SP_008059_20191201_20200825_02_T1"
    folder.mkdir()
    shutil.copy(DATA / f"{folder.name}_MTL.json", folder)
    for number in range(1, 8):
        (folder / f"{folder.name}_SR_B{number}.TIF").touch()
    product = open_product(folder)
    assert product.platform == "landsat-8" and product.id == folder.name
    assert [b.name for b in product.bands] == [f"SR_B{n}" for n in range(1, 8)]
    assert all((b.scale, b.offset, b.resolution) == (2.75e-05, -0.2, 30) for b in product.bands)  # the LEVEL2 group
    assert product.datetime.isoformat().startswith("2019-12-01T15:13:51")
    seven = tmp_path / "LE07_L2SP_021030_20100109_20200911_02_T1"
    seven.mkdir()
    shutil.copy(DATA / f"{seven.name}_MTL.xml", seven)
    with pytest.raises(InputError, match=f"^{seven.name}: Landsat 7 is not supported; Landsat 8 and 9"):
        open_product(seven)


@pytest.mark.parametrize("baseline,offset", [("05.09", -1000), ("02.08", 0)])
def test_sentinel2_zip_reflectance_from_its_own_metadata(tmp_path, baseline, offset):
    path = write_sentinel2(tmp_path, seed=3, side=96, baseline=baseline)
    assert find_products(tmp_path) == [path] and path.name.endswith(".SAFE.zip")
    product = open_product(path)
    groups = product.groups(["B04", "B8A", "B02"])
    assert list(groups) == [10.0, 20.0] and [b.name for b in groups[10.0]] == ["B04", "B02"]
    raster = ProductRaster(product, groups[10.0])
    data, holes = raster.read(10, 0, 30, 40)  # the no-data strip is at the left edge
    raster.close()
    with rasterio.open(groups[10.0][0].path) as dataset:  # the stored counts, read by GDAL directly
        stored = dataset.read(1)[10:40, 0:40].astype(float)
        assert (raster.crs, raster.transform) == (dataset.crs, dataset.transform)
    assert np.allclose(data[0][~holes[0]], ((stored + offset) / 10000)[stored > 0], atol=1e-4)
    assert (holes[0] == (stored == 0)).all() and holes[0].any() and (data[0][~holes[0]] > 0).all()


def test_landsat_folder_reflectance_and_grid(tmp_path):
    folder = write_landsat(tmp_path, seed=2, side=48)
    product = open_product(folder)
    raster = ProductRaster(product, product.groups(["SR_B5"])[30.0])
    data, holes = raster.read(0, 0, 48, 48)
    raster.close()
    with rasterio.open(product.band("SR_B5").path) as dataset:
        stored = dataset.read(1).astype(float)
        assert dataset.res == (30.0, 30.0) and dataset.crs.to_epsg() == 32634
    assert np.allclose(data[0][~holes[0]], (stored * 2.75e-05 - 0.2)[stored > 0], atol=1e-6)
    assert holes[0].sum() == (stored == 0).sum() > 0


def test_sample_products_of_a_long_run_have_their_own_acquisition_times():
    from hybridvision.pipelines.common.product_samples import acquired

    seeds = [*range(3000, 3400), 4000, 5000]  # samples --n 400 --seed 3000; and seeds a thousand apart
    assert len({acquired(seed) for seed in seeds}) == len(seeds)


def test_a_rerun_of_landsat_samples_replaces_the_product_and_each_name_carries_its_date(tmp_path):
    first = write_landsat(tmp_path, seed=3011, side=12)
    again = write_landsat(tmp_path, seed=3011, side=12)
    other = write_landsat(tmp_path, seed=4011, side=12)  # the same day of the year, a thousand seeds on
    assert (
        first == again
        and other != first
        and sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name])
    )
    product = open_product(first)
    assert product.id == first.name and first.name.split("_")[3] == f"{product.datetime:%Y%m%d}"


def test_bad_products_fail_in_one_line_naming_them(tmp_path):
    good = write_sentinel2(tmp_path / "s2", seed=1, side=48)
    missing = tmp_path / "missing" / good.name
    missing.parent.mkdir()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(missing, "w") as target:
        for item in source.infolist():
            if "_B03_10m" not in item.filename:
                target.writestr(item, source.read(item))
    with pytest.raises(InputError, match=r"band B03 is listed but its file .*_B03_10m\.jp2 is missing"):
        open_product(missing)
    truncated = tmp_path / "truncated" / good.name
    truncated.parent.mkdir()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(truncated, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename.endswith(".xml") else data)
    with pytest.raises(InputError, match=f"^{truncated.name}: MTD_MSIL2A.xml is not readable XML"):
        open_product(truncated)
    corrupt = tmp_path / "S2A_MSIL2A_corrupt.SAFE.zip"
    corrupt.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    with pytest.raises(InputError, match=f"^{corrupt.name}: not a readable zip archive"):
        open_product(corrupt)
    bomb = tmp_path / "S2A_MSIL2A_bomb.SAFE.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("S2A_MSIL2A_bomb.SAFE/zeros.bin", bytes(64 * 2**20))
    with pytest.raises(InputError, match=f"^{bomb.name}: refused: it would unpack to 64 MB"):
        open_product(bomb)
    landsat = write_landsat(tmp_path / "l", seed=1, side=32)
    without = tmp_path / "without" / landsat.name
    shutil.copytree(landsat, without)
    next(without.glob("*_MTL.json")).unlink()
    with pytest.raises(InputError, match=f"^{landsat.name}: no \\*_MTL.json"):
        open_product(without)
    moved = tmp_path / "moved" / landsat.name
    shutil.copytree(landsat, moved)
    band = next(moved.glob("*_SR_B3.TIF"))
    with rasterio.open(band) as dataset:
        array, profile = dataset.read(), dict(dataset.profile, crs="EPSG:32633", driver="GTiff")
    band.unlink()
    with rasterio.open(band, "w", **profile) as dataset:
        dataset.write(array)
    product = open_product(moved)
    with pytest.raises(InputError, match=f"^{landsat.name}: band SR_B3 is on another grid than SR_B2"):
        ProductRaster(product, product.groups(["SR_B2", "SR_B3"])[30.0])
    manifest = json.loads(next(landsat.glob("*_MTL.json")).read_text())
    assert manifest["LANDSAT_METADATA_FILE"]["IMAGE_ATTRIBUTES"]["SPACECRAFT_ID"] == "LANDSAT_9"


def test_a_landsat_tar_reads_in_place_like_its_folder(tmp_path):
    import tarfile

    folder = write_landsat(tmp_path / "folder", seed=5, side=32)
    archive = tmp_path / f"{folder.name}.tar"
    with tarfile.open(archive, "w") as tar:
        for file in sorted(folder.iterdir()):
            tar.add(file, arcname=file.name)
    assert find_products(tmp_path) == [archive]
    unpacked, packed = open_product(folder), open_product(archive)
    assert packed.id == unpacked.id and packed.band("SR_B4").path.startswith("/vsitar/")
    readers = [ProductRaster(p, p.groups(["SR_B4", "SR_B7"])[30.0]) for p in (unpacked, packed)]
    (a, holes_a), (b, holes_b) = (r.read(0, 0, 32, 32) for r in readers)
    for reader in readers:
        reader.close()
    assert np.array_equal(holes_a, holes_b) and np.array_equal(a[~holes_a], b[~holes_b])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["folder", archive.name])  # nothing extracted

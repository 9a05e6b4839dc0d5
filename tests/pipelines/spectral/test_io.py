"""Hyperspectral cube readers and writers: round trips, benchmark .mat files, nodata, bad inputs."""

from pathlib import Path

import h5py
import numpy as np
import pytest
import rasterio
import scipy.io
from rasterio.crs import CRS
from rasterio.transform import Affine

from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.spectral.io import (
    Georeference,
    read_class_map,
    read_cube,
    write_class_map_mat,
    write_cube,
)

BANDS, HEIGHT, WIDTH = 6, 9, 7  # width >= bands, so .npy reads back as (bands, H, W)
WAVELENGTHS = tuple(400.0 + 12.5 * i for i in range(BANDS))


@pytest.fixture
def cube_data():
    return np.random.default_rng(0).uniform(0, 1, (BANDS, HEIGHT, WIDTH)).astype(np.float32)


@pytest.mark.parametrize("suffix", [".tif", ".hdr", ".mat", ".npy"])
def test_round_trip(tmp_path, cube_data, suffix):
    path = tmp_path / f"scene{suffix}"
    wavelengths = None if suffix == ".npy" else WAVELENGTHS
    write_cube(cube_data, path, wavelengths=wavelengths)
    cube = read_cube(path)
    np.testing.assert_array_equal(cube.data, cube_data)
    assert cube.data.dtype == np.float32
    assert cube.wavelengths == wavelengths
    assert cube.valid.shape == (HEIGHT, WIDTH) and cube.valid.all()
    assert len(cube.band_names) == BANDS and cube.path == path
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporaries left


def test_geotiff_keeps_georeference_nodata_names_and_integer_dtype(tmp_path, cube_data):
    path = tmp_path / "scene.tif"
    georef = Georeference(CRS.from_epsg(32613), Affine(30, 0, 500000, 0, -30, 4000000))
    data = (cube_data * 1000).astype(np.uint16)
    data[:, 0, 0] = 65535
    names = [f"b{i}" for i in range(BANDS)]
    write_cube(data, path, wavelengths=WAVELENGTHS, georef=georef, nodata=65535, band_names=names)
    with rasterio.open(path) as dataset:
        assert dataset.dtypes[0] == "uint16" and dataset.compression.name.lower() == "deflate"
        assert dataset.tags(1)["wavelength_nm"] == "400.0"
    cube = read_cube(path)
    assert cube.georef.crs == CRS.from_epsg(32613) and cube.georef.transform == georef.transform
    assert cube.nodata == 65535 and cube.band_names == tuple(names) and cube.wavelengths == WAVELENGTHS
    np.testing.assert_array_equal(cube.data, data.astype(np.float32))
    assert not cube.valid[0, 0] and cube.valid.sum() == HEIGHT * WIDTH - 1


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_geotiff_gdal_wavelength_tags_in_micrometres(tmp_path, cube_data):
    path = tmp_path / "scene.tif"
    profile = dict(driver="GTiff", count=BANDS, height=HEIGHT, width=WIDTH, dtype="float32")
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(cube_data)
        for index in range(1, BANDS + 1):
            dataset.update_tags(index, wavelength=str(WAVELENGTHS[index - 1] / 1000), wavelength_units="Micrometers")
    cube = read_cube(path)
    assert cube.georef == Georeference(None, None)
    np.testing.assert_allclose(cube.wavelengths, WAVELENGTHS)
    assert cube.band_names[0] == "band 1"


def test_envi_files_and_micrometres(tmp_path, cube_data):
    path = tmp_path / "scene.hdr"
    write_cube(cube_data, path, wavelengths=[w / 1000 for w in WAVELENGTHS], nodata=-1.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.hdr", "scene.img"]
    header = path.read_text()
    assert "interleave = bsq" in header and "wavelength units = nm" in header
    path.write_text(header.replace("wavelength units = nm", "wavelength units = Micrometers"))
    cube = read_cube(path)
    np.testing.assert_allclose(cube.wavelengths, WAVELENGTHS)
    assert cube.nodata == -1.0 and cube.band_names == tuple(f"band {i + 1}" for i in range(BANDS))


def test_benchmark_mat_finds_cube_and_ground_truth(tmp_path):
    rng = np.random.default_rng(1)
    cube_hwb = rng.integers(0, 9000, (HEIGHT, WIDTH, 20)).astype(np.uint16)  # more bands than pixels a side
    gt = rng.integers(0, 5, (HEIGHT, WIDTH)).astype(np.uint8)
    path = tmp_path / "Indian_pines.mat"
    scipy.io.savemat(path, {"Indian_pines_corrected": cube_hwb, "indian_pines_gt": gt})
    cube = read_cube(path)
    np.testing.assert_array_equal(cube.data, cube_hwb.transpose(2, 0, 1))
    np.testing.assert_array_equal(cube.ground_truth, gt)
    assert cube.ground_truth.dtype == np.int64 and cube.wavelengths is None


def test_mat_without_ground_truth_takes_last_axis_as_bands(tmp_path):
    cube_hwb = np.arange(5 * 5 * 40, dtype=np.float64).reshape(5, 5, 40)  # Indian Pines-like: bands is the largest
    scipy.io.savemat(tmp_path / "scene.mat", {"scene": cube_hwb})
    assert read_cube(tmp_path / "scene.mat").data.shape == (40, 5, 5)


def test_mat_v73_read_with_h5py(tmp_path):
    rng = np.random.default_rng(2)
    cube_hwb = rng.uniform(0, 1, (HEIGHT, WIDTH, BANDS))
    gt = rng.integers(0, 4, (HEIGHT, WIDTH)).astype(np.uint8)
    path = tmp_path / "paviaU.mat"
    with h5py.File(path, "w") as file:  # MATLAB stores column-major: h5py sees the transpose
        file.create_dataset("paviaU", data=cube_hwb.T).attrs["MATLAB_class"] = np.bytes_("double")
        file.create_dataset("paviaU_gt", data=gt.T).attrs["MATLAB_class"] = np.bytes_("uint8")
        file.create_dataset("wavelengths", data=np.array([WAVELENGTHS]).T)
        file.create_dataset("name", data=np.array([[80, 85]], np.uint16)).attrs["MATLAB_class"] = np.bytes_("char")
    cube = read_cube(path)
    np.testing.assert_allclose(cube.data, cube_hwb.transpose(2, 0, 1).astype(np.float32))
    np.testing.assert_array_equal(cube.ground_truth, gt)
    assert cube.wavelengths == WAVELENGTHS


def test_npy_height_width_bands_is_transposed(tmp_path, cube_data):
    np.save(tmp_path / "scene.npy", cube_data.transpose(1, 2, 0)[:, :, :4])  # (9, 7, 4): last axis smallest
    assert read_cube(tmp_path / "scene.npy").data.shape == (4, HEIGHT, WIDTH)


def test_nodata_and_nan_make_the_valid_mask(tmp_path, cube_data):
    data = cube_data.copy()
    data[:, 1, 2] = -9999
    data[0, 3, 4] = -9999  # one band at nodata: a hole in that band (as GDAL and QGIS read it)
    data[2, 5, 6] = np.nan
    write_cube(data, tmp_path / "scene.tif", nodata=-9999)
    cube = read_cube(tmp_path / "scene.tif")
    assert not cube.valid[1, 2] and not cube.valid[3, 4] and not cube.valid[5, 6]
    assert cube.valid.sum() == HEIGHT * WIDTH - 3
    assert cube.holes[0, 3, 4] and not cube.holes[1, 3, 4] and cube.holes[2, 5, 6] and cube.holes[:, 1, 2].all()
    assert cube.data[2, 5, 6] == 0 and not np.isnan(cube.data).any()


def write_text_as_tif(path: Path) -> None:
    path.write_text("not a raster\n")


def write_header_only(path: Path) -> None:
    write_cube(np.zeros((2, 3, 3), np.float32), path)
    path.with_suffix(".img").unlink()


@pytest.mark.parametrize(
    "name, make, expected",
    [
        ("flat.npy", lambda p: np.save(p, np.zeros((5, 5))), "expected a 3D cube"),
        ("one_band.npy", lambda p: np.save(p, np.zeros((1, 5, 5))), "2 or more bands"),
        ("text.tif", write_text_as_tif, "unreadable TIF file"),
        ("orphan.hdr", write_header_only, "no ENVI data file beside the header"),
        ("scene.jpg", lambda p: p.write_bytes(b"\xff\xd8"), "unsupported format .jpg (use .tif"),
        ("missing.npy", None, "file not found"),
        ("empty.mat", lambda p: scipy.io.savemat(p, {"x": np.ones((3, 3))}), "no 3D numeric array"),
    ],
)
def test_bad_inputs_name_the_file(tmp_path, name, make, expected):
    path = tmp_path / name
    if make is not None:
        make(path)
    with pytest.raises(InputError, match=rf"^{name}: ") as raised:
        read_cube(path)
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_read_class_map_tif_and_mat(tmp_path):
    labels = np.random.default_rng(3).integers(0, 6, (HEIGHT, WIDTH))
    georef = Georeference(CRS.from_epsg(32613), Affine(30, 0, 500000, 0, -30, 4000000))
    profile = dict(driver="GTiff", count=1, height=HEIGHT, width=WIDTH, dtype="uint8", crs=georef.crs)
    with rasterio.open(tmp_path / "gt.tif", "w", transform=georef.transform, **profile) as dataset:
        dataset.write(labels.astype(np.uint8), 1)
    tif_map, tif_georef = read_class_map(tmp_path / "gt.tif")
    assert tif_map.dtype == np.int64 and tif_georef == georef
    np.testing.assert_array_equal(tif_map, labels)

    write_class_map_mat(labels, tmp_path / "scene.mat")
    assert set(scipy.io.loadmat(tmp_path / "scene.mat")) >= {"scene_gt"}
    mat_map, mat_georef = read_class_map(tmp_path / "scene.mat")
    np.testing.assert_array_equal(mat_map, labels)
    assert mat_georef == Georeference(None, None)


def test_read_class_map_rejects_fractions(tmp_path):
    np.save(tmp_path / "gt.npy", np.full((4, 4), 0.5))
    with pytest.raises(InputError, match="gt.npy: class values must be non-negative integers"):
        read_class_map(tmp_path / "gt.npy")

"""How a plain GeoTIFF's bands are named for the land-cover model, and which model a GeoTIFF goes to."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.spectral.landcover_geotiff import ReflectanceRaster, band_name, geotiff_bands
from hybridvision.pipelines.spectral.pipeline import SpectralPipeline

MODEL = {"B02": 492.7, "B03": 559.8, "B04": 664.6, "B08": 832.8, "B8A": 864.7, "SR_B4": 654.5, "SR_B5": 865.0}


@pytest.mark.parametrize(
    "text, name",
    [("B2", "B02"), ("b02", "B02"), ("B8A", "B8A"), ("b8a", "B8A"), ("SR_B4", "SR_B4"), ("sr_b5", "SR_B5"),
     ("red", None), ("Band 1", None), (None, None)],
)  # fmt: skip
def test_band_descriptions_as_names(text, name):
    assert band_name(text) == name


def test_names_from_descriptions_the_sensor_or_wavelengths():
    assert geotiff_bands("a.tif", ("B2", "B3", "B4"), "", "", MODEL) == ["B02", "B03", "B04"]
    s2 = geotiff_bands("a.tif", (None,) * 12, "sentinel2", "", MODEL)
    assert s2[0] == "B01" and "B10" not in s2 and s2[-1] == "B12"
    assert geotiff_bands("a.tif", (None,) * 7, "landsat", "", MODEL)[3] == "SR_B4"
    # by wavelength: B08 at 842 is nearer than B8A; with --sensor landsat, 660 is SR_B4, not B04
    assert geotiff_bands("a.tif", (None,) * 2, "", "842, 665", MODEL) == ["B08", "B04"]
    assert geotiff_bands("a.tif", (None,) * 2, "landsat", "660,860", MODEL) == ["SR_B4", "SR_B5"]
    # one sensor for all bands, the one nearest: 864 alone would be B8A, but 654 is Landsat's red
    assert geotiff_bands("a.tif", (None,) * 2, "", "654,864", MODEL) == ["SR_B4", "SR_B5"]


@pytest.mark.parametrize(
    "descriptions, sensor, wavelengths, message",
    [
        ((None,) * 5, "", "", "a.tif: 5 bands but no wavelengths or band names: give --sensor sentinel2|landsat"),
        ((None,) * 5, "sentinel2", "", "a.tif: 5 bands; --sensor sentinel2 reads all 12 (B01, B02"),
        ((None,) * 2, "", "490", "a.tif: 2 bands but 1 --wavelengths"),
        ((None,) * 1, "", "1200", "a.tif: no sentinel2 band of the model within 30 nm of 1200 nm"),
        ((None,) * 2, "landsat", "860,870", "a.tif: --wavelengths give two bands the same landsat band"),
        (("B2", "SR_B4"), "", "", "a.tif: 2 bands but no wavelengths or band names"),  # two sensors: no names
    ],
)
def test_bands_it_cannot_name_are_one_line(descriptions, sensor, wavelengths, message):
    with pytest.raises(InputError) as error:
        geotiff_bands("a.tif", descriptions, sensor, wavelengths, MODEL)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_integer_counts_become_reflectance_and_zero_a_hole(tmp_path):
    path = tmp_path / "l9.tif"
    counts = np.array([[[0, 7273], [10909, 20000]]], np.uint16)  # Landsat C2: 0.0000275 x - 0.2
    profile = dict(crs="EPSG:32633", transform=from_origin(500000, 0, 30, 30))
    with rasterio.open(path, "w", driver="GTiff", count=1, height=2, width=2, dtype="uint16", **profile) as dataset:
        dataset.write(counts)
    raster = ReflectanceRaster(path, "landsat", [0])
    data, holes = raster.read(0, 0, 2, 2)
    raster.close()
    np.testing.assert_allclose(data[0].ravel()[1:3], [0.0, 0.1], atol=1e-4)
    assert holes[0, 0, 0] and not holes[0, 1].any()


def test_a_geotiff_naming_satellite_bands_goes_to_the_land_cover_model(tmp_path):
    path = tmp_path / "stack.tif"
    profile = dict(driver="GTiff", count=2, height=4, width=4, dtype="float32", crs="EPSG:32633",
                   transform=from_origin(500000, 0, 10, 10))  # fmt: skip
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(np.full((2, 4, 4), 0.1, np.float32))
    assert SpectralPipeline.shipped_checkpoint_for({"input": str(path)}) == "scene"  # no names: hyperspectral
    assert SpectralPipeline.shipped_checkpoint_for({"input": str(path), "sensor": "landsat"}) == "landcover"
    with rasterio.open(path, "r+") as dataset:
        dataset.set_band_description(1, "B04")
        dataset.set_band_description(2, "B08")
    assert SpectralPipeline.shipped_checkpoint_for({"input": str(tmp_path)}) == "landcover"

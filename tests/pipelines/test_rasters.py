"""common/rasters.py: windowed GeoTIFF reads and writes keep CRS, transform and nodata; holes per band."""

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS

from hybridvision.pipelines import InputError
from hybridvision.pipelines.common.rasters import create_raster, open_raster, read_window, write_window

TRANSFORM = rasterio.Affine(30.0, 0, 440000.0, 0, -30.0, 4430000.0)


def test_a_raster_written_by_windows_reads_back_with_its_georeference_and_holes(tmp_path):
    path = tmp_path / "scene.tif"
    data = np.arange(2 * 40 * 30, dtype=np.int16).reshape(2, 40, 30)
    data[0, 3, 4] = -9999  # a hole in band 1 only
    profile = dict(count=2, height=40, width=30, dtype="int16", nodata=-9999)
    with create_raster(path, crs=CRS.from_epsg(32613), transform=TRANSFORM, **profile) as dataset:
        for top in range(0, 40, 16):  # strips, as the streaming writers do
            write_window(dataset, data[:, top : top + 16], top, 0)
    with open_raster(path) as dataset:
        assert dataset.crs == CRS.from_epsg(32613) and dataset.transform == TRANSFORM and dataset.nodata == -9999
        window, holes = read_window(dataset, 2, 3, 5, 6)
    assert np.array_equal(window, data[:, 2:7, 3:9])
    assert holes[0, 1, 1] and holes.sum() == 1  # band 1 at (3, 4), nowhere in band 2


def test_an_unreadable_file_names_itself_not_its_folder(tmp_path):
    path = tmp_path / "notes.tif"
    path.write_text("not a raster")
    with pytest.raises(InputError) as error:
        open_raster(path)
    assert str(error.value).startswith("notes.tif: unreadable TIF file") and str(tmp_path) not in str(error.value)

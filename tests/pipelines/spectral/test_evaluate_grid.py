"""evaluate spectral scores a prediction against its truth only on one grid: a truth of the same
size in another CRS, or shifted, is refused in one line naming the file and both grids."""

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.transform import from_origin

from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.spectral.evaluate import evaluate_scenes

UTM_33N, UTM_34N = CRS.from_epsg(32633), CRS.from_epsg(32634)
ORIGIN = from_origin(500000, 4500000, 20, 20)


def class_map(path, crs=UTM_33N, transform=ORIGIN):
    labels = (np.arange(64).reshape(8, 8) % 3 + 1).astype(np.uint8)
    profile = {"driver": "GTiff", "width": 8, "height": 8, "count": 1, "dtype": "uint8"}
    with rasterio.open(path, "w", crs=crs, transform=transform, **profile) as dataset:
        dataset.write(labels, 1)


@pytest.fixture()
def folders(tmp_path):
    (tmp_path / "pred").mkdir()
    (tmp_path / "truth").mkdir()
    class_map(tmp_path / "pred" / "scene_classes.tif")
    return tmp_path / "pred", tmp_path / "truth"


def test_the_same_grid_scores(folders):
    pred, truth = folders
    class_map(truth / "scene_classes.tif")
    assert evaluate_scenes(pred, truth)["mean"]["overall_accuracy"] == pytest.approx(100.0)


def test_a_truth_in_another_crs_is_refused(folders):
    pred, truth = folders
    class_map(truth / "scene_classes.tif", crs=UTM_34N)
    with pytest.raises(
        InputError, match=r"^scene_classes.tif: .* not on one grid \(CRS EPSG:32633 against EPSG:32634\)$"
    ):
        evaluate_scenes(pred, truth)


def test_a_shifted_truth_is_refused(folders):
    pred, truth = folders
    class_map(truth / "scene_classes.tif", transform=from_origin(500040, 4500000, 20, 20))
    with pytest.raises(
        InputError,
        match=r"not on one grid \(pixel grids differ: origin 500000, 4500000 against 500040, 4500000, pixel 20",
    ):
        evaluate_scenes(pred, truth)

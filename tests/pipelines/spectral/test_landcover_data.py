"""The multispectral land-cover scenes and the product grid that brings a product's bands to one grid."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import binary_dilation

from hybridvision.pipelines.common.product_grid import ProductGrid
from hybridvision.pipelines.common.products import open_product
from hybridvision.pipelines.spectral import multispectral as ms
from hybridvision.pipelines.spectral.multispectral_samples import quality_layer, write_multispectral


def test_scenes_have_native_resolutions_all_classes_and_a_sky():
    counts, sky = np.zeros(len(ms.LANDCOVER) + 1, int), np.zeros(3, int)
    for seed in range(4):
        scene = ms.scene(ms.SENTINEL2_L2A, 96, seed)
        assert scene.bands["B02"].shape == (96, 96) and scene.bands["B05"].shape == (48, 48)
        assert scene.bands["B01"].shape == (16, 16) and scene.labels.shape == (96, 96)
        counts += np.bincount(scene.labels.ravel(), minlength=len(counts))
        sky += np.bincount(scene.sky.ravel(), minlength=3)
        clear = (scene.sky == ms.CLEAR) & scene.valid
        water, trees = scene.labels == 1, scene.labels == 2
        nir, red = scene.bands["B08"], scene.bands["B04"]
        # physics an analyst checks first: water is dark in the NIR, trees are brighter in NIR than red
        assert np.nanmedian(nir[water & clear]) < 0.06 if (water & clear).any() else True
        assert np.nanmedian(nir[trees & clear] - red[trees & clear]) > 0.1
        assert not scene.labels[scene.sky == ms.CLOUD].any()  # no land cover is claimed under a cloud
    assert (counts[1:] > 0).all(), counts  # every class, wetland included
    assert sky[ms.CLOUD] > 0 and sky[ms.SHADOW] > 0
    landsat = ms.scene(ms.LANDSAT_OLI, 32, 0)
    assert landsat.bands["SR_B5"].shape == (32, 32) and landsat.labels.shape == (32, 32)


@pytest.fixture(scope="module")
def sentinel2(tmp_path_factory):
    folder = tmp_path_factory.mktemp("s2")
    write_multispectral(folder, 1, 1, "sentinel2", 96, lambda _: None)  # seed 1: clouds and shadows
    (path,) = (folder / "inputs").iterdir()
    return path, ms.scene(ms.SENTINEL2_L2A, 96, 1)


def test_the_grid_gives_each_band_reflectance_on_the_10m_grid(sentinel2):
    path, scene = sentinel2
    product = open_product(path)
    bands = [product.band(n) for n in ("B08", "B05", "B01")]
    grid = ProductGrid(product, bands, mask="none")
    try:
        assert (grid.height, grid.width, grid.resolution) == (96, 96, 10.0)
        data, masked = grid.read(0, 0, 96, 96)
    finally:
        grid.close()
    assert not masked.any()
    truth = scene.bands["B08"]
    valid = ~np.isnan(truth)
    np.testing.assert_allclose(data[0][valid], truth[valid], atol=1e-4)  # stored to 1e-4, offset removed
    assert np.isnan(data[0][~valid]).all()
    # B05 (20 m) bilinear, pixel centres aligned as GDAL's and torch's (align_corners=False) are, away
    # from no-data (where only the neighbours with data count)
    coarse = scene.bands["B05"]
    reference = torch.nn.functional.interpolate(
        torch.from_numpy(np.nan_to_num(coarse))[None, None], (96, 96), mode="bilinear"
    )
    far = ~np.repeat(np.repeat(binary_dilation(np.isnan(coarse), iterations=2), 2, 0), 2, 1)
    np.testing.assert_allclose(data[1][far], reference[0, 0].numpy()[far], atol=2e-4)
    assert np.isnan(data[1]).sum() > 0 and not np.isnan(data[1][far]).any()


def test_the_grid_at_20m_averages_the_10m_bands_and_masks_by_the_quality_layer(sentinel2):
    path, scene = sentinel2
    product = open_product(path)
    clouds = ProductGrid(product, [product.band("B08")], resolution=20, mask="clouds")
    nodata = ProductGrid(product, [product.band("B08")], resolution=20, mask="nodata")
    try:
        data, cloud_holes = clouds.read(0, 0, 48, 48)
        _, nodata_holes = nodata.read(0, 0, 48, 48)
    finally:
        clouds.close(), nodata.close()
    expected = ms.block_mean(scene.bands["B08"], 2)
    both = ~np.isnan(expected) & ~np.isnan(data[0])
    np.testing.assert_allclose(data[0][both], expected[both], atol=2e-4)
    scl = quality_layer(scene)  # what the product's SCL holds, at 20 m
    np.testing.assert_array_equal(cloud_holes, np.isin(scl, (0, 1, 3, 8, 9, 10)))
    np.testing.assert_array_equal(nodata_holes, np.isin(scl, (0, 1)))
    assert cloud_holes.sum() > nodata_holes.sum() > 0


@pytest.mark.parametrize("name", ["spectral/landcover", "spectral/landcover_teacher"])
def test_the_shipped_models_stated_cost_is_its_own(name):
    """The card's multiply-adds per pixel (what ``list checkpoints`` prints) are the shipped model's:
    its band tokens and convolutions for 12 bands, and its head."""
    import json

    from hybridvision.pipelines.common.cards import card_path
    from hybridvision.pipelines.common.checkpoint import load_checkpoint, resolve_checkpoint

    _, model, _ = load_checkpoint(name)
    card = json.loads(card_path(resolve_checkpoint(name)).read_text())
    assert card["cost"]["macs_per_pixel"] == model.backbone.macs_per_pixel(12) + model.decoder.linear.weight.numel()


def test_a_sensor_with_more_scenes_is_drawn_as_often_as_the_other():
    from types import SimpleNamespace

    from hybridvision.pipelines.spectral.landcover_data import LandcoverWindows, scene_counts, sensor_weights

    model = SimpleNamespace(sensors=("sentinel2", "landsat"))
    data = SimpleNamespace(generated=2, landsat_scenes=6)
    assert scene_counts(model, data, validation=False) == {"sentinel2": 2, "landsat": 6}
    assert scene_counts(model, data, validation=True) == {"sentinel2": 1, "landsat": 1}
    assert scene_counts(model, SimpleNamespace(generated=4, landsat_scenes=0), False) == {"sentinel2": 4, "landsat": 4}
    weights = sensor_weights(model, data)
    assert np.isclose(weights[:2].sum(), 0.5) and np.isclose(weights[2:].sum(), 0.5)
    scenes = [(np.full((1, 8, 8), float(i), np.float32), np.zeros((8, 8), np.int64)) for i in range(8)]
    windows = LandcoverWindows(scenes, 8, 0.0, ("B02",), length=2000, weights=weights)
    drawn = np.array([float(np.nanmax(windows[i]["image"])) for i in range(2000)])
    assert 0.45 < (drawn < 2).mean() < 0.55  # the 2 Sentinel-2 scenes give half the windows

"""superres: shapes, seam-free tiles, format and georeference round trips, metrics, bad input."""

import numpy as np
import pytest
import rasterio
import torch
from PIL import Image
from rasterio.transform import from_origin

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.superres.degrade import bicubic_downsample
from hybridvision.pipelines.superres.metrics import psnr, ssim
from hybridvision.pipelines.superres.tiling import upscale_tiled


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("bands", [1, 3])
def test_output_shape_for_each_scale_and_band_count(make_pipeline, scale, bands):
    pipeline, model = make_pipeline(scale=scale, bands=bands)
    out = model(torch.rand(2, bands, 20, 28))
    assert out.shape == (2, bands, 20 * scale, 28 * scale)


def test_untrained_model_is_exactly_bicubic(make_pipeline):
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.superres import SuperresPipeline

    from .conftest import TINY

    config = load_config(TINY)
    model = SuperresPipeline(config.model, config.data).build_model().eval()
    x = torch.rand(1, 1, 16, 16)
    expected = torch.nn.functional.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)
    assert torch.allclose(model(x), expected)


def test_tiled_equals_whole_image(make_pipeline):
    pipeline, model = make_pipeline(scale=2)
    image = np.random.default_rng(0).random((3, 90, 110)).astype(np.float32)
    whole = pipeline.predict_array(model, image)
    out = np.zeros_like(whole)

    def write(data, valid, top, left):
        out[:, top : top + data.shape[1], left : left + data.shape[2]] = data

    def read(top, left, h, w):
        return image[:, top : top + h, left : left + w], np.ones((h, w), bool)

    upscale_tiled(read, write, 90, 110, 2, lambda d: pipeline.predict_array(model, d), tile=48, overlap=12, window=4)
    assert np.abs(out - whole).mean() < 1e-3


def write_geotiff(path, data, nodata=None, crs="EPSG:32613"):
    profile = dict(
        driver="GTiff",
        height=data.shape[1],
        width=data.shape[2],
        count=data.shape[0],
        dtype=data.dtype,
        crs=crs,
        transform=from_origin(440000, 4430000, 30, 30),
        nodata=nodata,
    )
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(data)


def test_geotiff_keeps_crs_scaled_transform_nodata_and_16_bit(make_pipeline, tmp_path):
    pipeline, model = make_pipeline(scale=2, tile=48, overlap=8)
    data = np.random.default_rng(1).integers(100, 4000, (4, 40, 56)).astype(np.uint16)
    data[:, :5, :5] = 0  # nodata corner
    (tmp_path / "in").mkdir()
    write_geotiff(tmp_path / "in" / "scene.tif", data, nodata=0)
    report = run_batch(pipeline, model, tmp_path / "in", tmp_path / "out")
    assert not report.failed, report.failed
    with rasterio.open(tmp_path / "out" / "scene.tif") as out, rasterio.open(tmp_path / "in" / "scene.tif") as src:
        assert out.crs == src.crs and out.nodata == 0 and out.count == 4 and out.dtypes[0] == "uint16"
        assert out.transform == src.transform * rasterio.Affine.scale(0.5)
        assert (out.width, out.height) == (112, 80)
        result = out.read()
    assert (result[:, :10, :10] == 0).all() and (result[:, 12:, 12:] > 0).all()
    low = result.astype(float)[:, 10:, 10:]
    assert 50 < low.mean() < 4100  # values stay in the band's range, not squeezed into 8 bits


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "I;16"])
def test_png_keeps_mode_and_bit_depth_and_jpeg_becomes_png(make_pipeline, tmp_path, mode):
    pipeline, model = make_pipeline(scale=2, tile=48, overlap=8)
    (tmp_path / "in").mkdir()
    rng = np.random.default_rng(2)
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 60000, (24, 30)).astype(np.uint16))
    else:
        image = Image.fromarray(rng.integers(0, 255, (24, 30, len(mode))).astype(np.uint8).squeeze())
    image.save(tmp_path / "in" / "a.png")
    if mode == "RGB":
        image.save(tmp_path / "in" / "b.jpg")
    run_batch(pipeline, model, tmp_path / "in", tmp_path / "out")
    with Image.open(tmp_path / "out" / "a.png") as out:
        assert out.size == (60, 48) and (out.mode == mode or (mode == "I;16" and out.mode.startswith("I")))
        if mode == "I;16":
            assert np.asarray(out).max() > 255
    if mode == "RGB":
        assert (tmp_path / "out" / "b.png").is_file()


def test_bad_inputs_are_one_line_and_the_batch_goes_on(make_pipeline, tmp_path):
    pipeline, model = make_pipeline(scale=2)
    inputs = tmp_path / "in"
    inputs.mkdir()
    Image.fromarray(np.zeros((3, 3), np.uint8)).save(inputs / "tiny.png")
    (inputs / "corrupt.png").write_bytes(b"\x89PNG not really")
    (inputs / "notes.gif").write_bytes(b"GIF89a")
    write_geotiff(inputs / "empty.tif", np.zeros((1, 16, 16), np.uint16), nodata=0)
    Image.fromarray(np.full((20, 20), 128, np.uint8)).save(inputs / "good.png")
    report = run_batch(pipeline, model, inputs, tmp_path / "out")
    errors = {u.name: u.error for u in report.failed}
    assert "smaller than one" in errors["tiny.png"]
    assert errors["corrupt.png"].startswith("corrupt.png: unreadable image")
    assert errors["empty.tif"] == "empty.tif: every pixel is nodata"
    assert "notes.gif" not in errors and report.count("done") == 1


def test_band_count_the_checkpoint_cannot_take(make_pipeline, tmp_path):
    pipeline, model = make_pipeline(scale=2, bands=3)
    (tmp_path / "in").mkdir()
    write_geotiff(tmp_path / "in" / "five.tif", np.ones((5, 16, 16), np.uint8) * 9)
    report = run_batch(pipeline, model, tmp_path / "in", tmp_path / "out")
    assert report.failed[0].error == "five.tif: 5 bands; this checkpoint takes 3"


def test_psnr_and_ssim_on_known_cases():
    rng = np.random.default_rng(3)
    image = rng.random((64, 64, 1))
    assert psnr(image, image) == np.inf and ssim(image, image) == pytest.approx(1.0)
    noisy = image + rng.choice([-0.1, 0.1], image.shape)  # mean squared error exactly 0.01
    assert psnr(noisy, image) == pytest.approx(20.0, abs=1e-6)
    rgb = rng.random((32, 32, 3))
    assert psnr(rgb + 0.0, rgb, border=4) == np.inf


def test_bicubic_downsampling_is_antialiased():
    stripes = torch.zeros(1, 1, 32, 32)
    stripes[..., ::2] = 1  # highest frequency: antialiasing averages it to grey
    low = bicubic_downsample(stripes, 4)
    assert torch.allclose(low, torch.full_like(low, 0.5), atol=0.05)

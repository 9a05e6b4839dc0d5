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


@pytest.mark.parametrize("direct", [False, True])
def test_untrained_model_is_exactly_bicubic(direct):
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.superres import SuperresPipeline

    from .conftest import TINY

    config = load_config(TINY, ["model.scale=4", f"model.decoder.direct={direct}"])
    model = SuperresPipeline(config.model, config.data).build_model().eval()
    x = torch.rand(1, 1, 16, 16)
    expected = torch.nn.functional.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.allclose(model(x), expected)


@pytest.mark.parametrize("scale", [2, 4])
def test_direct_head_is_one_conv_and_one_shuffle_at_the_input_size(scale):
    from hybridvision.backbones.decoders.pixel_shuffle import PixelShuffleHead

    head = PixelShuffleHead(8, 3, scale, hidden=6, direct=True)
    shuffles = [m for m in head.modules() if isinstance(m, torch.nn.PixelShuffle)]
    assert len(shuffles) == 1 and shuffles[0].upscale_factor == scale
    torch.nn.init.normal_(head.layers[2].weight)
    assert head(torch.rand(2, 8, 10, 12)).shape == (2, 3, 10 * scale, 12 * scale)


def test_tiled_equals_whole_image(make_pipeline):
    pipeline, model = make_pipeline(scale=2)
    image = np.random.default_rng(0).random((3, 90, 110)).astype(np.float32)
    whole = pipeline.predict_array(model, image)
    out = np.zeros_like(whole)

    def write(data, holes, top, left):
        out[:, top : top + data.shape[1], left : left + data.shape[2]] = data

    def read(top, left, h, w):
        return image[:, top : top + h, left : left + w], np.zeros((3, h, w), bool)

    upscale_tiled(read, write, 90, 110, 2, lambda d: pipeline.predict_array(model, d), tile=48, overlap=12, window=4)
    assert np.abs(out - whole).mean() < 1e-3


def write_geotiff(path, data, nodata=None, crs="EPSG:32613", interleave="pixel"):
    profile = dict(
        driver="GTiff",
        height=data.shape[1],
        width=data.shape[2],
        count=data.shape[0],
        dtype=data.dtype,
        crs=crs,
        transform=from_origin(440000, 4430000, 30, 30),
        nodata=nodata,
        interleave=interleave,
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
    from rio_cogeo.cogeo import cog_validate

    assert cog_validate(str(tmp_path / "out" / "scene.tif")) == (True, [], [])  # a Cloud-Optimised GeoTIFF
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


def test_png_compression_changes_the_file_size_and_never_a_pixel(make_pipeline, tmp_path):
    (tmp_path / "in").mkdir()
    smooth = np.add.outer(np.arange(48), np.arange(64)).astype(np.uint8)  # compressible, as photos are
    Image.fromarray(np.stack([smooth, smooth[::-1], smooth.T[:48, :48].repeat(2, 1)[:, :64]], -1)).save(
        tmp_path / "in" / "a.png"
    )
    outputs = {}
    for level in (0, 1, 9):
        pipeline, model = make_pipeline(scale=2, tile=48, overlap=8, png_compression=level)
        run_batch(pipeline, model, tmp_path / "in", tmp_path / f"out{level}")
        outputs[level] = tmp_path / f"out{level}" / "a.png"
    sizes = {level: path.stat().st_size for level, path in outputs.items()}
    assert sizes[0] > sizes[1] > sizes[9]  # the level reaches the file
    pixels = [np.asarray(Image.open(path)) for path in outputs.values()]
    assert all(np.array_equal(pixels[0], other) for other in pixels[1:])  # lossless at every level
    assert make_pipeline()[0].default_options().png_compression == 1
    with pytest.raises(ValueError, match="--png-compression must be 0 to 9, got 10"):
        make_pipeline(png_compression=10)


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


def to_ycbcr(rgb):
    """(3, H, W) -> (Y, Cb, Cr), BT.601 full range."""
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return y, 0.564 * (b - y), 0.713 * (r - y)


def test_luma_mode_upscales_y_by_the_network_and_colour_bicubically(make_pipeline):
    from hybridvision.pipelines.superres.model import upscale_by_luma

    pipeline, model = make_pipeline(scale=2)
    rgb = torch.from_numpy(np.random.default_rng(3).uniform(0.2, 0.8, (3, 24, 32)).astype(np.float32))
    y, cb, cr = to_ycbcr(rgb)
    with torch.no_grad():
        out = upscale_by_luma(model, rgb)  # before the clamp to [0, 1]
        network_y = model(y[None, None])[0, 0]
    bicubic = torch.nn.functional.interpolate(torch.stack([cb, cr])[None], scale_factor=2, mode="bicubic")[0]
    out_y, out_cb, out_cr = to_ycbcr(out)
    assert torch.allclose(out_y, network_y, atol=1e-4)
    assert torch.allclose(out_cb, bicubic[0], atol=1e-4) and torch.allclose(out_cr, bicubic[1], atol=1e-4)
    bicubic_y = torch.nn.functional.interpolate(y[None, None], scale_factor=2, mode="bicubic")[0, 0]
    assert not torch.allclose(network_y, bicubic_y)  # the network adds detail


def test_luma_mode_keeps_alpha_on_the_network(make_pipeline):
    pipeline, model = make_pipeline(scale=2)
    rgba = np.random.default_rng(4).uniform(0.2, 0.8, (4, 16, 16)).astype(np.float32)
    out = pipeline.predict_array(model, rgba, luma=True)
    alpha = pipeline.predict_array(model, rgba[3:])
    assert out.shape == (4, 32, 32) and np.allclose(out[3], alpha[0], atol=1e-5)


def test_color_auto_picks_luma_for_rgb_photos_only(make_pipeline, tmp_path):
    from hybridvision.pipelines.superres.io import open_image

    rgb = np.random.default_rng(5).integers(0, 255, (16, 16, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    Image.fromarray(rgb[..., 0]).save(tmp_path / "grey.png")
    write_geotiff(tmp_path / "scene.tif", rgb.transpose(2, 0, 1).copy())
    photo, grey, scene = (open_image(tmp_path / n) for n in ("photo.png", "grey.png", "scene.tif"))
    auto, _ = make_pipeline()
    assert [auto.uses_luma(image, "auto") for image in (photo, grey, scene)] == [True, False, False]
    assert auto.uses_luma(scene, "luma") and not auto.uses_luma(photo, "bands")
    assert not make_pipeline(bands=3)[0].uses_luma(photo, "auto")  # a 3-band model takes colour itself
    with pytest.raises(ValueError, match="--color must be one of auto, luma, bands"):
        make_pipeline(color="rgb")


def test_luma_tiles_equal_the_whole_image(make_pipeline, tmp_path):
    rgb = np.random.default_rng(6).integers(0, 255, (60, 70, 3)).astype(np.uint8)
    (tmp_path / "in").mkdir()
    Image.fromarray(rgb).save(tmp_path / "in" / "photo.png")
    outputs = []
    for tile in (24, 512):
        pipeline, model = make_pipeline(scale=2, tile=tile, overlap=8)
        run_batch(pipeline, model, tmp_path / "in", tmp_path / f"out{tile}")
        outputs.append(np.asarray(Image.open(tmp_path / f"out{tile}" / "photo.png")).astype(float))
    assert np.abs(outputs[0] - outputs[1]).mean() / 255 < 1e-3


def test_flat_training_crops_are_redrawn():
    from hybridvision.pipelines.superres.training_data import PatchDataset

    image = np.zeros((64, 256, 1), np.float32)  # left half flat, right half textured
    image[:, 128:] = np.random.default_rng(7).random((64, 128, 1))

    def flat_share(min_std):
        data = PatchDataset([image], 2, 16, 1, 200, seed=0, min_std=min_std)
        return np.mean([float(data[i]["label"].std()) < 0.01 for i in range(len(data))])

    assert flat_share(0.0) > 0.3 and flat_share(0.05) < 0.1


@pytest.mark.parametrize("body,window", [("hat_test", 4), ("hat_light", 8), ("hat_small", 16), ("drct_test", 4)])
def test_the_window_is_asked_of_the_built_body(body, window):
    """Tiling keeps tile origins on the body's window grid: the window comes from the body, never
    from config keywords (hat_small's 16 was read as the default 8 before)."""
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.superres.pipeline import SuperresPipeline
    from tests.pipelines.superres.conftest import TINY

    config = load_config(TINY, [f"model.backbone.name={body}"])
    assert SuperresPipeline(config.model, config.data).window == window


def test_a_streamed_raster_reports_its_windows_and_equals_the_tile_planner(make_pipeline, tmp_path):
    """predict_unit tells its caller (the runner's progress bar) how many tiles are done."""
    import rasterio

    from hybridvision.pipelines.base import Unit
    from hybridvision.pipelines.common.inference import tiles

    pipeline, model = make_pipeline(scale=2, tile=48, overlap=12)
    path = tmp_path / "scene.tif"
    data = (np.random.default_rng(1).random((1, 90, 110)) * 1000).astype(np.uint16)
    with rasterio.open(path, "w", driver="GTiff", height=90, width=110, count=1, dtype="uint16") as dataset:
        dataset.write(data)
    seen = []
    unit = Unit("scene.tif", (path,))
    (tmp_path / "out").mkdir()
    paths = {name: tmp_path / "out" / name for name in pipeline.output_names(unit)}
    pipeline.predict_unit(model, unit, paths, lambda done, total: seen.append((done, total)))
    total = len(tiles(90, 110, 48, 12, pipeline.window))
    assert seen == [(i, total) for i in range(1, total + 1)] and total > 1

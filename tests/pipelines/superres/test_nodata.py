"""Nodata and NaN are masks in superres: the output holds exactly the input's holes, s x s each, band
by band, and nothing else; no valid pixel becomes nodata; holes do not ring into their surroundings."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from hybridvision.pipelines.common.holes import avoid_nodata, fill_holes, hole_mask
from hybridvision.pipelines.superres.tiling import upscale_tiled
from tests.apps.test_cli import invoke
from tests.pipelines.superres.test_superres import write_geotiff

SCALE = 2  # the shipped default


def smooth(rng, bands, size=48):
    """Smooth random fields in [0, 1] (bands, size, size)."""
    from scipy.ndimage import gaussian_filter

    return np.stack([gaussian_filter(rng.random((size, size)), 4) for _ in range(bands)]).clip(0, 1)


def cases(rng):
    """name -> (data, nodata tag, interleave): the file kinds a GIS hands us."""
    rgb = (smooth(rng, 3) * 900 - 300).clip(0, 254).astype(np.uint8)  # many valid 254s
    rgb[:, 10:13, 20:22] = 255
    grey16 = (smooth(rng, 1) * 60000 + 100).astype(np.uint16)
    grey16[0, 30:, :4] = 0
    grey16[0, 5, 5] = 0
    nan_rows = smooth(rng, 1).astype(np.float32)
    nan_rows[0, 20:23] = np.nan
    tagged = (smooth(rng, 2) * 50).astype(np.float32)
    tagged[:, 40:, 40:] = -9999
    tagged[1, 2:4, 2:4] = np.nan  # NaN is a hole whatever the tag says
    six = (smooth(rng, 6) * 4000).astype(np.int16)
    six[4, 15:25, 15:25] = -1  # holes in band 5 only
    return {
        "rgb255.tif": (rgb, 255, "pixel"),
        "grey16.tif": (grey16, 0, "pixel"),
        "nanrows.tif": (nan_rows, None, "pixel"),
        "tagged.tif": (tagged, -9999, "pixel"),
        "sixband.tif": (six, -1, "band"),
    }


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nodata") / "in"
    folder.mkdir()
    made = cases(np.random.default_rng(3))
    for name, (data, nodata, interleave) in made.items():
        write_geotiff(folder / name, data, nodata, interleave=interleave)
    return folder, made


def assert_holes_kept(path, data, nodata):
    """The output's holes are exactly the input's, upscaled, band by band; its nodata tag is the input's."""
    expected = np.repeat(np.repeat(hole_mask(data, nodata), SCALE, 1), SCALE, 2)
    with rasterio.open(path) as out:
        result = out.read()
        assert out.nodata == nodata or (nodata is None and out.nodata is None)
    assert result.shape == (data.shape[0], data.shape[1] * SCALE, data.shape[2] * SCALE)
    found = hole_mask(result, nodata)
    assert np.array_equal(found, expected), f"{path.name}: {int((found != expected).sum())} pixels differ"
    if nodata is None:
        assert np.isnan(result[expected]).all(), "an untagged float image's holes stay NaN"
    else:
        assert (result[expected] == nodata).all(), "holes are written as the nodata value, NaN ones too"


def test_predict_keeps_exactly_the_holes_of_every_kind_of_file(inputs, tmp_path):
    folder, made = inputs
    result = invoke("predict", "superres", "-i", folder, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    for name, (data, nodata, _) in made.items():
        assert_holes_kept(tmp_path / "out" / name, data, nodata)


def test_the_demo_handler_keeps_exactly_the_holes(inputs):
    from hybridvision.apps.demo import superres_tab
    from hybridvision.pipelines.common.holes import checkerboard

    folder, made = inputs
    for name, (data, nodata, _) in made.items():
        (_, model_preview), output, status = superres_tab.upscale(str(folder / name), "x2")
        assert name in status
        assert_holes_kept(superres_tab.Path(output), data, nodata)
        shown = data[:3] if len(data) >= 3 else data[:1]  # the preview shows RGB, or the first band
        holes = hole_mask(shown, nodata).any(0).repeat(2, 0).repeat(2, 1)
        assert model_preview.shape == (*holes.shape, 3), "the preview is full size here"
        board = checkerboard(*holes.shape)
        assert np.array_equal(model_preview[holes], board[holes]), "holes are drawn as transparency"
        picture = superres_tab.preview(*superres_tab.read_unit(superres_tab.Path(output), limit=False))
        assert np.array_equal(model_preview, picture)


def test_valid_values_never_round_to_nodata():
    unrounded = np.array([254.6, 254.4, 255.0, 0.2, 3.0])
    stored = np.clip(np.round(unrounded), 0, 255).astype(np.uint8)
    assert avoid_nodata(stored, unrounded, 255).tolist() == [254, 254, 254, 0, 3]
    assert avoid_nodata(stored, unrounded, 0).tolist() == [255, 254, 255, 1, 3]
    assert avoid_nodata(np.array([3, 2], np.uint16), np.array([3.4, 1.6]), 2).tolist() == [3, 1]
    floats = np.array([-9999.0, 5.0], np.float32)
    moved = avoid_nodata(floats, np.array([-9998.9999, 5.0]), -9999)
    assert moved[0] > -9999 and moved[1] == 5.0


def test_fill_reaches_only_depth_pixels_then_takes_the_band_mean():
    data = np.zeros((1, 1, 12), np.float32)
    data[0, 0, :2] = 1.0
    holes = np.zeros_like(data, bool)
    holes[0, 0, 2:] = True
    filled = fill_holes(data, holes, depth=3)
    assert np.all(filled[0, 0, 2:5] > 0) and np.all(filled[0, 0, 2:5] <= 1)
    assert np.allclose(filled[0, 0, 5:], 1.0), "beyond the depth: the mean of the valid pixels"
    assert np.array_equal(filled[~holes], data[~holes])


def test_tiled_equals_whole_with_holes(make_pipeline):
    pipeline, model = make_pipeline(scale=2)
    rng = np.random.default_rng(1)
    image = rng.random((2, 90, 110)).astype(np.float32)
    holes = np.zeros(image.shape, bool)
    holes[0, 30:50, 40:60] = True
    holes[1, :, 70:72] = True

    def run(tile):
        out = np.zeros((2, 180, 220), np.float32)

        def read(top, left, h, w):
            return image[:, top : top + h, left : left + w], holes[:, top : top + h, left : left + w]

        def write(data, hole, top, left):
            out[:, top : top + data.shape[1], left : left + data.shape[2]] = np.where(hole, 0, data)

        upscale_tiled(read, write, 90, 110, 2, lambda d: pipeline.predict_array(model, d), tile, 12, 4)
        return out

    assert np.abs(run(48) - run(512)).max() < 1e-3


def test_no_ringing_next_to_a_hole(inputs, tmp_path):
    """A hole in a smooth image: valid output pixels beside it stay within their valid neighbourhood's range."""
    y, x = np.mgrid[0:64, 0:64]
    image = (20000 + 150 * x + 80 * y).astype(np.uint16)[None]
    image[0, 24:40, 24:40] = 0
    folder = tmp_path / "in"
    folder.mkdir()
    write_geotiff(folder / "ramp.tif", image, 0)
    assert invoke("predict", "superres", "-i", folder, "-o", tmp_path / "out").exit_code == 0
    with rasterio.open(tmp_path / "out" / "ramp.tif") as out:
        result = out.read(1).astype(float)
    for oy, ox in [(46, 60), (80, 60), (60, 46), (60, 80), (46, 46), (81, 81)]:  # ring of pixels by the hole
        iy, ix = oy // 2, ox // 2
        around = image[0, max(iy - 2, 0) : iy + 3, max(ix - 2, 0) : ix + 3].astype(float)
        valid = around[around != 0]
        assert valid.min() - 1 <= result[oy, ox] <= valid.max() + 1, (oy, ox, result[oy, ox], valid.min(), valid.max())

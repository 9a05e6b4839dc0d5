"""Nodata and NaN are masks in spectral: no class (0, no data) where a pixel is a hole in a band the
model reads, a class everywhere else (holes in a patch are filled from their neighbours), and the
class map and its PNG legend say so. Through ``predict`` and through the demo handler."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from PIL import Image

from hybridvision.pipelines.common.holes import hole_mask
from hybridvision.pipelines.spectral.preview import NO_DATA_LEGEND
from hybridvision.pipelines.spectral.samples import write_samples
from tests.apps.test_cli import invoke

SIZE = 40


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """A generated 128-band scene without its no-data corner: (data int16, profile)."""
    out = tmp_path_factory.mktemp("scene")
    write_samples(out, 1, 1000, kind="scene", size=SIZE, bands=128, progress=lambda m: None)
    with rasterio.open(next((out / "inputs").glob("*.tif"))) as dataset:
        data, profile = dataset.read(), dataset.profile
        tags = [dataset.tags(i) for i in range(1, dataset.count + 1)]
    data[data == profile["nodata"]] = 1000  # no corner: the holes below are the only ones
    return data, profile, tags


def variants(data):
    """name -> (data, nodata): the kinds of file a provider delivers, each with holes."""
    uint16 = data.astype(np.uint16) + 1
    uint16[:, 5:9, 5:9] = 0  # every band
    uint16[:, 30, 10:20] = 0
    nan = data.astype(np.float32)
    nan[:, 20:22, :] = np.nan  # rows of NaN, no tag
    nan[7, 3, 3] = np.nan  # one band only
    tagged = data.astype(np.float32)
    tagged[:, :, 36:] = -9999
    one_band = data.copy()
    one_band[60, 10:16, 24:30] = -9999  # holes in one band only (band-interleaved file)
    return {
        "uint16_zero.tif": (uint16, 0, "pixel"),
        "float_nan.tif": (nan, None, "pixel"),
        "float_tagged.tif": (tagged, -9999, "pixel"),
        "one_band.tif": (one_band, -9999, "band"),
    }


@pytest.fixture(scope="module")
def inputs(scene, tmp_path_factory):
    data, profile, tags = scene
    folder = tmp_path_factory.mktemp("holes") / "in"
    folder.mkdir()
    made = variants(data)
    for name, (values, nodata, interleave) in made.items():
        meta = dict(profile, dtype=values.dtype, nodata=nodata, interleave=interleave)
        with rasterio.open(folder / name, "w", **meta) as out:
            out.write(values)
            for band, band_tags in enumerate(tags, start=1):
                out.update_tags(band, **band_tags)
    return folder, made


def assert_classes_only_off_holes(class_map: np.ndarray, values: np.ndarray, nodata) -> None:
    holes = hole_mask(values, nodata).any(0)
    assert holes.any()
    assert np.array_equal(class_map == 0, holes), f"{int(((class_map == 0) != holes).sum())} pixels differ"


def test_predict_gives_no_class_exactly_on_holes(inputs, tmp_path):
    folder, made = inputs
    result = invoke("predict", "spectral", "-i", folder, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    for name, (values, nodata, _) in made.items():
        stem = name.removesuffix(".tif")
        with rasterio.open(tmp_path / "out" / f"{stem}_classes.tif") as out:
            assert out.nodata == 0 and "no data" in out.descriptions[0]
            assert_classes_only_off_holes(out.read(1), values, nodata)
        preview = Image.open(tmp_path / "out" / f"{stem}_classes.png")
        assert preview.mode == "RGBA"
        alpha = np.asarray(preview)[..., 3]
        factor = alpha.shape[0] // SIZE
        holes = hole_mask(values, nodata).any(0).repeat(factor, 0).repeat(factor, 1)
        assert np.all(alpha[: holes.shape[0], : holes.shape[1]][holes] == 0), "holes are transparent in the PNG"
        assert np.all(alpha[: holes.shape[0], : holes.shape[1]][~holes] == 255)


def test_the_legend_names_no_data():
    assert "no data" in NO_DATA_LEGEND and "NaN" in NO_DATA_LEGEND


def test_the_demo_handler_gives_no_class_on_holes_and_shows_them_transparent(inputs):
    from hybridvision.apps.demo import spectral_tab
    from hybridvision.pipelines.common.holes import checkerboard

    folder, made = inputs
    for name, (values, nodata, _) in made.items():
        rgb, preview, rows, class_map, status = spectral_tab.classify([str(folder / name)], "all bands")
        with rasterio.open(class_map) as out:
            assert_classes_only_off_holes(out.read(1), values, nodata)
        assert rgb.shape == (SIZE, SIZE, 3) and rgb.dtype == np.uint8
        if name != "one_band.tif":  # its holes are in band 61, which the RGB composite does not show
            holes = hole_mask(values, nodata).all(0)  # holes in every band are holes in the composite too
            assert np.array_equal(rgb[holes], checkerboard(SIZE, SIZE)[holes]), "holes are drawn as transparency"
        assert name in status

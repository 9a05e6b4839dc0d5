"""``hybridvision quantize``: an INT8 ONNX network calibrated on the windows predict feeds it, carrying
its checkpoint's metadata; ``predict --checkpoint FILE.onnx`` runs it and gives the torch model's
labels on a case neither saw; what it cannot quantise or run is one line."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
import torch

from hybridvision.pipelines.common.checkpoint import load_checkpoint, read_metadata
from hybridvision.pipelines.errors import InputError
from hybridvision.pipelines.registry import PIPELINES
from tests.homes import fresh_home
from tests.pipelines.products.test_predict_products import run


def test_an_int8_femur_model_predicts_the_torch_labels(tmp_path):
    home = fresh_home()
    path = tmp_path / "femur_int8.onnx"
    done = run("quantize", "xray2shape/femur", "--samples", "2", "--output", str(path), home=home)
    assert done.returncode == 0, done.stderr
    metadata = read_metadata(path)
    assert metadata["pipeline"] == "xray2shape" and metadata["int8"]["window"] == [2, 128, 128]
    assert metadata["int8"]["int8_share_of_conv_matmul_nodes"] > 0.9
    PIPELINES.entry("xray2shape").factory.write_samples(tmp_path / "s", 1, seed=2100, anatomy="femur")
    runs = (("torch", "xray2shape/femur", ()), ("int8", str(path), ()))
    runs += (("int8-ort", str(path), ("--runtime", "onnxruntime")),)  # the same file: it is ONNX Runtime's already
    for name, checkpoint, extra in runs:
        args = ("predict", "xray2shape", "--checkpoint", checkpoint, *extra, "--input", str(tmp_path / "s" / "inputs"))
        done = run(*args, "--output", str(tmp_path / name), home=home)
        assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "int8-ort" / "report.json").read_text())
    assert report["checkpoint"]["runtime"] == "onnxruntime"
    for label in (tmp_path / "int8").glob("*_seg.nii.gz"):
        again = np.asarray(nib.load(tmp_path / "int8-ort" / label.name).dataobj)
        np.testing.assert_array_equal(again, np.asarray(nib.load(label).dataobj))
    for label in sorted((tmp_path / "torch").glob("*_seg.nii.gz")):
        a = np.asarray(nib.load(label).dataobj)
        b = np.asarray(nib.load(tmp_path / "int8" / label.name).dataobj)
        bone = (a > 0) | (b > 0)
        assert bone.sum() > 1000 and (a[bone] == b[bone]).mean() > 0.97  # agreement on the bones themselves
    _, network, _ = load_checkpoint(path)
    with pytest.raises(InputError, match=r"quantised for windows of 2x128x128, given 2x64x64"):
        network(torch.zeros(1, 2, 64, 64))


def test_an_int8_x2_model_upscales_whole_images_and_their_edge_tiles(tmp_path):
    """Quantised at predict's full 256 tile; an image whose tiles are cut short at its edges (and one
    smaller than a tile) is padded to it, and the output is the torch model's within INT8's error."""
    from PIL import Image

    home = fresh_home()
    path = tmp_path / "x2_int8.onnx"
    done = run("quantize", "superres/x2", "--samples", "1", "--output", str(path), home=home)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr  # ONNX Runtime's per-layer chatter is kept quiet
    facts = read_metadata(path)["int8"]
    assert facts["window"] == [1, 256, 256] and facts["output_window"] == [1, 512, 512]
    rng = np.random.default_rng(0)
    smooth = np.cumsum(np.cumsum(rng.normal(size=(300, 180, 3)), 0), 1)  # a textured, non-tile-sized image
    smooth = (255 * (smooth - smooth.min()) / np.ptp(smooth)).astype(np.uint8)
    (tmp_path / "in").mkdir()
    Image.fromarray(smooth).save(tmp_path / "in" / "field.png")
    outputs = {}
    for name, checkpoint in (("torch", "superres/x2"), ("int8", str(path))):
        args = ("predict", "superres", "--checkpoint", checkpoint, "--input", str(tmp_path / "in"))
        done = run(*args, "--output", str(tmp_path / name), home=home)
        assert done.returncode == 0, done.stderr
        outputs[name] = np.asarray(Image.open(tmp_path / name / "field.png"), dtype=np.float64)
    assert outputs["int8"].shape == outputs["torch"].shape == (600, 360, 3)
    mse = np.mean((outputs["int8"] - outputs["torch"]) ** 2)
    assert 10 * np.log10(255**2 / mse) > 35  # within INT8's error of torch, edges included
    _, network, _ = load_checkpoint(path)
    assert network.scale == 2 and network(torch.rand(1, 1, 40, 24)).shape == (1, 1, 80, 48)
    with pytest.raises(InputError, match=r"quantised for windows of 1x256x256, given 1x264x256"):
        network(torch.zeros(1, 1, 264, 256))


def test_an_int8_land_cover_model_reads_the_bands_it_was_quantised_for(tmp_path):
    """Calibrated on Sentinel-2 products (its 12 bands fixed inside), padded to the full strip block:
    a product gives the torch model's classes on most pixels; a Landsat product is one line."""
    import rasterio

    home = fresh_home()
    path = tmp_path / "landcover_int8.onnx"
    done = run("quantize", "spectral/landcover", "--samples", "2", "--output", str(path), home=home)
    assert done.returncode == 0, done.stderr
    facts = read_metadata(path)["int8"]
    assert facts["channel_ids"] == list(range(12)) and facts["window"] == [12, 284, 540]
    factory = PIPELINES.entry("spectral").factory
    factory.write_samples(tmp_path / "s2", 1, seed=2000, kind="multispectral", product="sentinel2")
    factory.write_samples(tmp_path / "ls", 1, seed=2000, kind="multispectral", product="landsat")
    maps = {}
    for name, checkpoint in (("torch", "spectral/landcover"), ("int8", str(path))):
        args = ("predict", "spectral", "--checkpoint", checkpoint, "--input", str(tmp_path / "s2" / "inputs"))
        done = run(*args, "--output", str(tmp_path / name), home=home)
        assert done.returncode == 0, done.stderr
        (classes,) = (tmp_path / name).glob("*_classes.tif")
        with rasterio.open(classes) as raster:
            maps[name] = raster.read(1)
    labelled = maps["torch"] > 0
    assert labelled.mean() > 0.5 and (maps["int8"][labelled] == maps["torch"][labelled]).mean() > 0.9
    args = ("predict", "spectral", "--checkpoint", str(path), "--input", str(tmp_path / "ls" / "inputs"))
    done = run(*args, "--output", str(tmp_path / "landsat"), home=home)
    assert done.returncode == 1, done.stderr
    (unit,) = json.loads((tmp_path / "landsat" / "report.json").read_text())["units"]
    assert unit["status"] == "failed" and "quantised for the model's bands [0, 1, 2" in unit["error"]
    assert "this input has the model's bands [12, 13" in unit["error"]


@pytest.mark.parametrize(
    "checkpoint, output, message",
    [
        ("xray2shape/femur", "a.safetensors", "error: --output a.safetensors: an INT8 network is written as .onnx"),
    ],
)
def test_what_it_cannot_quantise_is_one_line(checkpoint, output, message):
    done = run("quantize", checkpoint, "--output", output, home=fresh_home())
    assert done.returncode == 2 and done.stderr.strip().startswith(message), done.stderr


def test_a_dense_scene_model_asks_its_backbone_for_the_window_multiple_and_an_int8_file_needs_none():
    from types import SimpleNamespace

    from hybridvision.pipelines.common.stand_in import NetworkStandIn
    from hybridvision.pipelines.spectral.templates import input_multiple

    levels = [SimpleNamespace(reduction=r) for r in (2, 4, 16)]
    assert input_multiple(SimpleNamespace(backbone=SimpleNamespace(feature_info=levels))) == 16
    assert input_multiple(NetworkStandIn(None)) == 1  # an INT8 file pads each window to its own

"""``hybridvision quantize``: an INT8 ONNX network calibrated on the windows predict feeds it, carrying
its checkpoint's metadata; ``predict --checkpoint FILE.onnx`` runs it and gives the torch model's
labels on a case neither saw; what it cannot quantise or run is one line."""

from __future__ import annotations

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
    for name, checkpoint in (("torch", "xray2shape/femur"), ("int8", str(path))):
        args = ("predict", "xray2shape", "--checkpoint", checkpoint, "--input", str(tmp_path / "s" / "inputs"))
        done = run(*args, "--output", str(tmp_path / name), home=home)
        assert done.returncode == 0, done.stderr
    for label in sorted((tmp_path / "torch").glob("*_seg.nii.gz")):
        a = np.asarray(nib.load(label).dataobj)
        b = np.asarray(nib.load(tmp_path / "int8" / label.name).dataobj)
        bone = (a > 0) | (b > 0)
        assert bone.sum() > 1000 and (a[bone] == b[bone]).mean() > 0.97  # agreement on the bones themselves
    _, network, _ = load_checkpoint(path)
    with pytest.raises(InputError, match=r"quantised for windows of 2x128x128, given 2x64x64"):
        network(torch.zeros(1, 2, 64, 64))


@pytest.mark.parametrize(
    "checkpoint, output, message",
    [
        ("spectral/scene", "a.onnx", "error: quantize: not for spectral yet"),
        ("xray2shape/femur", "a.safetensors", "error: --output a.safetensors: an INT8 network is written as .onnx"),
    ],
)
def test_what_it_cannot_quantise_is_one_line(checkpoint, output, message):
    done = run("quantize", checkpoint, "--output", output, home=fresh_home())
    assert done.returncode == 2 and done.stderr.strip().startswith(message), done.stderr

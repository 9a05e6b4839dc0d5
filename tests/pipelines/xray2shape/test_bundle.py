"""The xray2shape MONAI bundle: verified offline by MONAI's tools, and it gives predict's labels."""

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import onnxruntime
import pytest
import torch

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.checkpoint import load_checkpoint, save_checkpoint
from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.xray2shape import X2SPipeline
from hybridvision.pipelines.xray2shape.bundle import export_bundle
from hybridvision.pipelines.xray2shape.samples import write_samples
from tests.monai_bundle import run_bundle, verify_metadata, verify_net_in_out

TINY = Path(__file__).resolve().parents[3] / "configs" / "xray2shape" / "tiny.yaml"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("x2s-bundle")
    config = load_config(TINY)
    pipeline = X2SPipeline(config.model, config.data)
    torch.manual_seed(1)
    model = pipeline.build_model()
    with torch.no_grad():
        model.head.classifier.bias.copy_(torch.tensor([0.3, 0.0, -0.1]))  # untrained, but every label can appear
    checkpoint = save_checkpoint(folder / "tiny.safetensors", model, config, pipeline, {"metrics": {"dice": 0.5}})
    exports = export_bundle(checkpoint, folder / "bundle")
    return checkpoint, folder / "bundle", exports


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    out = tmp_path_factory.mktemp("x2s-bundle-samples")
    write_samples(out, 2, seed=1000, anatomy="femur")
    return out / "inputs"


def test_bundle_layout_metadata_and_verification(bundle):
    _, root, exports = bundle
    for part in ("configs/metadata.json", "configs/inference.json", "models/model.pt", "docs/README.md", "LICENSE"):
        assert (root / part).is_file(), part
    meta = json.loads((root / "configs" / "metadata.json").read_text())
    assert meta["network_data_format"]["inputs"]["image"]["channel_def"] == {"0": "ap", "1": "lateral"}
    assert meta["network_data_format"]["outputs"]["pred"]["channel_def"] == {
        "0": "background",
        "1": "femur",
        "2": "pelvis",
    }
    assert "Research use only" in (root / "docs" / "README.md").read_text()
    out = verify_metadata(root)
    assert "verified with no error" in out
    out = verify_net_in_out(root)
    assert "verified with no error" in out


def test_exported_networks_match_torch(bundle):
    checkpoint, root, exports = bundle
    assert exports["model.onnx"] == "ok" and exports["model.ts"] == "ok"
    _, model, _ = load_checkpoint(checkpoint)
    x = torch.rand(1, 2, 64, 64)
    with torch.no_grad():
        expected = model(x).numpy()
    session = onnxruntime.InferenceSession(str(root / "models" / "model.onnx"))
    assert np.allclose(session.run(None, {"image": x.numpy()})[0], expected, atol=1e-4)
    assert np.allclose(torch.jit.load(str(root / "models" / "model.ts"))(x).detach().numpy(), expected, atol=1e-4)


def test_bundle_run_equals_predict(bundle, views, tmp_path):
    checkpoint, root, _ = bundle
    run_bundle(root, views, tmp_path / "bundle_out")
    pipeline, model, _ = load_checkpoint(checkpoint)
    run_batch(pipeline, model, views, tmp_path / "predict_out")
    cases = sorted(p.name.removesuffix("_ap.png") for p in views.glob("*_ap.png"))
    assert len(cases) == 2
    for case in cases:
        ours = nib.load(str(tmp_path / "predict_out" / f"{case}_seg.nii.gz"))
        theirs = nib.load(str(tmp_path / "bundle_out" / f"{case}_seg.nii.gz"))
        assert np.allclose(ours.affine, theirs.affine) and ours.shape == theirs.shape == (32, 32, 32)
        a, b = np.asarray(ours.dataobj), np.asarray(theirs.dataobj)
        assert len(np.unique(a)) > 1 and (a == b).mean() > 0.999

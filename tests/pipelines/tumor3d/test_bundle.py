"""The MONAI bundle runs offline with MONAI's own tools and gives the same labels as predict."""

import json

import nibabel as nib
import numpy as np
import onnxruntime
import pytest
import torch

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.checkpoint import load_checkpoint, save_checkpoint
from hybridvision.pipelines.tumor3d.bundle import export_bundle
from hybridvision.pipelines.tumor3d.metrics import dice, region_masks
from tests.monai_bundle import run_bundle, verify_metadata, verify_net_in_out


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, tiny_config):
    from hybridvision.pipelines.tumor3d import Tumor3DPipeline

    folder = tmp_path_factory.mktemp("bundle")
    pipeline = Tumor3DPipeline(tiny_config.model, tiny_config.data)
    torch.manual_seed(1)
    model = pipeline.build_model()
    with torch.no_grad():
        model.decoder.head.bias.copy_(torch.tensor([0.5, -0.2, -0.6]))  # untrained, but every region can appear
    checkpoint = save_checkpoint(folder / "tiny.safetensors", model, tiny_config, pipeline, {"metrics": {"x": 1.0}})
    exports = export_bundle(checkpoint, folder / "bundle")
    return checkpoint, folder / "bundle", exports


def test_bundle_layout_and_metadata(bundle):
    _, root, exports = bundle
    for part in (
        "configs/metadata.json",
        "configs/inference.json",
        "configs/schema.json",
        "models/model.pt",
        "docs/README.md",
        "LICENSE",
    ):
        assert (root / part).is_file(), part
    meta = json.loads((root / "configs" / "metadata.json").read_text())
    image = meta["network_data_format"]["inputs"]["image"]
    assert image["num_channels"] == 4 and image["channel_def"] == {"0": "t1", "1": "t1ce", "2": "t2", "3": "flair"}
    assert meta["network_data_format"]["outputs"]["pred"]["channel_def"] == {"0": "WT", "1": "TC", "2": "ET"}
    assert "Research use only" in (root / "docs" / "README.md").read_text()
    assert exports["model.onnx"] == "ok" and exports["model.ts"] == "ok"


def test_monai_verifies_the_bundle_offline(bundle):
    _, root, _ = bundle
    out = verify_metadata(root)
    assert "verified with no error" in out and "skipped downloading" in out
    out = verify_net_in_out(root)
    assert "verified with no error" in out


def test_exported_networks_match_torch(bundle):
    checkpoint, root, _ = bundle
    _, model, _ = load_checkpoint(checkpoint)
    x = torch.randn(1, 4, 32, 32, 32)
    with torch.no_grad():
        expected = model(x).numpy()
    session = onnxruntime.InferenceSession(str(root / "models" / "model.onnx"))
    assert np.allclose(session.run(None, {"image": x.numpy()})[0], expected, atol=1e-4)
    traced = torch.jit.load(str(root / "models" / "model.ts"))
    assert np.allclose(traced(x).detach().numpy(), expected, atol=1e-4)


def test_bundle_run_equals_predict(bundle, samples_2021, tmp_path):
    checkpoint, root, _ = bundle
    run_bundle(root, samples_2021 / "inputs", tmp_path / "bundle_out")
    pipeline, model, _ = load_checkpoint(checkpoint)
    run_batch(pipeline, model, samples_2021 / "inputs", tmp_path / "predict_out")
    for case in ("HV_01000", "HV_01001"):
        ours = nib.load(str(tmp_path / "predict_out" / f"{case}_seg.nii.gz"))
        theirs = nib.load(str(tmp_path / "bundle_out" / f"{case}_seg.nii.gz"))
        assert np.allclose(ours.affine, theirs.affine) and ours.shape == theirs.shape
        a, b = np.asarray(ours.dataobj), np.asarray(theirs.dataobj)
        assert a.any()
        for region_a, region_b in zip(region_masks(a), region_masks(b)):
            assert dice(region_a, region_b) >= 0.99

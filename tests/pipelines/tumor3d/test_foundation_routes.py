"""tumor3d on frozen pretrained backbones, as its configs say, trained a few steps at test size:
the CT encoder per modality with per_channel, EfficientNet-Lite0 through spatial3d. The checkpoint
holds only what trained plus the frozen weights' identity, and refuses other frozen weights."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from hybridvision.pipelines import InputError
from hybridvision.pipelines.common.checkpoint import load_checkpoint, read_metadata
from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.common.training import train

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "tumor3d"
TEST_SIZE = [
    "data.spacing=[3.0, 3.0, 3.0]",
    "data.roi=[32, 32, 32]",
    "data.train_seeds=[0, 2]",
    "data.val_seeds=[900, 901]",
    "data.generator_spacings=[3.0]",
    "data.samples_per_case=2",
    "data.workers=1",
    "train.max_steps=2",
    "train.batch_size=1",
    "train.val_every_steps=2",
    "train.warmup_steps=1",
]


@pytest.mark.parametrize("config", ["ct_fm.yaml", "ct_fm_inputs.yaml", "lite0_spatial3d.yaml"])
def test_a_frozen_route_trains_and_its_checkpoint_holds_only_what_trained(config, tmp_path):
    run_config = load_config(CONFIGS / config, [*TEST_SIZE, f"data.cache_dir={tmp_path / 'cache'}"])
    result = train(run_config, tmp_path / "run", progress_bar=False)
    metadata = read_metadata(result.model_path)
    parts = metadata["provenance"]["parameters_by_part"]
    assert parts["trainable"] == parts["adapter"] + parts["decoder"] and parts["adapter_fraction"] < 0.2
    saved = load_file(str(result.model_path))
    assert not any(k.startswith("backbone.frozen.") for k in saved)  # the package holds those
    assert sum(v.numel() for v in saved.values() if v.is_floating_point()) < parts["frozen"] / 4
    assert metadata["frozen_backbone"]["sha256"]
    pipeline, model, _ = load_checkpoint(result.model_path)
    x = torch.rand(1, 4, 32, 32, 32)
    with torch.inference_mode():
        assert model(x).shape == (1, 3, 32, 32, 32)


def test_an_adapter_checkpoint_refuses_other_frozen_weights(tmp_path, monkeypatch):
    from hybridvision.backbones.foundation import efficientnet_lite

    run_config = load_config(CONFIGS / "lite0_spatial3d.yaml", [*TEST_SIZE, f"data.cache_dir={tmp_path / 'cache'}"])
    result = train(run_config, tmp_path / "run", progress_bar=False)
    other = efficientnet_lite.CARD.__class__(**{**efficientnet_lite.CARD.__dict__, "sha256": "0" * 64})
    monkeypatch.setattr(efficientnet_lite.EfficientNetLite0, "card", other)
    monkeypatch.setattr(efficientnet_lite, "check_identity", lambda *args: None)
    with pytest.raises(InputError, match=r"trained on frozen weights 29a3a6c25b0b\.\.\. .* found 000000000000"):
        load_checkpoint(result.model_path)


def test_an_adapter_model_exports_as_one_plain_network(tmp_path, monkeypatch):
    """The bundle merges frozen and trained weights: model.pt holds both, the network builds without
    the weights package, and ONNX and TorchScript give the checkpoint's output."""
    import json

    import numpy as np
    import onnxruntime

    from hybridvision.backbones.foundation import MissingFoundationPackage, efficientnet_lite
    from hybridvision.pipelines.common.bundle import build_network
    from hybridvision.pipelines.tumor3d.bundle import export_bundle

    run_config = load_config(CONFIGS / "lite0_spatial3d.yaml", [*TEST_SIZE, f"data.cache_dir={tmp_path / 'cache'}"])
    result = train(run_config, tmp_path / "run", progress_bar=False)
    exports = export_bundle(result.model_path, tmp_path / "bundle")
    assert exports["model.onnx"] == "ok" and exports["model.ts"] == "ok"
    assert efficientnet_lite.CARD.sha256 in (tmp_path / "bundle" / "LICENSE").read_text()
    _, model, _ = load_checkpoint(result.model_path)
    x = torch.rand(1, 4, 32, 32, 32)
    with torch.no_grad():
        expected = model(x)

    def no_package(*args):
        raise MissingFoundationPackage("not installed")

    monkeypatch.setattr(efficientnet_lite, "imagenet_weights", no_package)
    inference = json.loads((tmp_path / "bundle" / "configs" / "inference.json").read_text())
    network = build_network(inference["run_config"]).eval()
    state = torch.load(tmp_path / "bundle" / "models" / "model.pt", weights_only=True)
    assert any(k.startswith("backbone.frozen.") for k in state)  # the frozen weights travel in the bundle
    network.load_state_dict(state, strict=True)
    with torch.no_grad():
        assert torch.allclose(network(x), expected, atol=1e-5)
    session = onnxruntime.InferenceSession(str(tmp_path / "bundle" / "models" / "model.onnx"))
    assert np.allclose(session.run(None, {"image": x.numpy()})[0], expected.numpy(), atol=1e-4)

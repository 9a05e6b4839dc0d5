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


@pytest.mark.parametrize("config", ["ct_fm.yaml", "lite0_spatial3d.yaml"])
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

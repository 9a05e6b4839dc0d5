import socket

import pytest
import torch
from safetensors.torch import save_file

from hybridvision.backbones import build_backbone

MODEL = "timm:mobilenetv3_small_050"


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a backbone tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_timm_model_keeps_the_contract(no_network):
    model = build_backbone(MODEL, in_channels=13)
    assert model.spatial_dims == 2 and model.in_channels == 13
    features = model(torch.randn(1, 13, 64, 64))
    for feature, info in zip(features, model.feature_info):
        assert feature.shape == (1, info.channels, 64 // info.reduction, 64 // info.reduction)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_weights_come_from_a_local_file(tmp_path, no_network, suffix):
    source = build_backbone(MODEL, in_channels=3).eval()
    path = tmp_path / f"weights{suffix}"
    state = {k: v.clone() for k, v in source.model.state_dict().items()}
    save_file(state, str(path)) if suffix == ".safetensors" else torch.save(state, path)
    torch.manual_seed(99)
    loaded = build_backbone(MODEL, in_channels=3, weights=str(path), frozen=True).eval()
    x = torch.randn(1, 3, 64, 64)
    for a, b in zip(source(x), loaded(x)):
        assert torch.allclose(a, b)
    assert not any(p.requires_grad for p in loaded.parameters())


def test_missing_weights_file_and_3d_are_refused():
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        build_backbone(MODEL, weights="/nonexistent/w.safetensors")
    with pytest.raises(ValueError, match="2D only"):
        build_backbone(MODEL, spatial_dims=3)
    with pytest.raises(ValueError, match="unknown timm model"):
        build_backbone("timm:not_a_model")

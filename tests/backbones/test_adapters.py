"""Adapters around a frozen backbone: the contract kept, a zero start, only the adapter trains."""

import pytest
import torch

from hybridvision.backbones import ADAPTERS, build_backbone

SIDE = {2: 64, 3: 32}
AROUND = [name for name in ADAPTERS.names() if ADAPTERS.entry(name).metadata["around"] == "backbone"]


def test_the_adapter_set():
    assert {"side", "dvpt", "inputs", "lora"} <= set(ADAPTERS.names())
    assert ADAPTERS.entry("lora").metadata["around"] == "model"


def wrap(name: str, dims: int, channels: int = 1):
    inputs = ADAPTERS.entry(name).metadata.get("changes_input_channels")
    backbone = build_backbone("hybrid_test", in_channels=1, spatial_dims=dims)
    kwargs = {"in_channels": channels} if inputs else {}
    return backbone, ADAPTERS.build(name, backbone=backbone, **kwargs)


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", AROUND)
def test_the_adapted_backbone_keeps_the_contract_and_only_the_adapter_trains(name, dims):
    channels = 4 if name == "inputs" else 1
    backbone, adapted = wrap(name, dims, channels)
    assert adapted.feature_info == backbone.feature_info and adapted.in_channels == channels
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    x = torch.randn(2, channels, *(SIDE[dims],) * dims)
    adapted.train()
    optimiser = torch.optim.SGD([p for p in adapted.parameters() if p.requires_grad], lr=0.1)
    for _ in range(2):  # two steps: zero-initialised fusions pass gradients on after the first
        optimiser.zero_grad()
        sum(level.square().mean() for level in adapted(x)).backward()
        optimiser.step()
    assert all(p.grad is None for p in backbone.parameters())
    frozen_weights = {k: v for k, v in backbone.state_dict().items() if "running" not in k and "num_batches" not in k}
    assert all(torch.equal(before[k], v) for k, v in frozen_weights.items())
    trained = [n for n, p in adapted.named_parameters() if p.requires_grad]
    assert trained and all(not n.startswith("frozen.") for n in trained)
    assert all(p.grad is not None for p in adapted.parameters() if p.requires_grad)


@pytest.mark.parametrize("name", ["side", "dvpt"])
def test_fusing_adapters_start_from_the_frozen_features(name):
    backbone, adapted = wrap(name, 2)
    backbone.eval(), adapted.eval()
    x = torch.randn(1, 1, 64, 64)
    with torch.no_grad():
        assert all(torch.allclose(a, b) for a, b in zip(adapted(x), backbone(x)))


def test_the_inputs_adapter_starts_as_the_mean_of_the_channels():
    backbone, adapted = wrap("inputs", 2, channels=4)
    backbone.eval(), adapted.eval()
    x = torch.randn(1, 4, 64, 64)
    with torch.no_grad():
        assert torch.allclose(adapted(x)[-1], backbone(x.mean(1, keepdim=True))[-1], atol=1e-5)


def test_the_trainable_fraction_is_the_adapters_share_of_frozen_plus_adapter():
    backbone, adapted = wrap("dvpt", 3)
    frozen = sum(p.numel() for p in backbone.parameters())
    adapter = sum(p.numel() for n, p in adapted.named_parameters() if not n.startswith("frozen."))
    assert adapted.adapter_parameters() == adapter and adapted.frozen_parameters() == frozen
    assert adapted.trainable_fraction() == pytest.approx(adapter / (frozen + adapter))
    assert 0 < adapted.trainable_fraction() < 0.5

"""Adapters around a frozen backbone: the contract kept, a zero start, only the adapter trains."""

from pathlib import Path

import pytest
import torch

from hybridvision.backbones import ADAPTERS, build_backbone

SIDE = {2: 64, 3: 32}
AROUND = [name for name in ADAPTERS.names() if ADAPTERS.entry(name).metadata["around"] == "backbone"]


def test_the_adapter_set():
    assert {"side", "dvpt", "inputs", "lora"} <= set(ADAPTERS.names())
    assert ADAPTERS.entry("lora").metadata["around"] == "model"


def wrap(name: str, dims: int, channels: int = 1):
    metadata = ADAPTERS.entry(name).metadata
    backbone_dims = 2 if metadata.get("reads_2d_backbone") else dims
    backbone = build_backbone("hybrid_test", in_channels=1, spatial_dims=backbone_dims)
    kwargs = {"in_channels": channels} if metadata.get("changes_input_channels") else {}
    return backbone, ADAPTERS.build(name, backbone=backbone, **kwargs)


def cases():
    for name in AROUND:
        reads_2d = ADAPTERS.entry(name).metadata.get("reads_2d_backbone")
        for dims in (3,) if reads_2d else (2, 3):
            yield pytest.param(name, dims, id=f"{name}-{dims}d")


@pytest.mark.parametrize("name,dims", list(cases()))
def test_the_adapted_backbone_keeps_the_contract_and_only_the_adapter_trains(name, dims):
    channels = 4 if ADAPTERS.entry(name).metadata.get("changes_input_channels") else 1
    backbone, adapted = wrap(name, dims, channels)
    assert adapted.feature_info == backbone.feature_info and adapted.in_channels == channels
    assert adapted.spatial_dims == dims
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


def test_the_inputs_adapter_starts_from_an_rgb_response_given_wavelengths():
    from hybridvision.backbones.adapters.inputs import rgb_response

    sentinel2 = [443, 490, 560, 665, 705, 740, 783, 842, 865, 945, 1375, 1610, 2190]
    response = rgb_response(sentinel2)
    assert torch.allclose(response.sum(1), torch.ones(3))
    assert response[0].argmax() == 3 and response[1].argmax() == 2 and response[2].argmax() == 1  # R, G, B bands
    assert response[:, 7:].abs().sum() == 0  # the NIR and SWIR bands are no colour
    assert torch.allclose(rgb_response([1600.0, 2200.0]), torch.full((3, 2), 0.5))  # no visible band: the mean


def test_spectral_chips_on_an_rgb_model_start_from_the_bands_colours():
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.spectral import SpectralPipeline

    overrides = ["model.backbone={name: efficientnet_lite0_imagenet}", "model.adapter={name: inputs}"]
    config = load_config(Path(__file__).resolve().parents[2] / "configs" / "spectral" / "chips.yaml", overrides)
    model = SpectralPipeline(config.model, config.data).build_model()
    mix = model.backbone.mix.weight.detach().reshape(3, 13)
    assert mix[0].argmax() == 3 and mix[2].argmax() == 1 and mix[:, 10:].abs().sum() == 0


def test_the_trainable_fraction_is_the_adapters_share_of_frozen_plus_adapter():
    backbone, adapted = wrap("dvpt", 3)
    frozen = sum(p.numel() for p in backbone.parameters())
    adapter = sum(p.numel() for n, p in adapted.named_parameters() if not n.startswith("frozen."))
    assert adapted.adapter_parameters() == adapter and adapted.frozen_parameters() == frozen
    assert adapted.trainable_fraction() == pytest.approx(adapter / (frozen + adapter))
    assert 0 < adapted.trainable_fraction() < 0.5


def test_spatial3d_reads_volumes_with_a_2d_backbone_and_mixes_channels():
    backbone = build_backbone("hybrid_test", in_channels=3, spatial_dims=2)
    adapted = ADAPTERS.build("spatial3d", backbone=backbone, in_channels=4)
    assert adapted.spatial_dims == 3 and adapted.in_channels == 4
    x = torch.randn(1, 4, 64, 64, 32)
    levels = adapted(x)
    assert [tuple(level.shape[2:]) for level in levels] == [(64 // r, 64 // r, 32 // r) for r in (2, 4, 8, 16, 32)]
    adapted.eval(), backbone.eval()
    with torch.no_grad():  # at the start: each slice's 2D features of the mean image, averaged over r slices
        slice_mean = x.mean(1, keepdim=True).expand(-1, 3, -1, -1, -1)[0].permute(3, 0, 1, 2)  # (Z, 3, X, Y)
        finest = backbone(slice_mean)[0].permute(1, 2, 3, 0)  # (C, X/2, Y/2, Z)
        expected = torch.nn.functional.avg_pool3d(finest[None], (1, 1, 2))
        assert torch.allclose(adapted(x)[0], expected, atol=1e-5)
    with pytest.raises(ValueError, match="reads volumes with a 2D backbone"):
        ADAPTERS.build("spatial3d", backbone=build_backbone("hybrid_test", in_channels=1, spatial_dims=3))


def test_lora_reaches_conv_layers_and_merges_into_a_plain_model():
    from hybridvision.backbones.adapters import add_lora, merge_lora

    model = torch.nn.Sequential()
    model.add_module("stem", torch.nn.Conv3d(1, 4, 3, padding=1))
    model.add_module("mid", torch.nn.Conv3d(4, 4, 3, padding=1))
    model.add_module("head", torch.nn.Conv3d(4, 2, 1))
    with pytest.raises(ValueError, match=r"cannot be merged into 1 x 1 x 1 Conv3d layers \(head\)"):
        add_lora(model, rank=2, targets=("stem", "head"))
    adapted = add_lora(model, rank=2, targets=("stem", "mid"))
    trainable = [n for n, p in adapted.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    for name, parameter in adapted.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.1)  # as if trained
    x = torch.randn(1, 1, 6, 6, 6)
    with torch.no_grad():
        expected = adapted(x)
        merged = merge_lora(adapted)
        assert not any("lora" in n for n, _ in merged.named_parameters())
        assert torch.allclose(merged(x), expected, atol=1e-5)
    with pytest.raises(ValueError, match="name no Linear or Conv layer"):
        add_lora(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1)), targets=("qkv",))


def test_lora_can_leave_a_new_head_trainable_and_the_merged_model_keeps_what_it_learned():
    from hybridvision.backbones.adapters import add_lora, merge_lora
    from hybridvision.pipelines.common.composition import parameter_report

    model = torch.nn.Sequential()
    model.add_module("encoder", torch.nn.Conv2d(3, 8, 3, padding=1))
    model.add_module("decoder", torch.nn.Conv2d(8, 2, 1))
    adapted = add_lora(model, rank=2, targets=("encoder",), train_also=("decoder",))
    trainable = {n for n, p in adapted.named_parameters() if p.requires_grad}
    assert any("lora_" in n for n in trainable) and any("decoder" in n for n in trainable)
    assert not any("encoder.base_layer" in n for n in trainable)  # the pretrained weights stay frozen
    report = parameter_report(adapted)
    assert report["adapter"] == 2 * (3 * 3 * 3 + 8) and report["frozen"] == 8 * 3 * 3 * 3 + 8
    with torch.no_grad():
        model.decoder.weight.add_(1.0)  # as if trained
        x = torch.randn(1, 3, 5, 5)
        expected = adapted(x)
        assert torch.allclose(merge_lora(adapted)(x), expected, atol=1e-5)
    with pytest.raises(AttributeError, match="head"):
        add_lora(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3)), targets=("0",), train_also=("head",))


def test_per_channel_runs_each_channel_through_the_one_channel_model_and_starts_at_their_mean():
    backbone = build_backbone("hybrid_test", in_channels=1, spatial_dims=3).eval()
    adapted = ADAPTERS.build("per_channel", backbone=backbone, in_channels=4, rank=0).eval()
    x = torch.randn(2, 4, 32, 32, 32)
    with torch.no_grad():
        separately = [backbone(x[:, [n]]) for n in range(4)]
        expected = [torch.stack([levels[i] for levels in separately]).mean(0) for i in range(5)]
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(adapted(x), expected))
    with pytest.raises(ValueError, match="runs a one-channel model per channel"):
        ADAPTERS.build(
            "per_channel", backbone=build_backbone("hybrid_test", in_channels=3, spatial_dims=3), in_channels=4
        )


def test_a_band_subset_reaches_a_backbone_without_channel_ids_as_interpolated_bands():
    from hybridvision.backbones import EncoderDecoder
    from hybridvision.backbones.band_fill import interpolate_bands
    from hybridvision.backbones.decoders import build_decoder

    frozen = build_backbone("hybrid_test", in_channels=3, spatial_dims=2)
    backbone = ADAPTERS.build("inputs", backbone=frozen, in_channels=6)
    decoder = build_decoder("classifier", backbone.feature_info, 6, 2, classes=4)
    model = EncoderDecoder(backbone, decoder).eval()
    x, kept = torch.randn(2, 3, 32, 32), torch.tensor([0, 2, 5])
    with torch.no_grad():
        assert torch.allclose(model(x, channel_ids=kept), model(interpolate_bands(x, kept, 6)))

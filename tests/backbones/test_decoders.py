"""Every decoder with every ``*_test`` backbone it accepts (from the declarations on both sides):
the output has the task's shape, every trainable parameter of the pair gets a gradient, and a
backbone a decoder refuses is refused with the reason."""

import pytest
import torch

from hybridvision.backbones import BACKBONES, DECODERS, build_backbone, build_decoder

SIDE = {2: 64, 3: 32}
OPTIONS = {
    "unet": {"out_channels": 3},
    "pixel_shuffle": {"scale": 2, "hidden": 8},
    "classifier": {"classes": 5},
    "pixel": {"out_channels": 4},
}


def build(backbone: str, dims: int):
    """One input channel; a fixed-size backbone (a ViT) built for the test's side."""
    extra = {"image_size": SIDE[dims]} if BACKBONES.entry(backbone).metadata["support"].fixed_input_size else {}
    return build_backbone(backbone, in_channels=1, spatial_dims=dims, **extra)


def pairs(accepted: bool):
    for backbone in BACKBONES.names("*_test"):
        support = BACKBONES.entry(backbone).metadata["support"]
        for dims in support.spatial_dims:
            encoder = build(backbone, dims)
            for decoder in DECODERS.names():
                refused = DECODERS.entry(decoder).metadata["needs"].refuses(encoder.feature_info, dims)
                if (refused is None) == accepted:
                    yield pytest.param(backbone, dims, decoder, id=f"{backbone}-{dims}d-{decoder}")


def test_every_decoder_is_listed_with_its_needs():
    assert {"unet", "pixel_shuffle", "classifier", "pixel"} <= set(DECODERS.names())
    assert len(list(pairs(True))) >= 8


def expected_shape(decoder: str, dims: int) -> tuple:
    side = (SIDE[dims],) * dims
    return {
        "unet": (2, 3, *side),
        "pixel_shuffle": (2, 1, *(2 * SIDE[dims],) * dims),
        "classifier": (2, 5),
        "pixel": (2, 4, *side),
    }[decoder]


@pytest.mark.parametrize("backbone,dims,decoder", list(pairs(True)))
def test_accepted_pairs_give_the_task_output_and_train_end_to_end(backbone, dims, decoder):
    encoder = build(backbone, dims).train()
    head = build_decoder(decoder, encoder.feature_info, 1, dims, **OPTIONS[decoder]).train()
    x = torch.randn(2, 1, *(SIDE[dims],) * dims)
    features = encoder(x)
    if decoder == "pixel_shuffle":
        torch.nn.init.normal_(head.layers[-1].weight, std=0.1)  # it starts at zero (bicubic identity)
        y = head(features[0])
    else:
        y = head(x, features) if getattr(head, "takes_input", False) else head(features)
    assert y.shape == expected_shape(decoder, dims)
    y.square().mean().backward()
    # a classifier reads the coarsest level only: the norms that finish finer levels stay out of it
    trained = (head,) if decoder == "classifier" else (encoder, head)
    missing = [n for m in trained for n, p in m.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, missing[:5]
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in encoder.parameters())


@pytest.mark.parametrize("backbone,dims,decoder", list(pairs(False)))
def test_refused_pairs_say_why(backbone, dims, decoder):
    encoder = build(backbone, dims)
    with pytest.raises(ValueError, match=f"decoder {decoder} needs"):
        build_decoder(decoder, encoder.feature_info, 1, dims, **OPTIONS[decoder])


def test_unet_widths_project_wide_levels_first():
    encoder = build_backbone("hybrid_test", in_channels=1, spatial_dims=3)
    slim = build_decoder("unet", encoder.feature_info, 1, 3, out_channels=2, widths=[4, 4, 8, 8, 8])
    full = build_decoder("unet", encoder.feature_info, 1, 3, out_channels=2)
    x = torch.randn(1, 1, 32, 32, 32)
    assert slim(x, encoder(x)).shape == (1, 2, 32, 32, 32)
    assert sum(p.numel() for p in slim.parameters()) < sum(p.numel() for p in full.parameters())
    with pytest.raises(ValueError, match="widths needs 5 entries"):
        build_decoder("unet", encoder.feature_info, 1, 3, widths=[4, 4])


def decoder_flops(full_resolution: str) -> tuple[int, torch.Tensor, torch.nn.Module]:
    """Multiply-adds of the unet decoder (the encoder's left out) at 32^3, its output, and the decoder."""
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    encoder = build_backbone("hybrid_test", in_channels=4, spatial_dims=3)
    head = build_decoder("unet", encoder.feature_info, 4, 3, out_channels=3, full_resolution=full_resolution)
    x = torch.randn(2, 4, 32, 32, 32)
    features = encoder(x)
    with FlopCounterMode(display=False) as counter:
        y = head(x, features)
    return counter.get_total_flops(), y, head


@pytest.mark.parametrize(("stage", "share"), [("light", 0.5), ("light_mlp", 0.6)])
def test_unet_light_full_resolution_stage_costs_less_and_trains_end_to_end(stage, share):
    light_flops, light, head = decoder_flops(stage)
    refined_flops, refined, _ = decoder_flops("refined")
    assert light.shape == refined.shape == (2, 3, 32, 32, 32)
    assert light_flops < refined_flops * share, (light_flops, refined_flops)
    full_resolution = (head.input_skip, *head.up_blocks[-1].modules())
    assert not any(isinstance(m, (torch.nn.LayerNorm, torch.nn.Linear)) for m in full_resolution)
    light.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in head.parameters())


def test_unet_refuses_an_unknown_full_resolution_stage():
    encoder = build_backbone("hybrid_test", in_channels=4, spatial_dims=3)
    with pytest.raises(ValueError, match="full_resolution must be one of refined, light, light_mlp"):
        build_decoder("unet", encoder.feature_info, 4, 3, full_resolution="fast")

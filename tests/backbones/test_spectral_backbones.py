"""Spectral backbones (ChannelViT, the ViT baseline, the window net) with the ``classifier`` decoder:
shapes, band subsets through ``channel_ids``, zero-filling, gradients, the facts they declare."""

import pytest
import torch

from hybridvision.backbones import BACKBONES, EncoderDecoder, build_decoder
from hybridvision.backbones.band_fill import interpolate_bands, zero_fill

SMALL = {
    "channelvit": {"dim": 16, "depth": 1, "heads": 2, "image_size": 5},
    "vit": {"dim": 16, "depth": 1, "heads": 2, "image_size": 6, "patch_size": 3},
    "spectral_window": {"dim": 16, "depth": 2, "heads": 2, "window": 3},
}


def classifier(name: str, bands: int, classes: int, **kwargs) -> EncoderDecoder:
    backbone = BACKBONES.build(name, in_channels=bands, spatial_dims=2, **kwargs)
    pool = "centre_mean" if backbone.full_resolution else "mean"
    return EncoderDecoder(
        backbone, build_decoder("classifier", backbone.feature_info, bands, 2, classes=classes, pool=pool)
    )


def test_every_spectral_backbone_declares_channel_ids():
    for name in SMALL:
        assert BACKBONES.entry(name).metadata["support"].channel_ids


@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_spectral_model_takes_all_bands_or_a_subset(name):
    kwargs = SMALL[name]
    size = kwargs.get("image_size", 5)
    model = classifier(name, 20, 4, **kwargs)
    x = torch.randn(3, 20, size, size, requires_grad=True)
    logits = model(x)
    assert logits.shape == (3, 4)
    logits.sum().backward()
    assert x.grad.abs().sum() > 0
    subset = torch.tensor([1, 4, 9, 17])
    assert model(x[:, subset].detach(), channel_ids=subset).shape == (3, 4)


def test_only_channelvit_uses_a_subset_as_it_is_and_it_says_its_group_size():
    vit = classifier("channelvit", 16, 3, dim=8, depth=1, heads=2, image_size=3, group_size=4)
    assert vit.takes_channel_subsets and vit.channel_group_size == 4
    window = classifier("spectral_window", 16, 3, dim=8, depth=1, heads=2)
    assert not window.takes_channel_subsets and window.channel_group_size == 1


def test_a_fixed_size_backbone_refuses_another_size_clearly():
    model = classifier("channelvit", 6, 3, dim=8, depth=1, heads=2, image_size=9)
    with pytest.raises(ValueError, match=r"built for 9 x 9 inputs.*got \(7, 7\)"):
        model(torch.randn(1, 6, 7, 7))


def test_channelvit_leaves_out_absent_band_groups_and_interpolates_partial_ones():
    backbone = BACKBONES.build("channelvit", in_channels=12, spatial_dims=2, dim=8, depth=1, heads=2, image_size=3,
                               group_size=4).eval()  # fmt: skip
    x = torch.randn(2, 12, 3, 3)
    groups, present = backbone.group(x[:, [0, 1, 5]], torch.tensor([0, 1, 5]))
    assert present.tolist() == [0, 1] and groups.shape == (2, 2, 4, 3, 3)
    assert torch.equal(groups[:, 0, :2], x[:, :2]) and torch.equal(groups[:, 1, 1], x[:, 5])
    assert torch.allclose(groups[:, 0, 3], (x[:, 1] + x[:, 5]) / 2)  # band 3: half way from band 1 to band 5
    assert torch.equal(groups[:, 1, 3], x[:, 5])  # beyond the last present band: the nearest one


def test_interpolated_bands_rebuild_a_smooth_spectrum():
    spectrum = torch.linspace(0.1, 0.5, 16)[None, :, None, None]
    kept = torch.arange(0, 16, 2)
    full = interpolate_bands(spectrum[:, kept], kept, 16)
    assert torch.allclose(full[:, :15], spectrum[:, :15], atol=1e-6)


def test_per_band_channelvit_output_does_not_depend_on_absent_bands():
    model = classifier("channelvit", 6, 3, dim=8, depth=1, heads=2, image_size=3).eval()
    x = torch.randn(2, 6, 3, 3)
    kept = torch.tensor([0, 2, 3])
    changed = x.clone()
    changed[:, [1, 4, 5]] = 100.0
    with torch.no_grad():
        assert torch.allclose(model(x[:, kept], channel_ids=kept), model(changed[:, kept], channel_ids=kept))
        assert not torch.allclose(model(x), model(changed))


def test_centre_mean_pooling_weighs_the_centre_pixel():
    levels = BACKBONES.build("spectral_window_test", in_channels=4, spatial_dims=2).feature_info
    head = build_decoder("classifier", levels, 4, 2, classes=2, pool="centre_mean")
    centre_v, centre_w = torch.zeros(1, 16, 5, 5), torch.zeros(1, 16, 5, 5)
    v, w = torch.randn(16), torch.randn(16)
    centre_v[0, :, 2, 2], centre_v[0, :, 0, 0] = v, w
    centre_w[0, :, 2, 2], centre_w[0, :, 0, 0] = w, v  # the same mean, another centre pixel
    assert not torch.allclose(head([centre_v]), head([centre_w]))
    with pytest.raises(ValueError, match="pool must be mean or centre_mean"):
        build_decoder("classifier", levels, 4, 2, pool="max")


def test_zero_fill_places_bands_and_checks_counts():
    x = torch.ones(1, 2, 2, 2)
    full = zero_fill(x, torch.tensor([1, 3]), 4)
    assert full[0, :, 0, 0].tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="expected 4 bands"):
        zero_fill(x, None, 4)

"""Spectral classifiers: shapes, band subsets, zero-filling, gradients."""

import pytest
import torch

from hybridvision.backbones import SPECTRAL_CLASSIFIERS
from hybridvision.backbones.spectral_classifiers import interpolate_bands, zero_fill

SMALL = {
    "channelvit": {"dim": 16, "depth": 1, "heads": 2, "image_size": 5},
    "vit": {"dim": 16, "depth": 1, "heads": 2, "image_size": 6, "patch_size": 3},
    "spectral_window": {"dim": 16, "depth": 2, "heads": 2, "window": 3},
}


@pytest.mark.parametrize("name", SPECTRAL_CLASSIFIERS.names())
def test_every_classifier_takes_all_bands_or_a_subset(name):
    kwargs = SMALL[name]
    size = kwargs.get("image_size", 5)
    model = SPECTRAL_CLASSIFIERS.build(name, bands=20, classes=4, **kwargs)
    x = torch.randn(3, 20, size, size, requires_grad=True)
    logits = model(x)
    assert logits.shape == (3, 4)
    logits.sum().backward()
    assert x.grad.abs().sum() > 0
    subset = torch.tensor([1, 4, 9, 17])
    assert model(x[:, subset].detach(), channels=subset).shape == (3, 4)


def test_channelvit_leaves_out_absent_band_groups_and_interpolates_partial_ones():
    model = SPECTRAL_CLASSIFIERS.build("channelvit", bands=12, classes=3, dim=8, depth=1, heads=2, image_size=3,
                                       group_size=4).eval()  # fmt: skip
    x = torch.randn(2, 12, 3, 3)
    groups, present = model.group(x[:, [0, 1, 5]], torch.tensor([0, 1, 5]))
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
    model = SPECTRAL_CLASSIFIERS.build("channelvit", bands=6, classes=3, dim=8, depth=1, heads=2, image_size=3).eval()
    x = torch.randn(2, 6, 3, 3)
    kept = torch.tensor([0, 2, 3])
    changed = x.clone()
    changed[:, [1, 4, 5]] = 100.0
    with torch.no_grad():
        assert torch.allclose(model(x[:, kept], channels=kept), model(changed[:, kept], channels=kept))
        assert not torch.allclose(model(x), model(changed))


def test_zero_fill_places_bands_and_checks_counts():
    x = torch.ones(1, 2, 2, 2)
    full = zero_fill(x, torch.tensor([1, 3]), 4)
    assert full[0, :, 0, 0].tolist() == [0, 1, 0, 1]
    with pytest.raises(ValueError, match="expected 4 bands"):
        zero_fill(x, None, 4)

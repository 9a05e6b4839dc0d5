"""wavelength_fcn: bands are a set keyed by wavelength, so a subset, another order, or a band missing
at one pixel alone (NaN) all give what the model would give those bands; its stated cost is what
its convolutions execute."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from hybridvision.backbones import BACKBONES

WAVELENGTHS = (443.0, 490.0, 560.0, 665.0, 705.0, 740.0, 783.0, 842.0, 865.0, 945.0, 1610.0, 2190.0)


def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return BACKBONES.build("wavelength_fcn", in_channels=12, spatial_dims=2, wavelengths=WAVELENGTHS).eval()


def test_a_subset_by_channel_ids_is_the_same_as_missing_bands():
    net, x = model(), torch.rand(2, 12, 20, 20)
    kept = torch.tensor([1, 2, 3, 7])
    holes = torch.full_like(x, float("nan"))
    holes[:, kept] = x[:, kept]
    with torch.inference_mode():
        subset = net(x[:, kept], channel_ids=kept)[0]
        missing = net(holes)[0]
        every = net(x)[0]
    torch.testing.assert_close(subset, missing, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(subset, every, atol=1e-3)  # the other bands do matter


def test_band_order_does_not_matter_but_wavelengths_do():
    net, x = model(), torch.rand(1, 12, 16, 16)
    order = torch.randperm(12, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        reference = net(x)[0]
        shuffled = net(x[:, order], channel_ids=order)[0]
        swapped = net(x[:, [1, 0, *range(2, 12)]])[0]  # blue read as coastal and coastal as blue
    torch.testing.assert_close(shuffled, reference, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(swapped, reference, atol=1e-4)


def test_a_pixel_without_one_band_keeps_its_neighbours_unchanged_elsewhere():
    net, x = model(), torch.rand(1, 12, 40, 40)
    holed = x.clone()
    holed[0, 3, 5, 5] = float("nan")
    with torch.inference_mode():
        a, b = net(x)[0], net(holed)[0]
    reach = net.receptive_field // 2
    assert torch.isfinite(b).all()
    far = torch.ones(40, 40, dtype=torch.bool)
    far[max(0, 5 - reach) : 5 + reach + 1, max(0, 5 - reach) : 5 + reach + 1] = False
    torch.testing.assert_close(a[0][:, far], b[0][:, far])


def test_stated_cost_matches_the_convolutions_executed():
    net, bands, side = model(), 12, 32
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        net(torch.rand(1, bands, side, side))
    convolutions = counter.get_total_flops() / 2 / side**2  # multiply-adds per pixel
    band_tokens = bands * net.tokens  # the per-band affine maps, elementwise (not counted as convolutions)
    assert abs(net.macs_per_pixel(bands) - band_tokens - convolutions) / convolutions < 0.02

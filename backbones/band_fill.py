"""Missing bands for spectral backbones that take a subset of their bands (``channel_ids``).

A spectral backbone is built for ``in_channels`` bands; ``forward(x, channel_ids)`` says which of
them the C channels of ``x`` are. ChannelViT uses the subset as it is (its tokens are per band
group); the others get the missing bands zero-filled (:func:`zero_fill`).
"""

from __future__ import annotations

import torch


def zero_fill(x: torch.Tensor, channels: torch.Tensor | None, bands: int) -> torch.Tensor:
    """(B, C, H, W) given ``channels`` -> (B, bands, H, W) with the missing bands set to 0."""
    if channels is None:
        if x.shape[1] != bands:
            raise ValueError(f"expected {bands} bands, got {x.shape[1]} (pass channel_ids= for a subset)")
        return x
    full = x.new_zeros(x.shape[0], bands, *x.shape[2:])
    full[:, channels] = x
    return full


def interpolate_bands(x: torch.Tensor, channels: torch.Tensor, bands: int) -> torch.Tensor:
    """(B, C, H, W) at sorted band indices ``channels`` -> (B, bands, H, W), each missing band
    linearly interpolated from its nearest present neighbours (the nearest one beyond the ends)."""
    positions = torch.arange(bands, device=x.device)
    right = torch.searchsorted(channels, positions).clamp(max=len(channels) - 1)
    left = (right - 1).clamp(min=0)
    low, high = channels[left], channels[right]
    weight = ((positions - low) / (high - low).clamp(min=1)).clamp(0, 1).to(x.dtype)[None, :, None, None]
    return x[:, left] * (1 - weight) + x[:, right] * weight

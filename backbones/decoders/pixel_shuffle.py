"""``pixel_shuffle``: the super-resolution head over a full-resolution body (SwinIR, HAT).

``direct`` (SwinIR-light's "pixelshuffledirect"): one conv to ``out * scale**2`` channels and a single
PixelShuffle, all at the input resolution; otherwise a conv + PixelShuffle(2) per factor of 2 and a
conv at the output resolution (SwinIR/HAT's "pixelshuffle": richer, and at x4 about a third of a
light model's cost). The last conv starts at zero, so beside a bicubic skip an untrained model is
exactly bicubic upscaling.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ..contract import FeatureInfo
from .base import DECODERS, Needs


class PixelShuffleHead(nn.Module):
    """(B, C, H, W) features -> (B, out_channels, H * scale, W * scale); scale a power of 2."""

    def __init__(self, channels: int, out_channels: int, scale: int, hidden: int = 64, direct: bool = False):
        super().__init__()
        if scale < 1 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of 2 (2 or 4), got {scale}")
        layers: list[nn.Module] = [nn.Conv2d(channels, hidden, 3, padding=1), nn.LeakyReLU(0.2)]
        if direct:
            layers += [nn.Conv2d(hidden, out_channels * scale * scale, 3, padding=1), nn.PixelShuffle(scale)]
        else:
            for _ in range(int(math.log2(scale))):
                layers += [nn.Conv2d(hidden, 4 * hidden, 3, padding=1), nn.PixelShuffle(2)]
            layers.append(nn.Conv2d(hidden, out_channels, 3, padding=1))
        last = layers[-2] if direct else layers[-1]
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


@DECODERS.register(
    "pixel_shuffle", needs=Needs((2,), "full_resolution"), description="super-resolution head x2/x4 (SwinIR, HAT)"
)
def pixel_shuffle(
    feature_info: Sequence[FeatureInfo],
    in_channels: int,
    spatial_dims: int,
    scale: int = 2,
    hidden: int = 64,
    direct: bool = False,
) -> PixelShuffleHead:
    """The head for a full-resolution body: its output has the body's input channels, ``scale`` times larger."""
    return PixelShuffleHead(feature_info[0].channels, in_channels, scale, hidden, direct)

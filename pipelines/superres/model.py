"""Super-resolution network: a full-resolution body from the registry plus a pixel-shuffle head.

The head follows SwinIR/HAT: conv -> (conv to 4C -> PixelShuffle(2)) per factor of 2 -> conv to the
output bands. The output is added to a bicubic upscaling of the input, so the network learns the
missing detail (a residual), which trains quickly and starts from bicubic quality.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from hybridvision.backbones import Backbone


class PixelShuffleHead(nn.Module):
    """(B, C, H, W) features -> (B, out_channels, H * scale, W * scale); scale a power of 2."""

    def __init__(self, channels: int, out_channels: int, scale: int, hidden: int = 64):
        super().__init__()
        if scale < 1 or scale & (scale - 1):
            raise ValueError(f"scale must be a power of 2 (2 or 4), got {scale}")
        layers: list[nn.Module] = [nn.Conv2d(channels, hidden, 3, padding=1), nn.LeakyReLU(0.2)]
        for _ in range(int(math.log2(scale))):
            layers += [nn.Conv2d(hidden, 4 * hidden, 3, padding=1), nn.PixelShuffle(2)]
        layers.append(nn.Conv2d(hidden, out_channels, 3, padding=1))
        nn.init.zeros_(layers[-1].weight)  # untrained, the whole model is exactly bicubic upscaling
        nn.init.zeros_(layers[-1].bias)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class SuperResolver(nn.Module):
    """Body + head + bicubic skip. ``x: (B, C, H, W)`` in [0, 1] -> ``(B, C, sH, sW)``."""

    def __init__(self, body: Backbone, scale: int, head_channels: int = 64):
        super().__init__()
        if body.feature_info[0].reduction != 1:
            raise ValueError("super-resolution needs a full-resolution body (reduction 1), e.g. hat_light")
        self.body = body
        self.scale = scale
        self.head = PixelShuffleHead(body.feature_info[0].channels, body.in_channels, scale, head_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        upscaled = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return upscaled + self.head(self.body(x)[0])

"""``pixel``: a class (or value) per pixel from one full-resolution level, a 1 x 1 convolution."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..contract import FeatureInfo
from .base import DECODERS, Needs


@DECODERS.register("pixel", needs=Needs((2, 3), "full_resolution"), description="per-pixel linear head")
class PixelHead(nn.Module):
    """[(B, C, *spatial)] -> (B, out_channels, *spatial): dense backbones that already mixed the
    neighbourhood need no upsampling, only a linear map per pixel."""

    takes_input = False

    def __init__(self, feature_info: Sequence[FeatureInfo], in_channels: int, spatial_dims: int, out_channels: int = 2):
        super().__init__()
        conv = nn.Conv2d if spatial_dims == 2 else nn.Conv3d
        self.linear = conv(feature_info[-1].channels, out_channels, 1)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        return self.linear(features[-1])

"""``spatial3d``: a frozen 2D encoder reads volumes slice by slice; depth-wise 3D convolutions join slices.

After 3DSAM-adapter: the 2D model is kept, and small 3D convolutions give it the third axis. Our
backbone contract exposes levels rather than the stages inside an encoder, so the 3D mixing sits at
every level's output (a residual depth-wise 3 x 3 x 3 convolution and a pointwise one that starts at
zero), then the slice axis is pooled to the level's reduction: five isotropic 3D levels, like any
hierarchical 3D backbone. The 2D trunk never sees across slices; the adapters and the decoder do.
Volumes whose channel count differs from the 2D model's (4 MRI modalities into RGB) are mixed in
first by a learned 1 x 1 x 1 convolution that starts as their mean.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..contract import Backbone
from .around import AroundBackbone


class DepthMixer(nn.Module):
    """(B, C, H, W, D) -> the same, plus pointwise(depthwise 3 x 3 x 3 (x)), zero at the start."""

    def __init__(self, channels: int):
        super().__init__()
        self.depthwise = nn.Conv3d(channels, channels, 3, padding=1, groups=channels)
        self.pointwise = nn.Conv3d(channels, channels, 1)
        nn.init.zeros_(self.pointwise.weight), nn.init.zeros_(self.pointwise.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pointwise(F.gelu(self.depthwise(x)))


class Spatial3DAdapter(AroundBackbone):
    """(B, in_channels, X, Y, Z) -> slices (B * Z, C, X, Y) through the frozen 2D backbone -> 3D levels.

    Args:
        backbone: a 2D backbone (frozen).
        in_channels: the volume's channels; mixed into the backbone's when they differ.
    """

    def __init__(self, backbone: Backbone, in_channels: int | None = None):
        if backbone.spatial_dims != 2:
            raise ValueError(f"spatial3d reads volumes with a 2D backbone, got a {backbone.spatial_dims}D one")
        in_channels = in_channels or backbone.in_channels
        super().__init__(backbone, in_channels=in_channels, spatial_dims=3)
        self.mix = None
        if in_channels != backbone.in_channels:
            self.mix = nn.Conv3d(in_channels, backbone.in_channels, 1)
            with torch.no_grad():
                self.mix.weight.fill_(1.0 / in_channels)
                self.mix.bias.zero_()
        self.mixers = nn.ModuleList(DepthMixer(info.channels) for info in backbone.feature_info)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        if self.mix is not None:
            x = self.mix(x)
        batch, channels, _, _, depth = x.shape
        slices = x.permute(0, 4, 1, 2, 3).reshape(batch * depth, channels, *x.shape[2:4])
        levels = []
        for level, info, mixer in zip(self.frozen(slices), self.feature_info, self.mixers):
            volume = level.reshape(batch, depth, *level.shape[1:]).permute(0, 2, 3, 4, 1)  # (B, C, H, W, Z)
            levels.append(F.avg_pool3d(mixer(volume), (1, 1, info.reduction)))
        return levels

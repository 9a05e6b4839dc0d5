"""``side``: a small trainable convolutional branch beside a frozen encoder, fused at every level.

After SAM-UNet and CC-SAM: the frozen encoder keeps what it learned; a light CNN reads the same
input and adds, level by level, the local detail the task needs. Each fusion is a 1 x 1
convolution that starts at zero, so training starts from the frozen features exactly.
"""

from __future__ import annotations

import torch
from torch import nn

from ..contract import Backbone
from .around import AroundBackbone, conv_nd


class SideAdapter(AroundBackbone):
    """frozen levels + zero-initialised 1 x 1 projections of a strided conv branch at the same reductions.

    Args:
        backbone: a frozen backbone whose levels have reductions 1, 2, 4, ... (each twice the last).
        width: channels of the branch's first level (doubling per level, up to ``4 * width``).
    """

    trunk_sees_input = True

    def __init__(self, backbone: Backbone, width: int = 16):
        super().__init__(backbone)
        conv = conv_nd(backbone.spatial_dims)
        norm = nn.BatchNorm2d if backbone.spatial_dims == 2 else nn.BatchNorm3d
        reductions = [info.reduction for info in backbone.feature_info]
        if any(b != 2 * a for a, b in zip(reductions, reductions[1:])):
            raise ValueError(f"side needs levels that halve one after another, got reductions {reductions}")
        self.steps, self.fuse = nn.ModuleList(), nn.ModuleList()
        channels, first_stride = backbone.in_channels, reductions[0]
        for index, info in enumerate(backbone.feature_info):
            out = min(width * 2**index, 4 * width)
            stride = first_stride if index == 0 else 2
            self.steps.append(nn.Sequential(conv(channels, out, 3, stride, 1, bias=False), norm(out), nn.GELU()))
            projection = conv(out, info.channels, 1)
            nn.init.zeros_(projection.weight), nn.init.zeros_(projection.bias)
            self.fuse.append(projection)
            channels = out

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        frozen = self.run_frozen(x)  # no gradient: no activations kept for it
        fused, y = [], x
        for feature, step, fuse in zip(frozen, self.steps, self.fuse):
            y = step(y)
            fused.append(feature + fuse(y))
        return fused

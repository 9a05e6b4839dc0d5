"""The full-resolution body shared by the super-resolution families (HAT, DRCT).

SwinIR-style layout (Liang et al., 2021): a 3x3 convolution to ``dim`` channels (shallow
features), residual groups of the family's blocks, a 3x3 convolution, and a long skip from the
shallow features. One level at reduction 1, so a pixel-shuffle head can upsample it. Any input
size works: the window blocks pad internally.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .contract import Backbone, FeatureInfo
from .layers.layout import channels_first, channels_last


class RestorationBody(Backbone):
    """Shallow conv -> residual groups (on channels-last tokens) -> conv, plus the long skip.

    Args:
        in_channels: input bands (1, 3 or N).
        dim: feature channels.
        groups: how many residual groups.
        make_group: ``make_group(index) -> nn.Module`` mapping (B, H, W, dim) tokens to the same.
        window: the groups' attention window (tiled inference keeps tile origins on its grid).
    """

    def __init__(
        self,
        in_channels: int,
        spatial_dims: int,
        dim: int,
        groups: int,
        make_group: Callable[[int], nn.Module],
        window: int = 1,
    ):
        if spatial_dims != 2:
            raise ValueError(f"super-resolution bodies are 2D; spatial_dims={spatial_dims} was asked")
        super().__init__(in_channels, spatial_dims, [FeatureInfo(dim, 1)])
        self.shallow = nn.Conv2d(in_channels, dim, 3, padding=1)
        self.groups = nn.ModuleList(make_group(i) for i in range(groups))
        self.norm = nn.LayerNorm(dim)
        self.after_body = nn.Conv2d(dim, dim, 3, padding=1)
        self.window = window

    @property
    def size_multiple(self) -> int:
        return 1

    @property
    def window_multiple(self) -> int:
        return self.window

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x: (B, C_in, H, W), any H and W -> [(B, dim, H, W)]."""
        self.check_input(x)
        shallow = self.shallow(x)
        tokens = channels_last(shallow)
        for group in self.groups:
            tokens = group(tokens)
        return [self.after_body(channels_first(self.norm(tokens))) + shallow]


class ResidualGroup(nn.Module):
    """Blocks, then a 3x3 convolution, plus the group's input (RSTB / RHAG)."""

    def __init__(self, dim: int, blocks: list[nn.Module]):
        super().__init__()
        self.blocks = nn.Sequential(*blocks)
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channels_last(self.conv(channels_first(self.blocks(x)))) + x

"""``dvpt``: a bottleneck per level plus a few learned prompt queries that cross-attend to the frozen features.

After DVPT (dynamic visual prompt tuning): at each level, ``prompts`` learned queries read the
frozen features (cross-attention, in a ``rank``-wide bottleneck), every position then reads the
prompts back, and an up-projection that starts at zero adds the result to the frozen feature:
``f + up(gelu(down(f) + attend(down(f), prompts)))``. With a small rank, about 0.5% extra
parameters on a large frozen model.
"""

from __future__ import annotations

import torch
from torch import nn

from ..contract import Backbone
from .around import AroundBackbone, conv_nd


class PromptBottleneck(nn.Module):
    """One level: (B, C, *S) -> the same shape, a zero update at the start."""

    def __init__(self, channels: int, spatial_dims: int, rank: int, prompts: int):
        super().__init__()
        conv = conv_nd(spatial_dims)
        self.down, self.up = conv(channels, rank, 1), conv(rank, channels, 1)
        nn.init.zeros_(self.up.weight), nn.init.zeros_(self.up.bias)
        self.queries = nn.Parameter(torch.randn(prompts, rank) * rank**-0.5)
        self.scale = rank**-0.5

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        reduced = self.down(feature)  # (B, r, *S)
        tokens = reduced.flatten(2).transpose(1, 2)  # (B, N, r)
        prompts = torch.softmax(self.queries @ tokens.transpose(1, 2) * self.scale, -1) @ tokens  # (B, k, r)
        back = torch.softmax(tokens @ prompts.transpose(1, 2) * self.scale, -1) @ prompts  # (B, N, r)
        update = nn.functional.gelu(reduced + back.transpose(1, 2).reshape(reduced.shape))
        return feature + self.up(update)


class DVPTAdapter(AroundBackbone):
    """The frozen backbone's levels, each updated by its own ``PromptBottleneck``.

    Args:
        rank: bottleneck width. prompts: learned queries per level.
    """

    trunk_sees_input = True

    def __init__(self, backbone: Backbone, rank: int = 8, prompts: int = 4):
        super().__init__(backbone)
        self.levels = nn.ModuleList(
            PromptBottleneck(info.channels, backbone.spatial_dims, rank, prompts) for info in backbone.feature_info
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        frozen = self.run_frozen(x)  # no gradient: no activations kept for it
        return [level(feature) for level, feature in zip(self.levels, frozen)]

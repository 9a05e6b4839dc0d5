"""The skeleton shared by the hierarchical families (swin, convnext, hybrid).

A patchify stem halves the input (level 0, reduction 2); four stages each halve it again
(reductions 4, 8, 16, 32) and run their blocks. Every level's output is LayerNorm-ed and returned
channels-first, fine to coarse: five levels, as Swin UNETR's decoder expects. The running tensor
is kept as channels-last tokens ``(B, *S, C)``, so attention blocks and depthwise-conv blocks
both read it without copies.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from .contract import Backbone, FeatureInfo
from .layers import PatchMerging, conv_nd
from .layers.layout import channels_first, channels_last


class ConvDownsample(nn.Module):
    """LayerNorm then a 2x2(x2) stride-2 convolution, on channels-last tokens."""

    def __init__(self, spatial_dims: int, dim: int, out_dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.conv = conv_nd(spatial_dims)(dim, out_dim, 2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channels_last(self.conv(channels_first(self.norm(x))))


BlockFactory = Callable[[int, int, int, float], nn.Module]
"""make_block(level, dim, index_in_stage, drop_path) -> a block on (B, *S, dim) tokens."""


class HierarchicalEncoder(Backbone):
    """Stem + four downsampling stages; blocks supplied by the family.

    Args:
        in_channels: input channels.
        spatial_dims: 2 or 3.
        dims: channels of the five levels (reductions 2, 4, 8, 16, 32).
        depths: blocks at each of the five levels (level 0 may have none).
        make_block: the family's block factory.
        downsample: "conv" (strided conv) or "merge" (Swin patch merging).
        drop_path: largest stochastic depth; grows linearly over the blocks.
    """

    def __init__(
        self,
        in_channels: int,
        spatial_dims: int,
        dims: Sequence[int],
        depths: Sequence[int],
        make_block: BlockFactory,
        downsample: str = "conv",
        drop_path: float = 0.0,
    ):
        if len(dims) != 5 or len(depths) != 5:
            raise ValueError(f"dims and depths need 5 entries (levels at reduction 2..32), got {dims}, {depths}")
        super().__init__(in_channels, spatial_dims, [FeatureInfo(c, 2 ** (i + 1)) for i, c in enumerate(dims)])
        self.stem = conv_nd(spatial_dims)(in_channels, dims[0], 2, stride=2)
        self.stem_norm = nn.LayerNorm(dims[0])
        rates = torch.linspace(0, drop_path, max(1, sum(depths))).tolist()
        self.downsamples = nn.ModuleList()
        self.stages = nn.ModuleList()
        self.out_norms = nn.ModuleList()
        block_index = 0
        for level, (dim, depth) in enumerate(zip(dims, depths)):
            if level > 0:
                if downsample == "merge":
                    self.downsamples.append(PatchMerging(spatial_dims, dims[level - 1], dim))
                elif downsample == "conv":
                    self.downsamples.append(ConvDownsample(spatial_dims, dims[level - 1], dim))
                else:
                    raise ValueError(f"downsample must be conv or merge, got {downsample!r}")
            blocks = [make_block(level, dim, i, rates[block_index + i]) for i in range(depth)]
            block_index += depth
            self.stages.append(nn.Sequential(*blocks))
            self.out_norms.append(nn.LayerNorm(dim))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x: (B, C_in, *S) with every S a multiple of 32 -> five (B, C_i, *S / 2^(i+1)) maps."""
        self.check_input(x)
        tokens = self.stem_norm(channels_last(self.stem(x)))
        features = []
        for level, stage in enumerate(self.stages):
            if level > 0:
                tokens = self.downsamples[level - 1](tokens)
            tokens = stage(tokens)
            features.append(channels_first(self.out_norms[level](tokens)))
        return features

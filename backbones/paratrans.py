"""ParaTransCNN: a CNN branch and a transformer branch side by side at every scale, fused by
channel attention.

Sun et al., "ParaTransCNN: Parallel Transformer and CNN Network for Medical Image Segmentation",
2024. Where the hybrid encoder chooses convolution for the fine levels and attention for the
coarse ones, ParaTransCNN runs both on every level: the convolution keeps local texture and edges,
window attention gathers context, and a squeeze-excitation gate on the two branches' concatenated
channels decides, per channel, how much of each the level keeps. Here each block is one such
pair on the shared hierarchical skeleton (stem, four downsamplings, five levels), 2D or 3D.
"""

from __future__ import annotations

import torch
from torch import nn

from .contract import Support, register_sizes
from .hierarchical import HierarchicalEncoder
from .layers import DepthwiseConvBlock, TransformerBlock
from .layers.channel_attention import ChannelAttention
from .layers.drop_path import DropPath
from .layers.layout import channels_first, channels_last

PARATRANS_SIZES = {
    "test": dict(dims=(8, 8, 16, 32, 64), depths=(0, 1, 1, 1, 1)),
    "tiny": dict(dims=(16, 32, 64, 128, 256), depths=(1, 1, 2, 2, 1)),
    "small": dict(dims=(24, 48, 96, 192, 384), depths=(1, 1, 2, 3, 1)),
}
HEAD_WIDTH = 32  # channels per attention head


class ParallelBlock(nn.Module):
    """A depthwise-conv branch and a window-attention branch on the same tokens; their updates are
    concatenated, gated per channel (``ChannelAttention``) and projected back: ``(B, *S, C)`` in and out.

    ``branches`` (both by default) lets the mechanism test switch one off.
    """

    def __init__(self, spatial_dims: int, dim: int, window: int, drop_path: float = 0.0):
        super().__init__()
        self.conv = DepthwiseConvBlock(spatial_dims, dim, 3, mlp_ratio=2.0, layer_scale=0.0)
        self.attention = TransformerBlock(spatial_dims, dim, max(1, dim // HEAD_WIDTH), window, "window", 2.0)
        self.gate = ChannelAttention(spatial_dims, 2 * dim)
        self.fuse = nn.Linear(2 * dim, dim)
        self.drop_path = DropPath(drop_path)
        self.branches = ("conv", "attention")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        local = self.conv(x) - x if "conv" in self.branches else torch.zeros_like(x)  # the branches' updates
        context = self.attention(x) - x if "attention" in self.branches else torch.zeros_like(x)
        both = channels_last(self.gate(channels_first(torch.cat([local, context], dim=-1))))
        return x + self.drop_path(self.fuse(both))


def build_paratrans(
    in_channels: int,
    spatial_dims: int = 2,
    dims: tuple[int, ...] = (24, 48, 96, 192, 384),
    depths: tuple[int, ...] = (1, 1, 2, 3, 1),
    window: int | None = None,
    drop_path: float = 0.1,
) -> HierarchicalEncoder:
    """A ParaTransCNN encoder.

    Args:
        dims, depths: channels and parallel blocks of the five levels (reductions 2 to 32).
        window: attention window; default 8 in 2D and 4 in 3D (64 tokens either way).
    """
    window = window or (8 if spatial_dims == 2 else 4)

    def make_block(level: int, dim: int, index: int, rate: float):
        return ParallelBlock(spatial_dims, dim, window, rate)

    return HierarchicalEncoder(in_channels, spatial_dims, dims, depths, make_block, drop_path=drop_path)


register_sizes(
    "paratrans",
    PARATRANS_SIZES,
    build_paratrans,
    Support(spatial_dims=(2, 3)),
    "CNN and window-attention branches in parallel at every level, fused by channel attention (ParaTransCNN)",
)

"""The suite's default encoder: convolution at high resolution, attention at low resolution.

In the spirit of CoAtNet (Dai et al., 2021), MaxViT (Tu et al., ECCV 2022) and Next-ViT: early
levels, where there are many voxels, use cheap depthwise 3x3(x3) convolution blocks with a small
MLP; the last two levels (reductions 16 and 32), where there are few tokens, use attention that
alternates local windows and a dilated global grid (MaxViT's block and grid attention), each
preceded by a depthwise-conv position encoding. Designed for CPU speed: everything runs on
channels-last memory, so depthwise convolutions hit oneDNN's fast path and pointwise layers are
plain matrix products.
"""

from __future__ import annotations

from .contract import Support, register_sizes
from .hierarchical import HierarchicalEncoder
from .layers import ConvPositionEncoding, DepthwiseConvBlock, TransformerBlock

HYBRID_SIZES = {
    "test": dict(dims=(8, 8, 16, 32, 64), depths=(0, 1, 1, 1, 1), heads=(1, 2)),
    "tiny": dict(dims=(16, 32, 64, 128, 256), depths=(1, 1, 2, 2, 2), heads=(4, 8)),
    "small": dict(dims=(24, 48, 96, 192, 384), depths=(1, 2, 2, 4, 2), heads=(6, 12)),
    "base": dict(dims=(32, 64, 128, 256, 512), depths=(1, 2, 3, 6, 2), heads=(8, 16)),
}

CONV_LEVELS = 3  # levels 0-2 (reductions 2, 4, 8) are convolutional; 3-4 use attention


class AttentionBlock(TransformerBlock):
    """A window or grid attention block preceded by a convolutional position encoding."""

    def __init__(self, spatial_dims: int, dim: int, heads: int, window: int, mode: str, drop_path: float):
        super().__init__(spatial_dims, dim, heads, window, mode, mlp_ratio=3.0, drop_path=drop_path)
        self.position = ConvPositionEncoding(spatial_dims, dim)

    def forward(self, x):
        return super().forward(self.position(x))


def build_hybrid(
    in_channels: int,
    spatial_dims: int = 2,
    dims: tuple[int, ...] = (24, 48, 96, 192, 384),
    depths: tuple[int, ...] = (1, 2, 2, 4, 2),
    heads: tuple[int, int] = (6, 12),
    window: int | None = None,
    conv_mlp_ratio: float = 2.0,
    drop_path: float = 0.1,
) -> HierarchicalEncoder:
    """A hybrid encoder.

    Args:
        dims, depths: channels and blocks of the five levels (reductions 2 to 32).
        heads: attention heads of the two attention levels.
        window: attention window and grid size; default 8 in 2D and 4 in 3D (64 tokens either way).
        conv_mlp_ratio: MLP width of the convolutional blocks (small: they see the most voxels).
    """
    window = window or (8 if spatial_dims == 2 else 4)

    def make_block(level: int, dim: int, index: int, rate: float):
        if level < CONV_LEVELS:
            return DepthwiseConvBlock(spatial_dims, dim, 3, mlp_ratio=conv_mlp_ratio, layer_scale=1e-2, drop_path=rate)
        mode = "grid" if index % 2 else "window"
        return AttentionBlock(spatial_dims, dim, heads[level - CONV_LEVELS], window, mode, rate)

    return HierarchicalEncoder(in_channels, spatial_dims, dims, depths, make_block, drop_path=drop_path)


register_sizes(
    "hybrid",
    HYBRID_SIZES,
    build_hybrid,
    Support(spatial_dims=(2, 3)),
    "conv at high resolution, window + grid attention at low (default)",
)

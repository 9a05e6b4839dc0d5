"""Swin Transformer encoder, 2D and 3D.

Liu et al., "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", ICCV 2021;
3D as in Hatamizadeh et al., "Swin UNETR", BrainLes 2021. A patch embedding (level 0, reduction 2)
and four stages of alternating window / shifted-window attention blocks, each stage after a patch
merging. Levels: reductions 2, 4, 8, 16, 32 with channels C, C, 2C, 4C, 8C, so the four stages
have the widths of Swin-T's (and of Swin UNETR's encoder blocks) at half the resolution cost.
"""

from __future__ import annotations

from .contract import Support, register_sizes
from .hierarchical import HierarchicalEncoder
from .layers import TransformerBlock

SWIN_SIZES = {
    "test": dict(embed_dim=8, depths=(1, 1, 1, 1), heads=(1, 1, 2, 2)),
    "tiny": dict(embed_dim=32, depths=(2, 2, 2, 2), heads=(1, 2, 4, 8)),
    "small": dict(embed_dim=48, depths=(2, 2, 2, 2), heads=(3, 6, 12, 24)),
    "base": dict(embed_dim=96, depths=(2, 2, 6, 2), heads=(3, 6, 12, 24)),
}


def build_swin(
    in_channels: int,
    spatial_dims: int = 2,
    embed_dim: int = 48,
    depths: tuple[int, ...] = (2, 2, 2, 2),
    heads: tuple[int, ...] = (3, 6, 12, 24),
    window: int = 7,
    mlp_ratio: float = 4.0,
    drop_path: float = 0.1,
) -> HierarchicalEncoder:
    """A Swin encoder; ``depths`` and ``heads`` give the four stages after the patch embedding."""
    dims = [embed_dim, embed_dim, 2 * embed_dim, 4 * embed_dim, 8 * embed_dim]

    def make_block(level: int, dim: int, index: int, rate: float):
        mode = "shifted" if index % 2 else "window"
        return TransformerBlock(spatial_dims, dim, heads[level - 1], window, mode, mlp_ratio, rate)

    return HierarchicalEncoder(
        in_channels, spatial_dims, dims, (0, *depths), make_block, downsample="merge", drop_path=drop_path
    )


register_sizes(
    "swin",
    SWIN_SIZES,
    build_swin,
    Support(spatial_dims=(2, 3)),
    "shifted-window transformer (Swin / Swin UNETR encoder)",
)

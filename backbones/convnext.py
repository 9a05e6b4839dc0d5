"""ConvNeXt encoder, 2D and 3D.

Liu et al., "A ConvNet for the 2020s", CVPR 2022: depthwise 7x7(x7) convolutions, LayerNorm, an
inverted-bottleneck MLP and layer scale, in four stages after a patchify stem. Here the stem has
stride 2 and forms level 0, so the levels match the other families (reductions 2 to 32).
"""

from __future__ import annotations

from .contract import Support, register_sizes
from .hierarchical import HierarchicalEncoder
from .layers import DepthwiseConvBlock

CONVNEXT_SIZES = {
    "test": dict(dims=(8, 8, 16, 32, 64), depths=(0, 1, 1, 1, 1)),
    "tiny": dict(dims=(24, 48, 96, 192, 384), depths=(0, 2, 2, 4, 2)),
    "small": dict(dims=(32, 64, 128, 256, 512), depths=(0, 2, 2, 6, 2)),
    "base": dict(dims=(48, 96, 192, 384, 768), depths=(0, 3, 3, 9, 3)),
}


def build_convnext(
    in_channels: int,
    spatial_dims: int = 2,
    dims: tuple[int, ...] = (32, 64, 128, 256, 512),
    depths: tuple[int, ...] = (0, 2, 2, 6, 2),
    kernel_size: int = 7,
    drop_path: float = 0.1,
) -> HierarchicalEncoder:
    """A ConvNeXt encoder; five levels of ``dims`` channels with ``depths`` blocks each."""

    def make_block(level: int, dim: int, index: int, rate: float):
        return DepthwiseConvBlock(spatial_dims, dim, kernel_size, mlp_ratio=4.0, drop_path=rate)

    return HierarchicalEncoder(in_channels, spatial_dims, dims, depths, make_block, drop_path=drop_path)


register_sizes("convnext", CONVNEXT_SIZES, build_convnext, Support(spatial_dims=(2, 3)), "depthwise-conv network")

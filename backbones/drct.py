"""DRCT: Dense-residual-connected Swin transformer for image super-resolution (Hsu et al., 2024).

Inside each group, every Swin layer reads the concatenation of the group input and all earlier
layers' outputs (each squeezed to ``growth`` channels), so feature intensity is carried forward
instead of fading toward the end of the network (the "information bottleneck"); the last layer
maps back to ``dim`` and is added to the group input with a 0.2 scale. 2D, full resolution.
"""

from __future__ import annotations

import torch
from torch import nn

from .contract import Support, register_sizes
from .layers import TransformerBlock
from .restoration import RestorationBody

DRCT_SIZES = {
    "test": dict(dim=16, groups=1, layers=3, growth=8, heads=2, window=4),
    "light": dict(dim=48, groups=2, layers=4, growth=16, heads=4, window=8),
    "tiny": dict(dim=60, groups=4, layers=5, growth=20, heads=4, window=8),
    "small": dict(dim=96, groups=6, layers=5, growth=32, heads=8, window=16),
    "base": dict(dim=180, groups=6, layers=5, growth=36, heads=6, window=16),
}


class DenseSwinGroup(nn.Module):
    """Swin layers on growing concatenations, each followed by a projection to ``growth``."""

    def __init__(self, dim: int, layers: int, growth: int, heads: int, window: int):
        super().__init__()
        self.swin = nn.ModuleList()
        self.adjust = nn.ModuleList()
        for i in range(layers):
            width = dim + i * growth
            if width % heads:
                raise ValueError(f"heads ({heads}) must divide every dense width ({width}); change growth or heads")
            mode = "shifted" if i % 2 else "window"
            self.swin.append(TransformerBlock(2, width, heads, window, mode, mlp_ratio=2.0))
            self.adjust.append(nn.Linear(width, dim if i == layers - 1 else growth))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, H, W, dim) channels-last tokens."""
        features = [x]
        for i, (swin, adjust) in enumerate(zip(self.swin, self.adjust)):
            out = adjust(swin(torch.cat(features, dim=-1)))
            if i < len(self.swin) - 1:
                features.append(self.act(out))
        return x + 0.2 * out


def build_drct(
    in_channels: int,
    spatial_dims: int = 2,
    dim: int = 48,
    groups: int = 2,
    layers: int = 4,
    growth: int = 16,
    heads: int = 4,
    window: int = 8,
) -> RestorationBody:
    """A DRCT body: ``groups`` dense Swin groups."""
    return RestorationBody(
        in_channels, spatial_dims, dim, groups, lambda index: DenseSwinGroup(dim, layers, growth, heads, window), window
    )


register_sizes(
    "drct",
    DRCT_SIZES,
    build_drct,
    Support(spatial_dims=(2,), full_resolution=True),
    "super-resolution body: dense-residual Swin groups",
)

"""Patch embedding and patch merging (Swin, Liu et al., 2021), 2D and 3D."""

from __future__ import annotations

import torch
from torch import nn

from .conv import conv_nd
from .norm import LayerNormChannelsFirst


class PatchEmbed(nn.Module):
    """Non-overlapping patches to tokens: a strided convolution and a LayerNorm.

    ``x: (B, C_in, *S) -> (B, embed_dim, *S / patch_size)``, channels first.
    """

    def __init__(self, spatial_dims: int, in_channels: int, embed_dim: int, patch_size: int = 2):
        super().__init__()
        self.proj = conv_nd(spatial_dims)(in_channels, embed_dim, patch_size, stride=patch_size)
        self.norm = LayerNormChannelsFirst(embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x))


class PatchMerging(nn.Module):
    """Halve every spatial size by concatenating each 2x2(x2) neighbourhood, then project.

    Channels-last tokens: ``x: (B, *S, C) -> (B, *S / 2, out_dim)``. Odd sizes are zero-padded.
    """

    def __init__(self, spatial_dims: int, dim: int, out_dim: int | None = None):
        super().__init__()
        self.spatial_dims = spatial_dims
        merged = dim * 2**spatial_dims
        self.norm = nn.LayerNorm(merged)
        self.reduction = nn.Linear(merged, out_dim or 2 * dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sizes = x.shape[1:-1]
        pad = []
        for size in reversed(sizes):
            pad += [0, size % 2]
        if any(pad):
            x = nn.functional.pad(x, [0, 0] + pad)
        b, c = x.shape[0], x.shape[-1]
        half = [s // 2 for s in x.shape[1:-1]]
        # (B, h0, 2, h1, 2, [h2, 2], C) -> (B, h0, h1, [h2], 2, 2, [2], C)
        shape = [b] + [v for h in half for v in (h, 2)] + [c]
        x = x.reshape(shape)
        d = self.spatial_dims
        order = [0] + [1 + 2 * i for i in range(d)] + [2 + 2 * i for i in range(d)] + [2 * d + 1]
        x = x.permute(order).reshape(b, *half, c * 2**d)
        return self.reduction(self.norm(x))

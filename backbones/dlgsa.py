"""DLGSANet: dynamic local and sparse global self-attention, a light super-resolution body.

Li et al., "DLGSANet: Lightweight Dynamic Local and Global Self-Attention Networks for Image
Super-Resolution", ICCV 2023. Each block has two attentions, each followed by a feed-forward layer:

- **Dynamic local** (MHDLSA): every pixel gets its own ``kernel`` x ``kernel`` weights per head,
  generated from the features at that pixel (a small pointwise network), and aggregates its
  neighbourhood's values with them: attention's input-dependence at convolution's cost.
- **Sparse global** (SparseGSA): attention across channels over the whole image (Restormer's
  transposed attention, cost linear in pixels), with ReLU in place of softmax, so query/key pairs
  that do not match get exactly zero weight instead of a small positive one.

2D, full resolution, on the SwinIR-style body shared with HAT and DRCT (``restoration.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .contract import Support, register_sizes
from .layers.layout import channels_first, channels_last
from .restoration import ResidualGroup, RestorationBody

DLGSA_SIZES = {
    "test": dict(dim=16, groups=1, blocks=1, heads=2, kernel=5),
    "light": dict(dim=48, groups=2, blocks=2, heads=4, kernel=7),
}


class DynamicLocalAttention(nn.Module):
    """Per-pixel, per-head ``kernel`` x ``kernel`` weights made from the input: (B, C, H, W) in and out."""

    def __init__(self, dim: int, heads: int, kernel: int):
        super().__init__()
        self.heads, self.kernel = heads, kernel
        self.weights = nn.Sequential(
            nn.Conv2d(dim, max(dim // 4, heads), 1), nn.GELU(), nn.Conv2d(max(dim // 4, heads), heads * kernel**2, 1)
        )
        self.value = nn.Conv2d(dim, dim, 1)
        self.proj = nn.Conv2d(dim, dim, 1)

    def local_weights(self, x: torch.Tensor) -> torch.Tensor:
        """(B, heads, kernel², H, W): each pixel's weights over its neighbourhood, summing to 1."""
        batch, _, height, width = x.shape
        return self.weights(x).view(batch, self.heads, self.kernel**2, height, width).softmax(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, height, width = x.shape
        values = F.unfold(self.value(x), self.kernel, padding=self.kernel // 2)
        values = values.view(batch, self.heads, channels // self.heads, self.kernel**2, height, width)
        out = (self.local_weights(x)[:, :, None] * values).sum(3)
        return self.proj(out.reshape(batch, channels, height, width))


class SparseGlobalAttention(nn.Module):
    """Channel attention over the whole image with ReLU weights: (B, C, H, W) in and out."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Conv2d(dim, 3 * dim, 1)
        self.local = nn.Conv2d(3 * dim, 3 * dim, 3, padding=1, groups=3 * dim)
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.proj = nn.Conv2d(dim, dim, 1)

    def attention(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(weights (B, heads, c, c), non-negative and sparse; values (B, heads, c, H*W))."""
        batch, channels, height, width = x.shape
        q, k, v = self.local(self.qkv(x)).reshape(batch, 3, self.heads, channels // self.heads, -1).unbind(1)
        q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
        return F.relu(q @ k.transpose(-2, -1) * self.temperature), v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights, values = self.attention(x)
        return self.proj((weights @ values).reshape(x.shape))


class FeedForward(nn.Module):
    """Pointwise expand, depthwise 3x3, GELU, pointwise back: (B, C, H, W)."""

    def __init__(self, dim: int, ratio: float = 2.0):
        super().__init__()
        hidden = int(dim * ratio)
        self.net = nn.Sequential(
            nn.Conv2d(dim, hidden, 1), nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden), nn.GELU(),
            nn.Conv2d(hidden, dim, 1),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class DLGSABlock(nn.Module):
    """Dynamic local attention, feed-forward, sparse global attention, feed-forward; each pre-norm
    and residual, on channels-last tokens ``(B, H, W, C)``."""

    def __init__(self, dim: int, heads: int, kernel: int):
        super().__init__()
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(4))
        self.local = DynamicLocalAttention(dim, heads, kernel)
        self.global_ = SparseGlobalAttention(dim, heads)
        self.feeds = nn.ModuleList(FeedForward(dim) for _ in range(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for norm, layer in zip(self.norms, (self.local, self.feeds[0], self.global_, self.feeds[1])):
            x = x + channels_last(layer(channels_first(norm(x))))
        return x


def build_dlgsa(
    in_channels: int,
    spatial_dims: int = 2,
    dim: int = 48,
    groups: int = 2,
    blocks: int = 2,
    heads: int = 4,
    kernel: int = 7,
) -> RestorationBody:
    """A DLGSANet body: ``groups`` residual groups of ``blocks`` DLGSA blocks."""
    if dim % heads:
        raise ValueError(f"heads ({heads}) must divide dim ({dim})")

    def make_group(index: int) -> nn.Module:
        return ResidualGroup(dim, [DLGSABlock(dim, heads, kernel) for _ in range(blocks)])

    return RestorationBody(in_channels, spatial_dims, dim, groups, make_group)


register_sizes(
    "dlgsa",
    DLGSA_SIZES,
    build_dlgsa,
    Support(spatial_dims=(2,), full_resolution=True),
    "super-resolution body: dynamic local + sparse global self-attention (DLGSANet)",
)

"""HAT: Hybrid Attention Transformer for image restoration (Chen et al., CVPR 2023).

Each hybrid attention block (HAB) adds, in parallel to (shifted) window self-attention, a
channel-attention convolution branch (CAB) scaled by a small weight; each residual group (RHAG)
ends with an overlapping cross-attention block (OCAB) whose keys and values come from windows
larger than the query windows, so neighbouring windows exchange information. 2D, full resolution.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .contract import Support, register_sizes
from .layers import ChannelAttention, Mlp, TransformerBlock
from .layers.layout import channels_first, channels_last
from .layers.window_attention import window_partition, window_reverse
from .restoration import ResidualGroup, RestorationBody

HAT_SIZES = {
    "test": dict(dim=16, groups=1, depth=2, heads=2, window=4),
    "light": dict(dim=48, groups=2, depth=2, heads=4, window=8),  # sized for the CPU
    "tiny": dict(dim=60, groups=4, depth=4, heads=6, window=8),
    "small": dict(dim=96, groups=6, depth=6, heads=6, window=16),
    "base": dict(dim=180, groups=6, depth=6, heads=6, window=16),
}


class ChannelAttentionConv(nn.Module):
    """CAB: conv 3x3 -> GELU -> conv 3x3 -> channel attention. ``x: (B, C, H, W)``."""

    def __init__(self, dim: int, compress: int = 3, squeeze: int = 16):
        super().__init__()
        hidden = max(1, dim // compress)
        self.body = nn.Sequential(nn.Conv2d(dim, hidden, 3, padding=1), nn.GELU(), nn.Conv2d(hidden, dim, 3, padding=1))
        self.attention = ChannelAttention(2, dim, reduction=min(squeeze, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attention(self.body(x))


class HybridAttentionBlock(TransformerBlock):
    """HAB on channels-last tokens: x + attention(LN x) + 0.01 * CAB(LN x); then the MLP."""

    def __init__(self, dim: int, heads: int, window: int, shifted: bool, cab_weight: float = 0.01):
        super().__init__(2, dim, heads, window, "shifted" if shifted else "window", mlp_ratio=2.0)
        self.cab = ChannelAttentionConv(dim)
        self.cab_weight = cab_weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm1(x)
        x = x + self._attend(y) + self.cab_weight * channels_last(self.cab(channels_first(y)))
        return x + self.mlp(self.norm2(x))


class OverlappingCrossAttention(nn.Module):
    """OCAB: queries from ``window`` windows, keys/values from overlapping ``window * (1 + overlap)``
    windows around them, with a relative position bias between the two grids."""

    def __init__(self, dim: int, heads: int, window: int, overlap: float = 0.5):
        super().__init__()
        self.heads, self.window = heads, window
        self.big = int(window * overlap) + window
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, 2.0)
        span = window + self.big - 1
        self.bias_table = nn.Parameter(torch.zeros(span * span, heads))
        nn.init.trunc_normal_(self.bias_table, std=0.02)
        self.register_buffer("bias_index", self._bias_index(), persistent=False)

    def _bias_index(self) -> torch.Tensor:
        q = torch.stack(torch.meshgrid(torch.arange(self.window), torch.arange(self.window), indexing="ij")).flatten(1)
        k = torch.stack(torch.meshgrid(torch.arange(self.big), torch.arange(self.big), indexing="ij")).flatten(1)
        # the query window sits centred in the key window; a constant shift does not change the bias
        relative = (q[:, :, None] - k[:, None, :] + self.big - 1).long()  # in [0, window + big - 2]
        span = self.window + self.big - 1
        return relative[0] * span + relative[1]

    def overlapping_windows(self, padded: torch.Tensor, rows: int, columns: int) -> torch.Tensor:
        """(B, rows * m + big - m, columns * m + big - m, D) -> the (B * rows * columns, big * big, D)
        windows of side ``big`` every ``m``: strided views copied once; when exporting to ONNX, which
        cannot unfold a map whose size it does not know, gathered by row and column indices (3x slower)."""
        m, big, d = self.window, self.big, padded.shape[-1]
        if not torch.onnx.is_in_onnx_export():
            windows = padded.unfold(1, big, m).unfold(2, big, m).permute(0, 1, 2, 4, 5, 3)
            return windows.reshape(-1, big * big, d)
        span = torch.arange(big, device=padded.device)
        row_index = (torch.arange(rows, device=padded.device)[:, None] * m + span).reshape(-1)
        column_index = (torch.arange(columns, device=padded.device)[:, None] * m + span).reshape(-1)
        windows = padded.index_select(1, row_index).index_select(2, column_index)
        windows = windows.view(padded.shape[0], rows, big, columns, big, d).permute(0, 1, 3, 2, 4, 5)
        return windows.reshape(-1, big * big, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, H, W, C) channels-last tokens, any H and W."""
        b, h, w, c = x.shape
        m = self.window
        pad_h, pad_w = (-h) % m, (-w) % m
        y = F.pad(self.norm1(x), (0, 0, 0, pad_w, 0, pad_h))
        hp, wp = h + pad_h, w + pad_w
        q, key_value = self.qkv(y).split((c, 2 * c), dim=-1)
        queries = window_partition(q, (m, m))  # (B * nW, m*m, C)
        margin = (self.big - m) // 2
        padded = F.pad(key_value, (0, 0, margin, margin, margin, margin))
        keys, values = self.overlapping_windows(padded, hp // m, wp // m).chunk(2, dim=-1)
        d = c // self.heads

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(t.shape[0], t.shape[1], self.heads, d).transpose(1, 2)

        n = self.bias_index.shape[0]
        bias = self.bias_table[self.bias_index.reshape(-1)].view(n, -1, self.heads).permute(2, 0, 1)[None].contiguous()
        out = F.scaled_dot_product_attention(heads(queries), heads(keys), heads(values), attn_mask=bias.to(q.dtype))
        out = self.proj(out.transpose(1, 2).reshape(-1, m * m, c))
        out = window_reverse(out, (m, m), (hp, wp))[:, :h, :w]
        x = x + out
        return x + self.mlp(self.norm2(x))


def build_hat(
    in_channels: int,
    spatial_dims: int = 2,
    dim: int = 48,
    groups: int = 2,
    depth: int = 2,
    heads: int = 4,
    window: int = 8,
) -> RestorationBody:
    """A HAT body: ``groups`` RHAGs of ``depth`` HABs (alternately shifted) and one OCAB each."""
    if dim % heads:
        raise ValueError(f"heads ({heads}) must divide dim ({dim})")

    def make_group(index: int) -> nn.Module:
        blocks = [HybridAttentionBlock(dim, heads, window, shifted=bool(i % 2)) for i in range(depth)]
        return ResidualGroup(dim, blocks + [OverlappingCrossAttention(dim, heads, window)])

    return RestorationBody(in_channels, spatial_dims, dim, groups, make_group, window)


register_sizes(
    "hat",
    HAT_SIZES,
    build_hat,
    Support(spatial_dims=(2,), full_resolution=True),
    "super-resolution body: window attention + channel-attention conv, overlapping cross-attention",
)

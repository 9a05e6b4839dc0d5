"""(Shifted) window self-attention with relative position bias, 2D and 3D.

Swin Transformer (Liu et al., ICCV 2021) and its 3D form in Swin UNETR (Hatamizadeh et al., 2022):
attention inside non-overlapping windows, alternate blocks shift the windows by half a window so
that neighbouring windows exchange information. Grid attention (MaxViT, Tu et al., ECCV 2022)
reuses the same machinery on a dilated grid: each "window" holds tokens spread across the whole
map, which gives sparse global mixing at the cost of a local window.

All tensors here are channels-last tokens ``(B, *S, C)`` with ``len(S)`` = 2 or 3.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

from .drop_path import DropPath
from .mlp import Mlp


def effective_window(sizes: tuple[int, ...], window: tuple[int, ...], shift: tuple[int, ...]):
    """Clip the window to the map and drop the shift where one window covers a whole axis."""
    window = tuple(min(w, s) for w, s in zip(window, sizes))
    shift = tuple(0 if s <= w else sh for s, w, sh in zip(sizes, window, shift))
    return window, shift


def window_partition(x: torch.Tensor, window: tuple[int, ...]) -> torch.Tensor:
    """``(B, *S, C) -> (B * n_windows, prod(window), C)``; every ``S`` divisible by its window."""
    b, c, sizes = x.shape[0], x.shape[-1], x.shape[1:-1]
    d = len(sizes)
    shape = [b] + [v for s, w in zip(sizes, window) for v in (s // w, w)] + [c]
    order = [0] + [1 + 2 * i for i in range(d)] + [2 + 2 * i for i in range(d)] + [2 * d + 1]
    return x.reshape(shape).permute(order).reshape(-1, math.prod(window), c)


def window_reverse(windows: torch.Tensor, window: tuple[int, ...], sizes: tuple[int, ...]) -> torch.Tensor:
    """Inverse of :func:`window_partition`: ``(B * n_windows, prod(window), C) -> (B, *S, C)``."""
    d = len(sizes)
    counts = [s // w for s, w in zip(sizes, window)]
    c = windows.shape[-1]
    x = windows.reshape([-1, *counts, *window, c])
    order = [0] + [v for i in range(d) for v in (1 + i, 1 + d + i)] + [2 * d + 1]
    return x.permute(order).reshape(-1, *sizes, c)


def grid_partition(x: torch.Tensor, grid: tuple[int, ...]) -> torch.Tensor:
    """Dilated "windows": tokens at the same offset in each of ``grid`` cells along every axis.

    ``(B, *S, C) -> (B * n_cells, prod(grid), C)``; every ``S`` divisible by its grid.
    """
    b, c, sizes = x.shape[0], x.shape[-1], x.shape[1:-1]
    d = len(sizes)
    shape = [b] + [v for s, g in zip(sizes, grid) for v in (g, s // g)] + [c]
    order = [0] + [2 + 2 * i for i in range(d)] + [1 + 2 * i for i in range(d)] + [2 * d + 1]
    return x.reshape(shape).permute(order).reshape(-1, math.prod(grid), c)


def grid_reverse(windows: torch.Tensor, grid: tuple[int, ...], sizes: tuple[int, ...]) -> torch.Tensor:
    """Inverse of :func:`grid_partition`."""
    d = len(sizes)
    cells = [s // g for s, g in zip(sizes, grid)]
    c = windows.shape[-1]
    x = windows.reshape([-1, *cells, *grid, c])
    order = [0] + [v for i in range(d) for v in (1 + d + i, 1 + i)] + [2 * d + 1]
    return x.permute(order).reshape(-1, *sizes, c)


def cached_tensor(function):
    """lru_cache for tensor-returning helpers; always builds normal tensors, never inference ones,
    so a cache filled under ``torch.inference_mode`` still serves training."""

    @lru_cache(maxsize=32)
    def build(*args):
        with torch.inference_mode(False):
            return function(*args)

    return build


@cached_tensor
def relative_position_index(window: tuple[int, ...], table_window: tuple[int, ...] | None = None) -> torch.Tensor:
    """For each pair of positions in a window, the row of the bias table holding their offset.

    Args:
        window: the window the tokens come from.
        table_window: the (larger or equal) window the bias table was sized for; default ``window``.

    Returns: (prod(window), prod(window)) long tensor with values < prod(2 * table_window - 1).
    """
    table_window = table_window or window
    coords = torch.stack(torch.meshgrid(*[torch.arange(w) for w in window], indexing="ij")).flatten(1)
    relative = coords[:, :, None] - coords[:, None, :]  # (d, N, N)
    index = torch.zeros(relative.shape[1:], dtype=torch.long)
    for axis, w in enumerate(table_window):
        stride = math.prod(2 * v - 1 for v in table_window[axis + 1 :])
        index += (relative[axis] + w - 1) * stride
    return index


@cached_tensor
def shifted_window_mask(sizes: tuple[int, ...], window: tuple[int, ...], shift: tuple[int, ...]) -> torch.Tensor:
    """Additive mask that stops tokens wrapped around by the cyclic shift from attending across.

    Returns: (n_windows, prod(window), prod(window)) float tensor of 0 and -inf-like values.
    """
    region = torch.zeros((1, *sizes, 1))
    label = 0
    axes_slices = [
        (slice(0, -w), slice(-w, -s), slice(-s, None)) if s else (slice(None),) for w, s in zip(window, shift)
    ]
    for combo in _product(axes_slices):
        region[(slice(None), *combo, slice(None))] = label
        label += 1
    ids = window_partition(region, window).squeeze(-1)  # (n_windows, N)
    mask = ids[:, None, :] != ids[:, :, None]
    return torch.zeros(mask.shape).masked_fill(mask, -100.0)


def _product(axes):
    if not axes:
        yield ()
        return
    for first in axes[0]:
        for rest in _product(axes[1:]):
            yield (first, *rest)


class WindowAttention(nn.Module):
    """Multi-head self-attention inside windows, with a learned relative position bias.

    Args:
        dim: token channels.
        heads: attention heads (must divide ``dim``).
        max_window: the largest window this layer sees; the bias table is sized for it and
            smaller (clipped) windows read the matching sub-table.
    """

    def __init__(self, dim: int, heads: int, max_window: tuple[int, ...], qkv_bias: bool = True):
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention heads ({heads}) must divide the channels ({dim})")
        self.heads = heads
        self.max_window = tuple(max_window)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        table_rows = math.prod(2 * w - 1 for w in self.max_window)
        self.bias_table = nn.Parameter(torch.zeros(table_rows, heads))
        nn.init.trunc_normal_(self.bias_table, std=0.02)

    def position_bias(self, window: tuple[int, ...]) -> torch.Tensor:
        """(heads, N, N) bias for a window no larger than ``max_window``."""
        index = relative_position_index(window, self.max_window)
        n = index.shape[0]
        return self.bias_table[index.reshape(-1)].reshape(n, n, self.heads).permute(2, 0, 1)

    def forward(self, windows: torch.Tensor, window: tuple[int, ...], mask: torch.Tensor | None = None):
        """windows: (B * n_windows, N, C); mask: (n_windows, N, N) or None."""
        bw, n, c = windows.shape
        qkv = self.qkv(windows).reshape(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        bias = self.position_bias(window).unsqueeze(0)  # (1, heads, N, N)
        if mask is None:
            out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=bias.to(qkv.dtype))
        else:  # one call per image: 4D inputs keep SDPA's fused kernel (2.5x the 5D fallback on the
            # CPU), and the per-window mask is shared instead of copied for every image
            n_windows = mask.shape[0]
            bias = (bias + mask.to(bias.dtype)[:, None]).to(qkv.dtype)  # (n_windows, heads, N, N)
            per_image = [qkv[:, i : i + n_windows] for i in range(0, bw, n_windows)]
            out = torch.cat([F.scaled_dot_product_attention(*t, attn_mask=bias) for t in per_image])
        return self.proj(out.transpose(1, 2).reshape(bw, n, c))


class TransformerBlock(nn.Module):
    """Pre-norm attention block over windows, shifted windows or a dilated grid; then an MLP.

    Args:
        spatial_dims: 2 or 3.
        dim, heads: token channels and attention heads.
        window: window (or grid) size per axis, an int for all axes.
        mode: "window", "shifted" (half-window cyclic shift) or "grid".
        mlp_ratio: hidden width of the MLP.
        drop_path: stochastic depth probability.

    ``x: (B, *S, C)`` channels-last; any ``S`` (padded internally to the window).
    """

    def __init__(
        self,
        spatial_dims: int,
        dim: int,
        heads: int,
        window: int | tuple[int, ...] = 7,
        mode: str = "window",
        mlp_ratio: float = 4.0,
        drop_path: float = 0.0,
    ):
        super().__init__()
        if mode not in ("window", "shifted", "grid"):
            raise ValueError(f"mode must be window, shifted or grid, got {mode!r}")
        self.window = (window,) * spatial_dims if isinstance(window, int) else tuple(window)
        self.mode = mode
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, self.window)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_ratio)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self._attend(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def _attend(self, x: torch.Tensor) -> torch.Tensor:
        sizes = tuple(x.shape[1:-1])
        half = tuple(w // 2 for w in self.window) if self.mode == "shifted" else (0,) * len(sizes)
        window, shift = effective_window(sizes, self.window, half)
        pad = []
        for s, w in zip(reversed(sizes), reversed(window)):
            pad += [0, (-s) % w]
        if any(pad):
            x = F.pad(x, [0, 0] + pad)
        padded = tuple(x.shape[1:-1])
        axes = tuple(range(1, len(sizes) + 1))
        mask = None
        if any(shift):
            x = torch.roll(x, tuple(-s for s in shift), axes)
            mask = shifted_window_mask(padded, window, shift).to(x.device)
        if self.mode == "grid":
            out = grid_reverse(self.attn(grid_partition(x, window), window), window, padded)
        else:
            out = window_reverse(self.attn(window_partition(x, window), window, mask), window, padded)
        if any(shift):
            out = torch.roll(out, shift, axes)
        if any(pad):
            out = out[(slice(None), *[slice(0, s) for s in sizes])]
        return out

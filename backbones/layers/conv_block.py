"""Depthwise-convolution residual block (ConvNeXt, Liu et al., CVPR 2022), 2D and 3D.

Works on channels-last tokens ``(B, *S, C)``: the depthwise convolution runs on a channels-first
*view* of the same memory (channels_last strides, which oneDNN handles fast on the CPU), and the
pointwise layers are plain matrix products on the tokens. No copies between the two layouts.
"""

from __future__ import annotations

import torch
from torch import nn

from .conv import conv_nd
from .drop_path import DropPath
from .layout import channels_first, channels_last
from .mlp import Mlp


class DepthwiseConvBlock(nn.Module):
    """Depthwise conv -> LayerNorm -> MLP, scaled and added to the input.

    Args:
        spatial_dims: 2 or 3.
        dim: token channels.
        kernel_size: depthwise kernel (7 in ConvNeXt; 3 is the fast choice in 3D).
        mlp_ratio: hidden width of the pointwise MLP.
        layer_scale: initial value of the per-channel residual scale (0 disables it).
        drop_path: stochastic depth probability.
    """

    def __init__(
        self,
        spatial_dims: int,
        dim: int,
        kernel_size: int = 7,
        mlp_ratio: float = 4.0,
        layer_scale: float = 1e-6,
        drop_path: float = 0.0,
    ):
        super().__init__()
        self.depthwise = conv_nd(spatial_dims)(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_ratio)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale)) if layer_scale > 0 else None
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, *S, C) channels-last tokens -> same shape."""
        y = channels_last(self.depthwise(channels_first(x)))
        y = self.mlp(self.norm(y))
        if self.gamma is not None:
            y = y * self.gamma
        return x + self.drop_path(y)


class ConvPositionEncoding(nn.Module):
    """A residual depthwise 3x3(x3) convolution that gives attention blocks a sense of position."""

    def __init__(self, spatial_dims: int, dim: int):
        super().__init__()
        self.depthwise = conv_nd(spatial_dims)(dim, dim, 3, padding=1, groups=dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + channels_last(self.depthwise(channels_first(x)))

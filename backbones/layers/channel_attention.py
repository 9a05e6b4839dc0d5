"""Channel attention in the squeeze-excitation style (Hu et al., 2018), 2D and 3D."""

from __future__ import annotations

import torch
from torch import nn

from .conv import conv_nd


class ChannelAttention(nn.Module):
    """Rescale channels by weights computed from their global average.

    Args:
        spatial_dims: 2 or 3.
        channels: channels of ``x: (B, C, *spatial)``.
        reduction: squeeze ratio of the hidden layer.
    """

    def __init__(self, spatial_dims: int, channels: int, reduction: int = 4):
        super().__init__()
        hidden = max(1, channels // reduction)
        conv = conv_nd(spatial_dims)
        self.squeeze = conv(channels, hidden, 1)
        self.act = nn.GELU()
        self.excite = conv(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = x.mean(dim=tuple(range(2, x.ndim)), keepdim=True)
        return x * torch.sigmoid(self.excite(self.act(self.squeeze(weights))))

"""LayerNorm over the channel axis of a channels-first tensor (B, C, *spatial)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layout import channels_first, channels_last


class LayerNormChannelsFirst(nn.Module):
    """LayerNorm of each voxel's channel vector for ``x: (B, C, *spatial)``."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = channels_last(x)
        x = F.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)
        return channels_first(x)

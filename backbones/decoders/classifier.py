"""``classifier``: class logits from the coarsest level (global average pooling + LayerNorm + linear)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..contract import FeatureInfo
from . import DECODERS, Needs


@DECODERS.register("classifier", needs=Needs((2, 3), "any"), description="pooled linear classification head")
class ClassifierHead(nn.Module):
    """features fine to coarse -> (B, classes): the last level pooled over space."""

    takes_input = False

    def __init__(self, feature_info: Sequence[FeatureInfo], in_channels: int, spatial_dims: int, classes: int = 2):
        super().__init__()
        channels = feature_info[-1].channels
        self.norm = nn.LayerNorm(channels)
        self.linear = nn.Linear(channels, classes)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        pooled = features[-1].flatten(2).mean(-1)  # (B, C)
        return self.linear(self.norm(pooled))

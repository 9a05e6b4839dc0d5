"""``classifier``: class logits from the coarsest level (pooled over space, LayerNorm, linear)."""

from __future__ import annotations

from typing import Literal, Sequence

import torch
from torch import nn

from ..contract import FeatureInfo
from .base import DECODERS, Needs


@DECODERS.register("classifier", needs=Needs((2, 3), "any"), description="pooled linear classification head")
class ClassifierHead(nn.Module):
    """features fine to coarse -> (B, classes): the last level pooled over space.

    Args:
        classes: output classes.
        pool: "mean" over the whole level, or "centre_mean": the average of the centre position
            and the mean (pixel classification of a patch: the centre is the pixel being classified,
            the mean adds its context). A 1 x 1 level (a ViT's class token) is the same either way.
    """

    takes_input = False

    def __init__(
        self,
        feature_info: Sequence[FeatureInfo],
        in_channels: int,
        spatial_dims: int,
        classes: int = 2,
        pool: Literal["mean", "centre_mean"] = "mean",
    ):
        super().__init__()
        if pool not in ("mean", "centre_mean"):
            raise ValueError(f"classifier pool must be mean or centre_mean, got {pool!r}")
        channels = feature_info[-1].channels
        self.pool = pool
        self.norm = nn.LayerNorm(channels)
        self.linear = nn.Linear(channels, classes)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        level = features[-1]
        pooled = level.flatten(2).mean(-1)  # (B, C)
        if self.pool == "centre_mean":
            centre = level[(slice(None), slice(None), *(size // 2 for size in level.shape[2:]))]
            pooled = 0.5 * (centre + pooled)
        return self.linear(self.norm(pooled))

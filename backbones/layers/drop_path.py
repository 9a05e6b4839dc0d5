"""Stochastic depth (Huang et al., 2016): drop a residual branch per sample during training."""

from __future__ import annotations

import torch
from torch import nn


class DropPath(nn.Module):
    """Zero the whole branch for a random subset of samples, rescaling the rest.

    Args:
        probability: chance that a sample's branch is dropped (0 disables the layer).
    """

    def __init__(self, probability: float = 0.0):
        super().__init__()
        if not 0.0 <= probability < 1.0:
            raise ValueError(f"drop-path probability must be in [0, 1), got {probability}")
        self.probability = probability

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.probability == 0.0:
            return x
        keep = 1.0 - self.probability
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep

"""The transformer feed-forward block, for channels-last tokens (..., C)."""

from __future__ import annotations

import torch
from torch import nn


class Mlp(nn.Module):
    """Linear -> GELU -> Linear.

    Args:
        dim: token channels in and out.
        hidden_ratio: hidden width as a multiple of ``dim``.
    """

    def __init__(self, dim: int, hidden_ratio: float = 4.0, dropout: float = 0.0):
        super().__init__()
        hidden = max(1, int(dim * hidden_ratio))
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))

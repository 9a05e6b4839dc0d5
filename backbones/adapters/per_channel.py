"""``per_channel``: each input channel through a frozen one-channel model on its own, then fused, learned.

For a frozen model that reads one volume (the CT encoder) and a task with several (4 MRI
modalities): every modality goes through the frozen trunk separately, without gradient (the
trunk's features could be cached), and a small trainable part fuses them per level: a weight per
modality and channel (starting as the mean), then a ``dvpt`` prompt bottleneck that can reweigh
what the fused features say.
"""

from __future__ import annotations

import torch
from torch import nn

from ..contract import Backbone
from .around import AroundBackbone
from .dvpt import PromptBottleneck


class PerChannelAdapter(AroundBackbone):
    """(B, N, *S) -> N frozen passes (B * N, 1, *S) -> per level sum_n w[n, c] f_n -> prompt bottleneck.

    Args:
        backbone: a frozen backbone that reads one channel.
        in_channels: the task's channels N.
        rank, prompts: of the per-level ``dvpt`` bottleneck (rank 0: fusion only).
    """

    trunk_sees_input = True

    def __init__(self, backbone: Backbone, in_channels: int, rank: int = 8, prompts: int = 4):
        if backbone.in_channels != 1:
            raise ValueError(f"per_channel runs a one-channel model per channel; this one reads {backbone.in_channels}")
        super().__init__(backbone, in_channels=in_channels)
        self.weights = nn.ParameterList(
            nn.Parameter(torch.full((in_channels, info.channels), 1.0 / in_channels)) for info in self.feature_info
        )
        dims = backbone.spatial_dims
        self.prompts = nn.ModuleList(
            PromptBottleneck(info.channels, dims, rank, prompts) if rank else nn.Identity()
            for info in self.feature_info
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        batch, channels = x.shape[:2]
        levels = self.run_frozen(x.reshape(batch * channels, 1, *x.shape[2:]))  # no gradient kept
        fused = []
        for level, weights, prompt in zip(levels, self.weights, self.prompts):
            per_channel = level.reshape(batch, channels, *level.shape[1:])  # (B, N, C, *S)
            mix = weights.reshape(1, channels, -1, *(1,) * (level.ndim - 2))
            fused.append(prompt((per_channel * mix).sum(1)))
        return fused

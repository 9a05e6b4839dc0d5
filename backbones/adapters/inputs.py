"""``inputs``: N modalities or bands to a frozen model's input channels, learned.

A 1 x 1 convolution maps the task's channels (4 MRI modalities, 13 bands) to what the frozen
backbone reads (3 RGB channels, 1 CT volume). It starts as the mean of the inputs in every output
channel, so the frozen model first sees an average image, then learns which mix serves the task.
"""

from __future__ import annotations

import torch

from ..contract import Backbone
from .around import AroundBackbone, conv_nd


class InputsAdapter(AroundBackbone):
    """(B, in_channels, *S) -> learned mix to the backbone's channels -> the frozen backbone's levels."""

    def __init__(self, backbone: Backbone, in_channels: int):
        super().__init__(backbone, in_channels=in_channels)
        self.mix = conv_nd(backbone.spatial_dims)(in_channels, backbone.in_channels, 1)
        with torch.no_grad():
            self.mix.weight.fill_(1.0 / in_channels)
            self.mix.bias.zero_()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        return self.frozen(self.mix(x))

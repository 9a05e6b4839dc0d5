"""``inputs``: N modalities or bands to a frozen model's input channels, learned.

A 1 x 1 convolution maps the task's channels (4 MRI modalities, 13 bands) to what the frozen
backbone reads (3 RGB channels, 1 CT volume). It starts as the mean of the inputs in every output
channel, so the frozen model first sees an average image, then learns which mix serves the task.
Given the bands' ``wavelengths`` (nm) and an RGB model, it starts instead from an RGB camera's
response to each band (``rgb_response``): the frozen model first sees the scene as a photo.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from ..contract import Backbone
from .around import AroundBackbone, conv_nd

# Gaussian stand-ins for red, green and blue sensitivities near the sRGB primaries: (peak nm, width nm)
RGB_SENSITIVITY = ((640.0, 40.0), (550.0, 35.0), (470.0, 30.0))


def rgb_response(wavelengths: Sequence[float]) -> torch.Tensor:
    """(3, N): each of R, G, B as a weighted mean of the bands it sees; a colour no band reaches
    (all bands beyond the visible) takes the mean of all bands."""
    rows = []
    for peak, width in RGB_SENSITIVITY:
        row = torch.tensor([math.exp(-0.5 * ((w - peak) / width) ** 2) for w in wavelengths])
        row = torch.where(row < 1e-3, torch.zeros_like(row), row)
        rows.append(row / row.sum() if row.sum() > 0 else torch.full_like(row, 1.0 / len(wavelengths)))
    return torch.stack(rows)


class InputsAdapter(AroundBackbone):
    """(B, in_channels, *S) -> learned mix to the backbone's channels -> the frozen backbone's levels.

    Args:
        backbone: the frozen model.
        in_channels: the task's channels.
        wavelengths: the bands' centre wavelengths in nm (optional; an RGB backbone then starts from
            ``rgb_response``). The task fills it from its own model block.
    """

    def __init__(self, backbone: Backbone, in_channels: int, wavelengths: Sequence[float] | None = None):
        super().__init__(backbone, in_channels=in_channels)
        self.mix = conv_nd(backbone.spatial_dims)(in_channels, backbone.in_channels, 1)
        with torch.no_grad():
            self.mix.weight.fill_(1.0 / in_channels)
            self.mix.bias.zero_()
            if wavelengths and backbone.in_channels == 3:
                if len(wavelengths) != in_channels:
                    raise ValueError(f"inputs: {len(wavelengths)} wavelengths for {in_channels} input channels")
                response = rgb_response(wavelengths)
                self.mix.weight.copy_(response.reshape(self.mix.weight.shape))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        return self.frozen(self.mix(x))

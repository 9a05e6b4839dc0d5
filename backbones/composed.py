"""``EncoderDecoder``: a backbone and a decoder as one model, the suite's composition.

Every task's network is ``decoder(backbone(x))`` (plus the input for decoders that read it, and
channel ids for spectral backbones). The facts a pipeline needs (size multiple, attention window,
channel-subset support) are asked of this module, which asks its backbone.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn

from .band_fill import interpolate_bands
from .contract import Backbone


class EncoderDecoder(nn.Module):
    """``backbone`` then ``decoder``; state-dict keys are ``backbone.*`` and ``decoder.*``."""

    def __init__(self, backbone: Backbone, decoder: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.decoder = decoder

    @property
    def size_multiple(self) -> int:
        return self.backbone.size_multiple

    @property
    def window_multiple(self) -> int:
        return self.backbone.window_multiple

    @property
    def receptive_field(self) -> int | None:
        """Pixels a dense per-pixel backbone sees across (its halo when read in strips); None: not dense."""
        return getattr(self.backbone, "receptive_field", None)

    @property
    def takes_channel_subsets(self) -> bool:
        return self.backbone.takes_channel_subsets

    @property
    def channel_group_size(self) -> int:
        return self.backbone.channel_group_size

    def forward(self, x: torch.Tensor, channel_ids: torch.Tensor | None = None) -> torch.Tensor:
        """x: the backbone's input; ``channel_ids`` (sorted): which bands x's channels are. A backbone
        that cannot take them (a frozen RGB model behind a band adapter) gets the missing bands
        interpolated from the kept ones."""
        if channel_ids is not None and "channel_ids" not in inspect.signature(self.backbone.forward).parameters:
            x, channel_ids = interpolate_bands(x, channel_ids, self.backbone.in_channels), None
        features = self.backbone(x) if channel_ids is None else self.backbone(x, channel_ids=channel_ids)
        return self.decoder(x, features) if getattr(self.decoder, "takes_input", False) else self.decoder(features)

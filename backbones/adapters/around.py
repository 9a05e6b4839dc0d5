"""``AroundBackbone``: an adapter that wraps a frozen backbone and is a backbone itself.

The wrapped backbone is frozen (no gradient; a foundation backbone already keeps BatchNorm in
eval); the adapter's own modules train. The result keeps the contract (``feature_info``,
``in_channels``, ``spatial_dims``), so the task's decoder is built on it as on any backbone and
trains beside the adapter.
"""

from __future__ import annotations

import torch
from torch import nn

from ..contract import Backbone, FeatureInfo


class AroundBackbone(Backbone):
    """Base of the adapters around a backbone.

    Args:
        backbone: the model to keep frozen.
        in_channels, spatial_dims, feature_info: the adapted contract (default: the backbone's).
    """

    def __init__(
        self,
        backbone: Backbone,
        in_channels: int | None = None,
        spatial_dims: int | None = None,
        feature_info: list[FeatureInfo] | None = None,
    ):
        super().__init__(
            in_channels or backbone.in_channels,
            spatial_dims or backbone.spatial_dims,
            feature_info or backbone.feature_info,
        )
        self.frozen = backbone
        for parameter in backbone.parameters():
            parameter.requires_grad_(False)
        self.trunk_cache = None  # training may set one (train.feature_cache) where the trunk sees the input unchanged

    # side, per_channel and dvpt give the frozen trunk the input itself: its features depend on the
    # input alone, so a training run may compute them once per crop (pipelines/common/feature_cache.py)
    trunk_sees_input = False

    def run_frozen(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The frozen trunk's levels for ``x``, without gradient; from the cache while training with one."""
        if self.trunk_cache is not None and self.training:
            return self.trunk_cache(self.frozen, x)
        with torch.no_grad():
            return self.frozen(x)

    @property
    def window_multiple(self) -> int:
        return self.frozen.window_multiple

    def adapter_parameters(self) -> int:
        """Parameters of the adapter itself (the frozen backbone's excluded)."""
        frozen = {id(p) for p in self.frozen.parameters()}
        return sum(p.numel() for p in self.parameters() if id(p) not in frozen)

    def frozen_parameters(self) -> int:
        return sum(p.numel() for p in self.frozen.parameters())

    def trainable_fraction(self) -> float:
        """Adapter parameters / (frozen + adapter): the share the adapter adds to the backbone."""
        adapter = self.adapter_parameters()
        return adapter / max(adapter + self.frozen_parameters(), 1)


def conv_nd(spatial_dims: int) -> type[nn.Module]:
    return nn.Conv2d if spatial_dims == 2 else nn.Conv3d

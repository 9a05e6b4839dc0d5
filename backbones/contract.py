"""The backbone contract every encoder in the suite keeps.

``forward(x) -> list[Tensor]`` from fine to coarse, ``feature_info`` with the channels and reduction
of each level, and the attributes ``in_channels`` and ``spatial_dims``. Any backbone then fits any
decoder whose ``spatial_dims`` match. Each family also declares what it supports (``Support``);
the contract tests read those declarations instead of hard-coding families.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .registry import Registry


@dataclass(frozen=True)
class FeatureInfo:
    """One output level: its channel count and its reduction relative to the input size."""

    channels: int
    reduction: int


@dataclass(frozen=True)
class Support:
    """What a family can do; registered beside each size and read by the contract tests.

    Attributes:
        spatial_dims: the spatial dimensionalities it builds for (2, 3 or both).
        min_in_channels / max_in_channels: accepted input channel range (None = unbounded).
        full_resolution: it returns one level at reduction 1 (super-resolution bodies).
        channel_ids: ``forward`` takes an optional ``channel_ids`` tensor: which of the
            ``in_channels`` the input's channels are (spectral backbones, missing bands).
        fixed_input_size: built for one input side (``image_size``, its position embeddings); the
            builder passes it.
    """

    spatial_dims: tuple[int, ...] = (2, 3)
    min_in_channels: int = 1
    max_in_channels: int | None = None
    full_resolution: bool = False
    channel_ids: bool = False
    fixed_input_size: bool = False

    def accepts_channels(self, channels: int) -> bool:
        upper = self.max_in_channels if self.max_in_channels is not None else channels
        return self.min_in_channels <= channels <= upper


class Backbone(nn.Module):
    """Base class of the suite's encoders: holds the contract attributes and checks inputs.

    Args:
        in_channels: channels of the input tensor.
        spatial_dims: 2 for (B, C, H, W), 3 for (B, C, D, H, W).
        feature_info: one entry per returned level, fine to coarse.
    """

    def __init__(self, in_channels: int, spatial_dims: int, feature_info: list[FeatureInfo]):
        super().__init__()
        if spatial_dims not in (2, 3):
            raise ValueError(f"spatial_dims must be 2 or 3, got {spatial_dims}")
        if in_channels < 1:
            raise ValueError(f"in_channels must be at least 1, got {in_channels}")
        self.in_channels = in_channels
        self.spatial_dims = spatial_dims
        self.feature_info = list(feature_info)

    # facts a pipeline asks of a built backbone, instead of reading its config
    takes_channel_subsets = False  # uses a band subset as it is (ChannelViT); others zero-fill the rest
    channel_group_size = 1  # bands per token; channel sampling in training draws whole groups first

    @property
    def full_resolution(self) -> bool:
        """One level at the input's resolution (super-resolution bodies)."""
        return [info.reduction for info in self.feature_info] == [1]

    @property
    def size_multiple(self) -> int:
        """Every spatial size of the input must be a multiple of this (the total stride)."""
        return max(info.reduction for info in self.feature_info)

    @property
    def window_multiple(self) -> int:
        """Tiles whose origins are multiples of this see the same attention windows as the whole
        input (1: no windows that tiling could cut differently)."""
        return 1

    def check_input(self, x: torch.Tensor, channel_ids: torch.Tensor | None = None) -> None:
        """Refuse, with a message that says what to do, an input this backbone cannot take
        (``channel_ids``: which of the ``in_channels`` x's channels are, for backbones that take them)."""
        expected_ndim = self.spatial_dims + 2
        if x.ndim != expected_ndim:
            raise ValueError(
                f"{type(self).__name__} expects a {expected_ndim}D tensor (B, C, *{self.spatial_dims} "
                f"spatial dims), got shape {tuple(x.shape)}"
            )
        if channel_ids is not None:
            if len(channel_ids) != x.shape[1] or (len(channel_ids) and int(channel_ids.max()) >= self.in_channels):
                raise ValueError(
                    f"{type(self).__name__}: {len(channel_ids)} channel ids for {x.shape[1]} channels, each below "
                    f"{self.in_channels}"
                )
        elif x.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__} was built for {self.in_channels} input channels, got {x.shape[1]}")
        multiple = self.size_multiple
        bad = [s for s in x.shape[2:] if s % multiple]
        if bad:
            raise ValueError(
                f"{type(self).__name__}: spatial size {tuple(x.shape[2:])} must be a multiple of {multiple} "
                f"(the total stride); pad the input, e.g. with monai.transforms.DivisiblePad(k={multiple})"
            )


BACKBONES: Registry[Backbone] = Registry("backbone")


def register_sizes(family: str, sizes: dict[str, dict], builder, support: Support, description: str) -> None:
    """Register ``<family>_<size>`` for every row of a family's size table."""
    for size, kwargs in sizes.items():

        def factory(_kwargs=kwargs, **overrides):
            return builder(**{**_kwargs, **overrides})

        factory.__name__ = f"{family}_{size}"
        BACKBONES.register(f"{family}_{size}", factory, support=support, family=family, description=description)


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (all, or only those with ``requires_grad``)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)

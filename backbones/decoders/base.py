"""The decoder registry and what a decoder declares it needs (``Needs``); the decoders, a file
each, register here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from torch import nn

from ..contract import FeatureInfo
from ..registry import Registry

DECODERS: Registry[nn.Module] = Registry("decoder")


@dataclass(frozen=True)
class Needs:
    """What a decoder needs of a backbone.

    Attributes:
        spatial_dims: the dimensionalities it builds for.
        levels: "hierarchical" (levels at reductions 2, 4, 8, ...), "full_resolution" (one level at
            reduction 1) or "any".
    """

    spatial_dims: tuple[int, ...] = (2, 3)
    levels: str = "any"

    def refuses(self, feature_info: Sequence[FeatureInfo], spatial_dims: int) -> str | None:
        """Why these features do not fit (None: they do)."""
        if spatial_dims not in self.spatial_dims:
            return f"needs a {' or '.join(f'{d}D' for d in self.spatial_dims)} backbone, got {spatial_dims}D"
        reductions = [info.reduction for info in feature_info]
        if self.levels == "hierarchical" and reductions != [2 ** (i + 1) for i in range(len(reductions))]:
            return f"needs levels at reductions 2, 4, 8, ...; got {reductions}"
        if self.levels == "full_resolution" and reductions != [1]:
            return f"needs one full-resolution level (reduction 1); got {reductions}"
        return None


def build_decoder(
    name: str,
    feature_info: Sequence[FeatureInfo],
    in_channels: int,
    spatial_dims: int,
    registry: Registry | None = None,
    **kwargs,
) -> nn.Module:
    """Build a registered decoder for a backbone's features; a misfit is a ValueError saying why.

    ``registry``: a task's own decoders (what only one task needs, e.g. xray2shape's cross-view
    decoder), registered the same way; default ``DECODERS``.
    """
    registry = registry if registry is not None else DECODERS
    needs: Needs = registry.entry(name).metadata.get("needs", Needs())
    reason = needs.refuses(feature_info, spatial_dims)
    if reason:
        raise ValueError(f"decoder {name} {reason}")
    return registry.build(
        name, feature_info=list(feature_info), in_channels=in_channels, spatial_dims=spatial_dims, **kwargs
    )

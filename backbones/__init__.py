"""Backbones: 2D and 3D encoders under one contract and one registry.

Importing this package registers every family. ``build_backbone("hybrid_small", in_channels=4,
spatial_dims=3)`` builds one; ``BACKBONES.names()`` lists them.
"""

# importing each family registers it
from . import (  # noqa: F401
    channelvit,
    convnext,
    dlgsa,
    drct,
    foundation,
    hat,
    hybrid,
    paratrans,
    spectral,
    swin,
    timm_source,
    wavelength,
)
from .adapters import ADAPTERS  # noqa: E402
from .composed import EncoderDecoder
from .contract import BACKBONES, Backbone, FeatureInfo, Support, count_parameters
from .decoders import DECODERS, build_decoder  # noqa: E402
from .registry import BuildError, Registry, RegistryError


def build_backbone(name: str, **kwargs) -> Backbone:
    """Build a registered backbone by name (``timm:<model>`` for timm models)."""
    return BACKBONES.build(name, **kwargs)


__all__ = [
    "ADAPTERS",
    "BACKBONES",
    "DECODERS",
    "build_decoder",
    "BuildError",
    "Backbone",
    "EncoderDecoder",
    "FeatureInfo",
    "Registry",
    "RegistryError",
    "Support",
    "build_backbone",
    "count_parameters",
]

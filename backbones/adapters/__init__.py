"""Adapters: the small trainable part beside a frozen model, one file an entry.

Two kinds, by what they wrap (the entry's ``around`` metadata):

- ``backbone``: ``ADAPTERS.build(name, backbone=..., **kwargs)`` freezes a backbone and returns an
  adapted one under the same contract; the task's decoder trains beside it (``side``, ``dvpt``,
  ``inputs``, ``spatial3d``, ``per_channel``). ``trainable_fraction`` is adapter / (frozen + adapter);
  the decoder is counted apart.
- ``model``: ``ADAPTERS.build(name, model=..., **kwargs)`` wraps a whole trained model for
  fine-tuning and is merged into its weights at export (``merge`` metadata): ``lora``.
"""

from __future__ import annotations

from ..registry import Registry
from .dvpt import DVPTAdapter
from .inputs import InputsAdapter
from .lora import LORA_TARGETS, add_lora, merge_lora, trainable_fraction
from .per_channel import PerChannelAdapter
from .side import SideAdapter
from .spatial3d import Spatial3DAdapter

ADAPTERS = Registry("adapter")
ADAPTERS.register(
    "lora",
    add_lora,
    around="model",
    merge=merge_lora,
    description="low-rank updates of named Linear/Conv layers of a whole model, merged at export (PEFT; LoLA-SpecViT)",
)
ADAPTERS.register(
    "side",
    SideAdapter,
    around="backbone",
    description="a light conv branch beside the frozen encoder, fused per level from zero (SAM-UNet, CC-SAM)",
)
ADAPTERS.register(
    "dvpt",
    DVPTAdapter,
    around="backbone",
    description="per level, a bottleneck and learned prompt queries cross-attending to the frozen features (DVPT)",
)
ADAPTERS.register(
    "inputs",
    InputsAdapter,
    around="backbone",
    changes_input_channels=True,
    task_keys=("wavelengths",),  # filled from the task's model block when it has them
    description="N modalities or bands mixed, learned, into the frozen model's input channels",
)

ADAPTERS.register(
    "per_channel",
    PerChannelAdapter,
    around="backbone",
    changes_input_channels=True,
    description="each channel (MRI modality) through a frozen one-channel model, fused per level, learned (+ dvpt)",
)
ADAPTERS.register(
    "spatial3d",
    Spatial3DAdapter,
    around="backbone",
    changes_input_channels=True,
    reads_2d_backbone=True,
    description="a frozen 2D encoder on volumes slice by slice, joined by depth-wise 3D convolutions (3DSAM-adapter)",
)

__all__ = ["ADAPTERS", "LORA_TARGETS", "add_lora", "merge_lora", "trainable_fraction"]

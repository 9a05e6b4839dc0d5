"""Adapters: the small trainable part beside a frozen model, one file an entry.

``ADAPTERS.build(name, model=..., **kwargs)`` wraps a model; each entry's ``merge`` metadata folds
the adapter back into plain weights at export and ``trainable_fraction`` reports its share.
"""

from __future__ import annotations

from ..registry import Registry
from .lora import LORA_TARGETS, add_lora, merge_lora, trainable_fraction

ADAPTERS = Registry("adapter")
ADAPTERS.register(
    "lora", add_lora, merge=merge_lora, description="low-rank updates of named Linear layers (PEFT; LoLA-SpecViT)"
)

__all__ = ["ADAPTERS", "LORA_TARGETS", "add_lora", "merge_lora", "trainable_fraction"]

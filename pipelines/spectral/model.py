"""spectral's network: a spectral backbone of the registry (``channelvit``, ``vit``,
``spectral_window``: ``backbones/channelvit.py``, ``backbones/spectral.py``) plus the ``classifier``
decoder, built by ``common/composition.py``; and the migration of checkpoints saved before that split.
"""

from __future__ import annotations

import torch

LEGACY_HEAD = {"norm.": "decoder.norm.", "head.": "decoder.linear."}


def migrate_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys of a checkpoint saved when a spectral model was one classifier: its final norm and
    linear layer are the ``classifier`` decoder's now, the rest is the backbone."""
    if any(k.startswith(("backbone.", "decoder.")) for k in state):
        return state
    renamed = {}
    for key, value in state.items():
        old = next((prefix for prefix in LEGACY_HEAD if key.startswith(prefix)), None)
        renamed[LEGACY_HEAD[old] + key[len(old) :] if old else f"backbone.{key}"] = value
    return renamed

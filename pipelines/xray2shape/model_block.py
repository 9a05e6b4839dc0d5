"""A ``xray2shape`` model block saved by an older version, in the current shape (shipped checkpoints
keep their config as saved). Plain dicts, no model code: ``list checkpoints`` reads it without torch."""

from __future__ import annotations

from typing import Any


def migrate_model_block(block: dict[str, Any]) -> dict[str, Any]:
    """Before ``model.decoder``: ``volume_channels`` and ``attention_heads`` were model keys.
    Raises ValueError for a mix of older and newer keys."""
    legacy = {k: block.pop(k) for k in ("volume_channels", "attention_heads") if k in block}
    if legacy and "decoder" not in block:
        block["decoder"] = {"name": "cross_view", **legacy}
    elif legacy:
        raise ValueError(f"{', '.join(legacy)} (older keys) belong in model.decoder now")
    return block

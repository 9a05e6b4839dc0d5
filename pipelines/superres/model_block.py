"""A ``superres`` model block saved by an older version, in the current shape (shipped checkpoints
keep their config as saved). Plain dicts, no model code: ``list checkpoints`` reads it without torch."""

from __future__ import annotations

from typing import Any


def migrate_model_block(block: dict[str, Any]) -> dict[str, Any]:
    """Before ``model.backbone``/``model.decoder``: ``body``, ``head_channels``, ``direct_head``.
    Raises ValueError for a mix of older and newer keys."""
    if "body" in block:
        if "backbone" in block:
            raise ValueError("body (the older key) and backbone both given; keep backbone")
        block["backbone"] = block.pop("body")
    legacy = {
        new: block.pop(old) for old, new in (("head_channels", "hidden"), ("direct_head", "direct")) if old in block
    }
    if legacy:
        if "decoder" in block:
            raise ValueError("head_channels / direct_head (older keys) belong in model.decoder now (hidden, direct)")
        block["decoder"] = {"name": "pixel_shuffle", "hidden": 64, **legacy}
    return block

"""A ``tumor3d`` model block saved by an older version, in the current shape (shipped checkpoints
keep their config as saved). Plain dicts, no model code: ``list checkpoints`` reads it without torch."""

from __future__ import annotations

from typing import Any


def migrate_model_block(block: dict[str, Any]) -> dict[str, Any]:
    """Before ``model.decoder``: ``input_skip_channels`` was a model key (the decoder was fixed).
    Raises ValueError for a mix of older and newer keys."""
    if "input_skip_channels" in block:
        if "decoder" in block:
            raise ValueError("input_skip_channels (an older key) belongs in model.decoder now")
        block["decoder"] = {"name": "unet", "input_skip_channels": block.pop("input_skip_channels")}
    return block

"""A ``spectral`` model block saved by an older version, in the current shape (shipped checkpoints
keep their config as saved). Plain dicts, no model code: ``list checkpoints`` reads it without torch."""

from __future__ import annotations

from typing import Any


def migrate_model_block(block: dict[str, Any]) -> dict[str, Any]:
    """Before ``model.backbone``: ``classifier`` was a whole model (its pooling built in).
    Raises ValueError for a mix of older and newer keys."""
    if "classifier" in block:
        if "backbone" in block or "decoder" in block:
            raise ValueError("classifier (the older key) is model.backbone + model.decoder now")
        block["backbone"] = block.pop("classifier")
        block["decoder"] = {"name": "classifier"}
        if block["backbone"].get("name") == "spectral_window":  # it pooled the centre pixel and the mean
            block["decoder"]["pool"] = "centre_mean"
    return block

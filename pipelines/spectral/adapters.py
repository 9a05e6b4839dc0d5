"""LoRA adapters on a frozen spectral classifier, through PEFT.

Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022, as LoLA-SpecViT uses
it: low-rank updates of the attention (``qkv``) and projection (``proj``) layers, everything
else frozen, so a model trained on one scene adapts to another from a few labels by training a
small fraction of its parameters.
"""

from __future__ import annotations

from torch import nn

LORA_TARGETS = ("qkv", "proj")


def add_lora(model: nn.Module, rank: int = 8, alpha: int = 16, targets: tuple[str, ...] = LORA_TARGETS) -> nn.Module:
    """``model`` with LoRA on every Linear named in ``targets``; only the adapters train.

    Returns a PEFT model that is called like ``model`` (``model(x, channels=...)``).
    """
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=list(targets), lora_dropout=0.0, bias="none")
    return get_peft_model(model, config)


def trainable_fraction(model: nn.Module) -> float:
    """Trainable parameters over all parameters."""
    total = sum(p.numel() for p in model.parameters())
    return sum(p.numel() for p in model.parameters() if p.requires_grad) / max(total, 1)

"""LoRA adapters on a frozen model, through PEFT: the "frozen backbone plus a small trainable part".

Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022, as LoLA-SpecViT uses
it: low-rank updates of the attention (``qkv``) and projection (``proj``) layers, everything
else frozen, so a trained model adapts to new data from a few labels by training a small
fraction of its parameters. ``model.adapter: {name: lora, rank: 8}`` trains this way; the adapters are merged into
the weights at export, so the checkpoint is a plain model again (no PEFT needed to predict).
"""

from __future__ import annotations

from torch import nn

LORA_TARGETS = ("qkv", "proj")


def add_lora(
    model: nn.Module,
    rank: int = 8,
    alpha: int | None = None,
    targets: tuple[str, ...] = LORA_TARGETS,
    train_also: tuple[str, ...] = (),
) -> nn.Module:
    """``model`` with LoRA on every Linear or Conv layer named in ``targets``; only the adapters train,
    and the submodules named in ``train_also`` (``[decoder]``: a new, untrained decoder on a frozen
    pretrained encoder, which LoRA alone would leave at its random start).

    ``alpha`` (the update's scale numerator) defaults to ``2 * rank``.

    Returns a PEFT model that is called like ``model`` (``model(x, channel_ids=...)``).

    Raises:
        ValueError: no layer of the model is named in ``targets``, or one is a 1 x 1 x 1 Conv3d.
    """
    from peft import LoraConfig, get_peft_model

    layers = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
    names = {name.rsplit(".", 1)[-1] for name, module in model.named_modules() if isinstance(module, layers)}
    if not names & set(targets):
        raise ValueError(
            f"LoRA targets {list(targets)} name no Linear or Conv layer of the model (it has {sorted(names)})"
        )
    pointwise_3d = [
        name
        for name, module in model.named_modules()
        if isinstance(module, nn.Conv3d) and module.kernel_size == (1, 1, 1) and name.rsplit(".", 1)[-1] in targets
    ]
    if pointwise_3d:  # PEFT 0.21 trains these but cannot fold them back (a shape error at export)
        raise ValueError(f"LoRA cannot be merged into 1 x 1 x 1 Conv3d layers ({pointwise_3d[0]}); target others")
    config = LoraConfig(
        r=rank, lora_alpha=alpha or 2 * rank, target_modules=list(targets), lora_dropout=0.0, bias="none"
    )
    peft_model = get_peft_model(model, config)
    for part in train_also:
        module = model.get_submodule(part)  # raises, naming the part, when the model has none
        for parameter in module.parameters():
            parameter.requires_grad_(True)
    return peft_model


def lora_parameters(model: nn.Module) -> int:
    """Parameters of the LoRA updates in a model (0 without LoRA)."""
    return sum(p.numel() for name, p in model.named_parameters() if "lora_" in name)


def merge_lora(model: nn.Module) -> nn.Module:
    """The plain model with its LoRA updates folded into the weights (a model without adapters as is)."""
    return model.merge_and_unload() if hasattr(model, "merge_and_unload") else model


def trainable_fraction(model: nn.Module) -> float:
    """Trainable parameters over all parameters."""
    total = sum(p.numel() for p in model.parameters())
    return sum(p.numel() for p in model.parameters() if p.requires_grad) / max(total, 1)

"""The one model builder: ``model: {backbone, decoder, adapter}`` of any task's config.

Every task's ``model`` block names a backbone (``BACKBONES``), a decoder (``DECODERS``, or the
task's own decoder registry) and, optionally, an adapter (``ADAPTERS``) that trains beside the
frozen model::

    model:
      backbone: {name: hybrid_small, drop_path: 0.1}
      decoder: {name: unet, input_skip_channels: 16}
      adapter: {name: lora, rank: 8}          # optional; merged into the weights at export

The task decides only what the config cannot know (input channels, spatial dims, output classes,
the scale), passed as ``extra``. Facts about the built model are asked of the modules
(``window_multiple``, ``takes_channel_subsets``, ``full_resolution``), never read from the config.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

from torch import nn

from hybridvision.backbones import ADAPTERS, BACKBONES, Backbone, EncoderDecoder, Registry, build_decoder
from hybridvision.backbones.adapters.lora import lora_parameters

from .config import Component


class ComposedModelConfig(Protocol):
    """What every task's ``model`` block has (its other keys are the task's own)."""

    backbone: Component
    decoder: Component
    adapter: Component | None


def adapter_kind(block: ComposedModelConfig) -> str | None:
    """ "backbone" (wraps the frozen backbone), "model" (wraps the whole model to fine-tune it) or None."""
    return None if block.adapter is None else ADAPTERS.entry(block.adapter.name).metadata["around"]


def build_backbone_of(
    block: ComposedModelConfig,
    in_channels: int,
    spatial_dims: int,
    image_size: int = 0,
    task_facts: Mapping[str, Any] | None = None,
) -> Backbone:
    """The block's backbone for this input, inside its adapter when the adapter wraps a backbone;
    ``image_size`` goes to backbones built for one size; ``task_facts`` (e.g. the bands' wavelengths)
    to a backbone or an adapter that names them in its ``task_keys``."""
    entry = BACKBONES.entry(block.backbone.name)
    support = entry.metadata["support"]
    extra: dict[str, Any] = {"in_channels": in_channels, "spatial_dims": spatial_dims}
    extra |= {k: v for k, v in (task_facts or {}).items() if k in entry.metadata.get("task_keys", ()) and v}
    adapter = ADAPTERS.entry(block.adapter.name) if adapter_kind(block) == "backbone" else None
    if adapter is not None and adapter.metadata.get("changes_input_channels"):
        extra["in_channels"] = support.max_in_channels or in_channels  # the frozen model reads its own channels
    if adapter is not None and adapter.metadata.get("reads_2d_backbone"):
        extra["spatial_dims"] = 2  # a 2D model made to read volumes by the adapter
    if support.fixed_input_size:
        if not image_size:
            raise ValueError(f"backbone {block.backbone.name} is built for one input size; the task must give it")
        extra["image_size"] = image_size
    backbone = block.backbone.build(BACKBONES, **extra)
    if adapter is None:
        return backbone
    kwargs = dict(block.adapter.kwargs)
    kwargs |= {k: v for k, v in (task_facts or {}).items() if k in adapter.metadata.get("task_keys", ()) and v}
    if adapter.metadata.get("changes_input_channels"):
        kwargs["in_channels"] = in_channels
    return block.adapter.build(ADAPTERS, backbone=backbone, **kwargs)


def build_decoder_of(
    block: ComposedModelConfig,
    backbone: Backbone,
    extra: Mapping[str, Any] | None = None,
    registry: Registry | None = None,
) -> nn.Module:
    """The block's decoder for ``backbone``'s features; ``extra`` (the task's) wins over the config."""
    kwargs = {**dict(block.decoder.kwargs), **dict(extra or {})}
    return build_decoder(
        block.decoder.name, backbone.feature_info, backbone.in_channels, backbone.spatial_dims, registry, **kwargs
    )


def build_composed(
    block: ComposedModelConfig,
    in_channels: int,
    spatial_dims: int,
    decoder_extra: Mapping[str, Any] | None = None,
    image_size: int = 0,
    task_facts: Mapping[str, Any] | None = None,
) -> EncoderDecoder:
    """backbone + decoder of ``block`` as one ``EncoderDecoder`` (the adapter is added by training)."""
    backbone = build_backbone_of(block, in_channels, spatial_dims, image_size, task_facts)
    return EncoderDecoder(backbone, build_decoder_of(block, backbone, decoder_extra))


def add_adapter(block: ComposedModelConfig, model: nn.Module) -> nn.Module:
    """``model`` wrapped by a whole-model adapter (frozen but for the adapter); as it is otherwise
    (a backbone adapter is already inside the built model)."""
    if adapter_kind(block) != "model":
        return model
    return block.adapter.build(ADAPTERS, model=model)


def merge_adapter(block: ComposedModelConfig, model: nn.Module) -> nn.Module:
    """The plain model, a whole-model adapter folded into its weights (export: no adapter library to predict)."""
    if adapter_kind(block) != "model":
        return model
    return ADAPTERS.entry(block.adapter.name).metadata["merge"](model)


def parameter_report(model: nn.Module) -> dict[str, Any]:
    """Trainable parameters by part: the backbone adapter's share of (frozen + adapter), the decoder apart."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    report: dict[str, Any] = {"trainable": trainable, "total": sum(p.numel() for p in model.parameters())}
    backbone = getattr(model, "backbone", None)
    if hasattr(backbone, "trainable_fraction"):
        report |= {
            "adapter": backbone.adapter_parameters(),
            "frozen": backbone.frozen_parameters(),
            "adapter_fraction": round(backbone.trainable_fraction(), 6),
        }
    elif lora_parameters(model):  # a whole-model LoRA: its share of (frozen + LoRA)
        adapter = lora_parameters(model)
        frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
        report |= {"adapter": adapter, "frozen": frozen, "adapter_fraction": round(adapter / (frozen + adapter), 6)}
    decoder = getattr(model, "decoder", None)
    if decoder is not None:
        report["decoder"] = sum(p.numel() for p in decoder.parameters())
    return report


def describe_parameters(report: dict[str, Any]) -> str:
    """One line: how much of the model trains, and of what."""
    line = f"parameters: {report['trainable'] / 1e6:.3f}M of {report['total'] / 1e6:.3f}M train"
    if "adapter" in report:
        line += (
            f"; adapter {report['adapter'] / 1e6:.3f}M = {100 * report['adapter_fraction']:.2f}% of the frozen "
            f"backbone + adapter ({report['frozen'] / 1e6:.2f}M frozen)"
        )
    if "decoder" in report:
        line += f"; decoder {report['decoder'] / 1e6:.3f}M"
    return line

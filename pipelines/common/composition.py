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

from .config import Component


class ComposedModelConfig(Protocol):
    """What every task's ``model`` block has (its other keys are the task's own)."""

    backbone: Component
    decoder: Component
    adapter: Component | None


def build_backbone_of(block: ComposedModelConfig, in_channels: int, spatial_dims: int, image_size: int = 0) -> Backbone:
    """The block's backbone for this input; ``image_size`` goes to backbones built for one size."""
    extra: dict[str, Any] = {"in_channels": in_channels, "spatial_dims": spatial_dims}
    if BACKBONES.entry(block.backbone.name).metadata["support"].fixed_input_size:
        if not image_size:
            raise ValueError(f"backbone {block.backbone.name} is built for one input size; the task must give it")
        extra["image_size"] = image_size
    return block.backbone.build(BACKBONES, **extra)


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
) -> EncoderDecoder:
    """backbone + decoder of ``block`` as one ``EncoderDecoder`` (the adapter is added by training)."""
    backbone = build_backbone_of(block, in_channels, spatial_dims, image_size)
    return EncoderDecoder(backbone, build_decoder_of(block, backbone, decoder_extra))


def add_adapter(block: ComposedModelConfig, model: nn.Module) -> nn.Module:
    """``model`` wrapped by the block's adapter (frozen but for the adapter), or as it is without one."""
    if block.adapter is None:
        return model
    return block.adapter.build(ADAPTERS, model=model)


def merge_adapter(block: ComposedModelConfig, model: nn.Module) -> nn.Module:
    """The plain model, the adapter folded into its weights (export: no adapter library to predict)."""
    if block.adapter is None:
        return model
    return ADAPTERS.entry(block.adapter.name).metadata["merge"](model)

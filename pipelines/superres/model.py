"""Super-resolution network: a full-resolution backbone of the registry plus the ``pixel_shuffle`` decoder.

The head follows SwinIR/HAT: conv -> (conv to 4C -> PixelShuffle(2)) per factor of 2 -> conv to the
output bands. The output is added to a bicubic upscaling of the input, so the network learns the
missing detail (a residual), which trains quickly and starts from bicubic quality.

Colour photos can be upscaled through their luma only (``upscale_by_luma``), as SRCNN and the
Y-PSNR convention of the field do: the network sees one band instead of three, 3x less work.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from hybridvision.backbones import Backbone, EncoderDecoder

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 Y, the channel the field's Y-PSNR measures


def upscale_by_luma(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A one-band model on the luma of an RGB image. ``x: (bands >= 3, H, W)``, RGB first.

    The network upscales Y; chroma (Cb, Cr) is upscaled bicubically. Y enters the YCbCr -> RGB
    inverse with weight 1 in every colour, so the result is the bicubic RGB plus the network's luma
    detail (its Y minus bicubic Y) added to each colour band. Bands after the third (alpha, extra
    bands) go through the network on their own. Returns ``(bands, H * s, W * s)``.
    """
    rgb, extra = x[:3], x[3:]
    luma = torch.tensordot(torch.tensor(LUMA_WEIGHTS, dtype=x.dtype, device=x.device), rgb, dims=1)
    upscaled = model(torch.cat([luma[None], extra])[:, None])[:, 0]
    bicubic = F.interpolate(torch.cat([rgb, luma[None]])[None], scale_factor=model.scale, mode="bicubic")[0]
    return torch.cat([bicubic[:3] + (upscaled[0] - bicubic[3]), upscaled[1:]])


class SuperResolver(EncoderDecoder):
    """Backbone + decoder + bicubic skip. ``x: (B, C, H, W)`` in [0, 1] -> ``(B, C, sH, sW)``.

    Args:
        backbone: a full-resolution body (one level at reduction 1), e.g. hat_light.
        decoder: a head built for it that upscales by ``scale`` (``pixel_shuffle``).
    """

    def __init__(self, backbone: Backbone, decoder: nn.Module, scale: int):
        if not backbone.full_resolution:
            raise ValueError("super-resolution needs a full-resolution body (reduction 1), e.g. hat_light")
        super().__init__(backbone, decoder)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        upscaled = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return upscaled + self.decoder(self.backbone(x)[0])


LEGACY_PREFIXES = {"body.": "backbone.", "head.": "decoder."}


def migrate_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys of a checkpoint saved when the parts were ``body`` and ``head``."""
    renamed = {}
    for key, value in state.items():
        old = next((prefix for prefix in LEGACY_PREFIXES if key.startswith(prefix)), None)
        renamed[LEGACY_PREFIXES[old] + key[len(old) :] if old else key] = value
    return renamed

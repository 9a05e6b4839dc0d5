"""Super-resolution network: a full-resolution body from the registry plus a pixel-shuffle head.

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

from hybridvision.backbones import Backbone, build_decoder

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


class SuperResolver(nn.Module):
    """Body + head + bicubic skip. ``x: (B, C, H, W)`` in [0, 1] -> ``(B, C, sH, sW)``."""

    def __init__(self, body: Backbone, scale: int, head_channels: int = 64, direct_head: bool = False):
        super().__init__()
        if body.feature_info[0].reduction != 1:
            raise ValueError("super-resolution needs a full-resolution body (reduction 1), e.g. hat_light")
        self.body = body
        self.scale = scale
        self.head = build_decoder(
            "pixel_shuffle",
            body.feature_info,
            body.in_channels,
            2,
            scale=scale,
            hidden=head_channels,
            direct=direct_head,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        upscaled = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return upscaled + self.head(self.body(x)[0])

"""tumor3d's network: any hierarchical 3D backbone of the registry plus the ``unet`` decoder.

After Swin UNETR (Hatamizadeh et al., 2022): the decoder (``backbones/decoders/unet.py``) joins
every backbone level by a skip, plus a full-resolution skip from the input. Three sigmoid outputs:
whole tumour (WT), tumour core (TC), enhancing tumour (ET).
"""

from __future__ import annotations

import torch
from torch import nn

from hybridvision.backbones import Backbone, build_decoder

# checkpoints saved before the decoder registry kept the decoder's parts at the top level
LEGACY_PREFIXES = ("input_skip.", "up_blocks.", "head.")


class TumorSegmenter(nn.Module):
    """Backbone + U-decoder with a full-resolution input skip.

    Args:
        backbone: a 3D backbone whose levels halve the resolution one after another, starting at
            reduction 2 (all hierarchical families of the registry do).
        out_channels: output maps (3: WT, TC, ET logits).
        input_skip_channels: channels of the full-resolution skip computed from the input.
    """

    def __init__(self, backbone: Backbone, out_channels: int = 3, input_skip_channels: int = 16):
        super().__init__()
        if backbone.spatial_dims != 3:
            raise ValueError(f"tumor3d needs a 3D backbone; {type(backbone).__name__} is {backbone.spatial_dims}D")
        self.backbone = backbone
        self.decoder = build_decoder(
            "unet",
            backbone.feature_info,
            backbone.in_channels,
            3,
            out_channels=out_channels,
            input_skip_channels=input_skip_channels,
        )

    @property
    def head(self) -> nn.Module:
        """The last layer: one logit map per region."""
        return self.decoder.head

    @property
    def size_multiple(self) -> int:
        return self.backbone.size_multiple

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C_in, D, H, W), sizes multiples of the backbone stride -> (B, 3, D, H, W) logits."""
        return self.decoder(x, self.backbone(x))


def migrate_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """State-dict keys of a checkpoint saved before the decoder registry, moved under ``decoder.``."""
    return {(f"decoder.{k}" if k.startswith(LEGACY_PREFIXES) else k): v for k, v in state.items()}

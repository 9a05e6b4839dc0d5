"""U-shaped segmentation network over any 3D backbone of the registry.

After Swin UNETR (Hatamizadeh et al., 2022): every backbone level is joined to the decoder by a
skip connection, plus a full-resolution skip computed from the input itself; each up-block doubles
the resolution with a transposed convolution, concatenates the skip and refines. Three sigmoid
outputs: whole tumour (WT), tumour core (TC), enhancing tumour (ET).

The refinement blocks are depthwise-separable and run on channels-last tokens (the same
``DepthwiseConvBlock`` the hybrid encoder uses), so the decoder stays cheap on the CPU at high
resolution, where Swin UNETR's dense 3x3x3 residual blocks cost the most.
"""

from __future__ import annotations

import torch
from torch import nn

from hybridvision.backbones import Backbone
from hybridvision.backbones.layers import DepthwiseConvBlock
from hybridvision.backbones.layers.layout import channels_first, channels_last


class UpBlock(nn.Module):
    """Upsample x2, concatenate the skip, fuse channels, refine.

    ``x: (B, C_in, *S)``, ``skip: (B, C_skip, *2S)`` -> ``(B, C_out, *2S)``.
    """

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int, depth: int = 1):
        super().__init__()
        self.up = nn.ConvTranspose3d(in_channels, out_channels, 2, stride=2)
        self.fuse = nn.Linear(out_channels + skip_channels, out_channels)
        self.norm = nn.LayerNorm(out_channels)
        self.blocks = nn.Sequential(
            *[DepthwiseConvBlock(3, out_channels, 3, mlp_ratio=2.0, layer_scale=0.0) for _ in range(depth)]
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = channels_last(torch.cat([self.up(x), skip], dim=1))  # tokens
        x = self.blocks(self.norm(self.fuse(x)))
        return channels_first(x)


class InputSkip(nn.Module):
    """Full-resolution features from the raw input: a pointwise projection and a depthwise block.

    (A dense 3x3x3 convolution with 4 input channels falls off oneDNN's fast path on the CPU and
    costs more than the whole encoder; this costs a few milliseconds at 64^3.)
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.proj = nn.Linear(in_channels, out_channels)
        self.norm = nn.LayerNorm(out_channels)
        self.block = DepthwiseConvBlock(3, out_channels, 3, mlp_ratio=2.0, layer_scale=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channels_first(self.block(self.norm(self.proj(channels_last(x)))))


class TumorSegmenter(nn.Module):
    """Backbone + U-shaped decoder with a full-resolution input skip.

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
        reductions = [info.reduction for info in backbone.feature_info]
        if reductions != [2 ** (i + 1) for i in range(len(reductions))]:
            raise ValueError(f"tumor3d needs backbone levels at reductions 2, 4, 8, ...; got {reductions}")
        self.backbone = backbone
        channels = [info.channels for info in backbone.feature_info]
        self.input_skip = InputSkip(backbone.in_channels, input_skip_channels)
        targets = [input_skip_channels] + channels[:-1]  # each up-block lands on the next finer level
        self.up_blocks = nn.ModuleList()
        current = channels[-1]
        for level in reversed(range(len(channels))):
            out = max(input_skip_channels, targets[level])
            self.up_blocks.append(UpBlock(current, targets[level], out))
            current = out
        self.head = nn.Conv3d(current, out_channels, 1)

    @property
    def size_multiple(self) -> int:
        return self.backbone.size_multiple

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C_in, D, H, W), sizes multiples of the backbone stride -> (B, 3, D, H, W) logits."""
        features = self.backbone(x)
        skips = [self.input_skip(x)] + features[:-1]
        y = features[-1]
        for block, skip in zip(self.up_blocks, reversed(skips)):
            y = block(y, skip)
        return self.head(y)

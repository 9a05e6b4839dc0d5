"""``unet``: a U-shaped decoder over hierarchical features, 2D or 3D (after Swin UNETR).

Hatamizadeh et al., "Swin UNETR", 2022: every backbone level joins the decoder by a skip, plus a
full-resolution skip computed from the input itself; each up-block doubles the resolution with a
transposed convolution, concatenates the skip and refines. The refinement blocks are
depthwise-separable on channels-last tokens (``DepthwiseConvBlock``), cheap on the CPU at high
resolution where Swin UNETR's dense residual blocks cost the most.

``full_resolution="light"`` makes the full-resolution stage (the input skip and the last up-block)
a few channels-first layers without norms: at 128^3 the refined stage is about 80% of the network's
time, bound by memory traffic (LayerNorm, GELU, copies and concatenation over 2M voxels), and the
light one a sixth of it.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..contract import FeatureInfo
from ..layers import DepthwiseConvBlock
from ..layers.layout import channels_first, channels_last
from .base import DECODERS, Needs

TRANSPOSED = {2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
POINTWISE = {2: nn.Conv2d, 3: nn.Conv3d}
LIGHT_MLP_RATIO = {"light": 0, "light_mlp": 2}  # the light stages, by the width of their pointwise MLP
FULL_RESOLUTION = ("refined", *LIGHT_MLP_RATIO)


class UpBlock(nn.Module):
    """Upsample x2, concatenate the skip, fuse channels, refine: ``(B, C_in, *S)``, ``(B, C_skip, *2S)``
    -> ``(B, C_out, *2S)``."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int, spatial_dims: int, depth: int = 1):
        super().__init__()
        self.up = TRANSPOSED[spatial_dims](in_channels, out_channels, 2, stride=2)
        self.fuse = nn.Linear(out_channels + skip_channels, out_channels)
        self.norm = nn.LayerNorm(out_channels)
        self.blocks = nn.Sequential(
            *[DepthwiseConvBlock(spatial_dims, out_channels, 3, mlp_ratio=2.0, layer_scale=0.0) for _ in range(depth)]
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = channels_last(torch.cat([self.up(x), skip], dim=1))  # tokens
        return channels_first(self.blocks(self.norm(self.fuse(x))))


class InputSkip(nn.Module):
    """Full-resolution features from the raw input: a pointwise projection and a depthwise block.

    (A dense 3x3x3 convolution with 4 input channels falls off oneDNN's fast path on the CPU and
    costs more than the whole encoder; this costs a few milliseconds at 64^3.)
    """

    def __init__(self, in_channels: int, out_channels: int, spatial_dims: int):
        super().__init__()
        self.proj = nn.Linear(in_channels, out_channels)
        self.norm = nn.LayerNorm(out_channels)
        self.block = DepthwiseConvBlock(spatial_dims, out_channels, 3, mlp_ratio=2.0, layer_scale=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channels_first(self.block(self.norm(self.proj(channels_last(x)))))


class LightUpBlock(nn.Module):
    """The light last up-block: upsample x2, add the input's projection, GELU, a residual depthwise
    3x3(x3) convolution, and with ``mlp_ratio`` a residual pointwise MLP (``light_mlp``: the channel
    mixing after the spatial filter that the plain stage lacks). ``(B, C_in, *S)``, ``(B, C_out, *2S)``
    -> ``(B, C_out, *2S)``.

    Channels-first throughout, no norm, no concatenation: each layer is one pass over the
    full-resolution tensor, which is what the time goes on at this resolution.
    """

    def __init__(self, in_channels: int, out_channels: int, spatial_dims: int, mlp_ratio: int = 0):
        super().__init__()
        conv = POINTWISE[spatial_dims]
        self.up = TRANSPOSED[spatial_dims](in_channels, out_channels, 2, stride=2)
        self.act = nn.GELU()
        self.depthwise = conv(out_channels, out_channels, 3, padding=1, groups=out_channels)
        hidden = mlp_ratio * out_channels  # light_mlp: mixes channels after the spatial filter
        self.mlp = (
            nn.Sequential(conv(out_channels, hidden, 1), nn.GELU(), conv(hidden, out_channels, 1)) if hidden else None
        )

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        y = self.act(self.up(x) + skip)
        y = y + self.depthwise(y)
        return y if self.mlp is None else y + self.mlp(y)


@DECODERS.register("unet", needs=Needs((2, 3), "hierarchical"), description="U-decoder with an input skip (UNETR)")
class UDecoder(nn.Module):
    """Hierarchical features (and the input) -> per-pixel logits at the input's size.

    Args:
        feature_info: the backbone's levels, at reductions 2, 4, 8, ...
        in_channels: channels of the backbone's input (the full-resolution skip reads it).
        spatial_dims: 2 or 3.
        out_channels: output maps.
        input_skip_channels: channels of the full-resolution skip.
        widths: project each level to these channels first (a 1 x 1 convolution per level), for wide
            pretrained encoders (2048 channels at the coarsest level) whose decoder would otherwise be
            larger than the task needs; None: the levels as they are.
        full_resolution: ``refined`` (LayerNorm and depthwise blocks on the input skip and the last
            up-block, concatenated), ``light`` (a pointwise projection of the input added to the
            last upsampling, then one depthwise layer: several times faster at 128^3) or
            ``light_mlp`` (``light`` and a residual pointwise MLP: about twice as fast as ``refined``).
    """

    takes_input = True  # forward(x, features): the full-resolution skip reads the input

    def __init__(
        self,
        feature_info: Sequence[FeatureInfo],
        in_channels: int,
        spatial_dims: int,
        out_channels: int = 1,
        input_skip_channels: int = 16,
        widths: Sequence[int] | None = None,
        full_resolution: str = "refined",
    ):
        super().__init__()
        if full_resolution not in FULL_RESOLUTION:
            raise ValueError(
                f"unet full_resolution must be one of {', '.join(FULL_RESOLUTION)}, got {full_resolution!r}"
            )
        channels = [info.channels for info in feature_info]
        self.projections = None
        if widths is not None:
            if len(widths) != len(channels):
                raise ValueError(f"unet widths needs {len(channels)} entries (one per level), got {list(widths)}")
            self.projections = nn.ModuleList(POINTWISE[spatial_dims](c, w, 1) for c, w in zip(channels, widths))
            channels = list(widths)
        light = full_resolution in LIGHT_MLP_RATIO
        if light:
            self.input_skip = POINTWISE[spatial_dims](in_channels, input_skip_channels, 1)
        else:
            self.input_skip = InputSkip(in_channels, input_skip_channels, spatial_dims)
        targets = [input_skip_channels] + channels[:-1]  # each up-block lands on the next finer level
        self.up_blocks = nn.ModuleList()
        current = channels[-1]
        for level in reversed(range(len(channels))):
            out = max(input_skip_channels, targets[level])
            if light and level == 0:  # the full-resolution one
                self.up_blocks.append(LightUpBlock(current, out, spatial_dims, LIGHT_MLP_RATIO[full_resolution]))
            else:
                self.up_blocks.append(UpBlock(current, targets[level], out, spatial_dims))
            current = out
        self.head = POINTWISE[spatial_dims](current, out_channels, 1)

    def forward(self, x: torch.Tensor, features: list[torch.Tensor]) -> torch.Tensor:
        """x: (B, C_in, *S); features fine to coarse -> (B, out_channels, *S)."""
        if self.projections is not None:
            features = [project(feature) for project, feature in zip(self.projections, features)]
        skips = [self.input_skip(x)] + features[:-1]
        y = features[-1]
        for block, skip in zip(self.up_blocks, reversed(skips)):
            y = block(y, skip)
        return self.head(y)

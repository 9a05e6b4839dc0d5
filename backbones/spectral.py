"""A spectral front end (3D convolution along the bands) feeding local window attention.

After LoLA-SpecViT (Lightweight Low-rank Adaptation Spectral ViT): a 3D-convolution front end
learns local spectral-spatial filters and shrinks the band axis; the result is folded into
channels and mixed spatially by (shifted) window attention from the shared layers. Its attention
(``qkv``) and projection (``proj``) layers are the targets for LoRA adapters
(``backbones/adapters``), so a trained model adapts to a new scene by training a few
low-rank matrices. It returns one full-resolution level; the ``classifier`` decoder with
``pool: centre_mean`` classifies the centre pixel of a patch.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .band_fill import zero_fill
from .contract import BACKBONES, Backbone, FeatureInfo, Support, register_sizes
from .layers import TransformerBlock


class SpectralWindowNet(Backbone):
    """(B, bands, H, W) -> 3D conv front end -> window attention -> [(B, dim, H, W)].

    Args:
        in_channels: input bands (``channel_ids`` index them; missing ones are zero-filled).
        dim, depth, heads: attention width, blocks (alternating plain and shifted windows), heads.
        window: attention window side.
        front_channels: feature maps of the two 3D convolutions.
        spectral_kernel: 3D kernel length along the bands (stride 2 in both layers).
    """

    def __init__(
        self,
        in_channels: int,
        spatial_dims: int = 2,
        dim: int = 64,
        depth: int = 2,
        heads: int = 4,
        window: int = 3,
        front_channels: tuple[int, int] = (8, 16),
        spectral_kernel: int = 7,
        drop_path: float = 0.0,
    ):
        if spatial_dims != 2:
            raise ValueError(f"spectral_window is 2D only, got spatial_dims={spatial_dims}")
        super().__init__(in_channels, 2, [FeatureInfo(dim, 1)])
        bands = in_channels
        pad = spectral_kernel // 2
        first, second = front_channels
        self.front = nn.Sequential(
            nn.Conv3d(1, first, (spectral_kernel, 3, 3), stride=(2, 1, 1), padding=(pad, 1, 1)),
            nn.BatchNorm3d(first),
            nn.GELU(),
            nn.Conv3d(first, second, (spectral_kernel, 3, 3), stride=(2, 1, 1), padding=(pad, 1, 1)),
            nn.BatchNorm3d(second),
            nn.GELU(),
        )
        reduced = math.ceil(math.ceil(bands / 2) / 2)
        self.project = nn.Conv2d(second * reduced, dim, 1)
        rates = torch.linspace(0, drop_path, depth).tolist()
        modes = ("window", "shifted")
        self.blocks = nn.ModuleList(
            TransformerBlock(2, dim, heads, window, modes[i % 2], mlp_ratio=2.0, drop_path=rate)
            for i, rate in enumerate(rates)
        )

    def forward(self, x: torch.Tensor, channel_ids: torch.Tensor | None = None) -> list[torch.Tensor]:
        """x: (B, C, H, W) with ``channel_ids`` its band indices (missing bands zero-filled) -> [(B, dim, H, W)]."""
        self.check_input(x, channel_ids)
        x = zero_fill(x, channel_ids, self.in_channels)
        features = self.front(x[:, None])  # (B, F, bands', H, W)
        features = self.project(features.flatten(1, 2)).permute(0, 2, 3, 1)  # (B, H, W, dim)
        for block in self.blocks:
            features = block(features)
        return [features.permute(0, 3, 1, 2)]


SUPPORT = Support(spatial_dims=(2,), full_resolution=True, channel_ids=True)
DESCRIPTION = "3D-conv spectral front end + window attention (LoLA-SpecViT)"
BACKBONES.register(
    "spectral_window", SpectralWindowNet, support=SUPPORT, family="spectral_window", description=DESCRIPTION
)
register_sizes(
    "spectral_window", {"test": {"dim": 16, "depth": 2, "heads": 2}}, SpectralWindowNet, SUPPORT, DESCRIPTION
)

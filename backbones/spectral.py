"""A spectral front end (3D convolution along the bands) feeding local window attention.

After LoLA-SpecViT (Lightweight Low-rank Adaptation Spectral ViT): a 3D-convolution front end
learns local spectral-spatial filters and shrinks the band axis; the result is folded into
channels and mixed spatially by (shifted) window attention from the shared layers. Its attention
(``qkv``) and projection (``proj``) layers are the targets for LoRA adapters
(``pipelines/spectral/adapters.py``), so a trained model adapts to a new scene by training
a few low-rank matrices.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .layers import TransformerBlock
from .spectral_classifiers import SPECTRAL_CLASSIFIERS, zero_fill


class SpectralWindowNet(nn.Module):
    """(B, bands, H, W) -> 3D conv front end -> (B, dim, H, W) -> window attention -> class.

    Args:
        bands, classes: input bands and output classes.
        dim, depth, heads: attention width, blocks (alternating plain and shifted windows), heads.
        window: attention window side.
        front_channels: feature maps of the two 3D convolutions.
        spectral_kernel: 3D kernel length along the bands (stride 2 in both layers).
    """

    takes_channel_subsets = False

    def __init__(
        self,
        bands: int,
        classes: int,
        dim: int = 64,
        depth: int = 2,
        heads: int = 4,
        window: int = 3,
        front_channels: tuple[int, int] = (8, 16),
        spectral_kernel: int = 7,
        drop_path: float = 0.0,
    ):
        super().__init__()
        self.bands = bands
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
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor, channels: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, C, H, W) with ``channels`` its band indices (missing bands zero-filled) -> (B, classes)."""
        x = zero_fill(x, channels, self.bands)
        features = self.front(x[:, None])  # (B, F, bands', H, W)
        features = self.project(features.flatten(1, 2)).permute(0, 2, 3, 1)  # (B, H, W, dim)
        for block in self.blocks:
            features = block(features)
        centre = features.shape[1] // 2, features.shape[2] // 2
        # the centre pixel's token is the one being classified; the mean adds context
        pooled = 0.5 * (features[:, centre[0], centre[1]] + features.mean((1, 2)))
        return self.head(self.norm(pooled))


@SPECTRAL_CLASSIFIERS.register("spectral_window", family="spectral")
def spectral_window(bands: int, classes: int, **kwargs) -> SpectralWindowNet:
    return SpectralWindowNet(bands, classes, **kwargs)

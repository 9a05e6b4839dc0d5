"""Biplanar radiographs to a 3D label volume: shared 2D encoder, dimension expansion, cross-view attention.

After Swin-X2S (Liu et al., "Swin-X2S: Reconstructing 3D Shape from 2D Biplanar X-ray with Swin
Transformers", arXiv:2501.05961, 2025): one 2D backbone of the registry encodes the AP and the lateral
view (shared weights); at every level a *dimension-expanding* module turns each view's 2D feature map
into a 3D feature volume by a 1x1 convolution that gives ``channels x depth`` outputs per pixel, read as
``channels`` features at each of ``depth`` positions along that pixel's ray (learned per-depth features,
a learned back-projection); at the coarsest level the two views' volumes attend to each other (multi-head
cross-attention, both ways, with a learned 3D position embedding); a 3D convolutional decoder climbs the
levels with the two views' expanded volumes (summed) as skips, to multi-class logits on a fixed grid.
The decoder's blocks are dense 3x3x3 convolutions (PyTorch's CPU backward of depthwise 3D convolutions
is many times slower), and the full-resolution level, which holds most voxels, is kept to an upsampling,
the skip, one GELU and a 1x1x1 classifier.

Grid and image geometry (the ``drr`` module's conventions, flips included): the output grid is
``(X, Y, Z)`` in RAS voxel axes (x towards the patient's right, y anterior, z superior) with isotropic
spacing, centred at the world origin. Both views come in as one ``(B, 2, H, W)`` tensor, channel 0 AP and
channel 1 lateral, with ``H = 2 Z`` rows and ``W = 2 X = 2 Y`` columns (two image pixels per grid voxel
across the field of view). AP: rays along y; image rows run from superior (row 0) to inferior, columns
from the patient's right (column 0) to left, so pixel (row r, column c) is the ray at
``z = Z - 1 - r``, ``x = X - 1 - c`` (in grid voxels, at the matching level). Lateral: rays along x;
rows as in AP, columns from anterior (column 0) to posterior: pixel (r, c) is the ray at
``z = Z - 1 - r``, ``y = Y - 1 - c``. The expansion treats rays as parallel; the training DRRs are a cone
beam (divergence of a few percent over the field of view), which the decoder learns to absorb.

Backbone level ``k`` (reduction ``2^(k+1)`` of the image) meets grid level ``k`` (grid / ``2^k``), so the
finest backbone level lands on the full grid. Every grid side must be a multiple of 16 (the backbone's
total stride of 32 on images twice the grid's size).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from hybridvision.backbones import Backbone, EncoderDecoder, FeatureInfo, Registry
from hybridvision.backbones.decoders import Needs
from hybridvision.backbones.layers import Mlp
from hybridvision.backbones.layers.layout import channels_first, channels_last

VIEW_NAMES = ("ap", "lateral")


class DimensionExpansion(nn.Module):
    """One view's 2D feature map -> a 3D feature volume on the (X, Y, Z) grid, spread along the view's rays.

    A 1x1 convolution maps each pixel's features to ``out_channels * depth`` values, read as
    ``out_channels`` features at each of ``depth`` positions along the ray (y for AP, x for lateral);
    the image axes are flipped and permuted into the grid's axes (see the module docstring).

    Args:
        view: "ap" or "lateral".
        in_channels: channels of the 2D feature map.
        out_channels: channels of the 3D volume.
        depth: grid size along the ray at this level (Y for AP, X for lateral).
    """

    def __init__(self, view: str, in_channels: int, out_channels: int, depth: int):
        super().__init__()
        if view not in VIEW_NAMES:
            raise ValueError(f"view must be one of {VIEW_NAMES}, got {view!r}")
        self.view = view
        self.out_channels = out_channels
        self.depth = depth
        self.project = nn.Conv2d(in_channels, out_channels * depth, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, C, rows, columns) -> (B, out_channels, X, Y, Z).

        AP: rows = Z, columns = X, depth = Y. Lateral: rows = Z, columns = Y, depth = X.
        """
        batch, _, rows, columns = features.shape
        features = features.flip(2, 3)  # rows to ascending z, columns to ascending x (AP) or y (lateral)
        volume = self.project(features).view(batch, self.out_channels, self.depth, rows, columns)
        if self.view == "ap":  # (B, C, y, z, x) -> (B, C, x, y, z)
            return volume.permute(0, 1, 4, 2, 3)
        return volume.permute(0, 1, 2, 4, 3)  # (B, C, x, z, y) -> (B, C, x, y, z)


class CrossViewAttention(nn.Module):
    """The two views' 3D features attend to each other: AP tokens query lateral tokens and the reverse.

    A learned position embedding (one per grid cell) is added to both, so a token can find the other
    view's token at the same place. Returns the sum of the two updated volumes after an MLP.

    Args:
        dim: channels.
        heads: attention heads.
        grid: the (X, Y, Z) size of the volumes at this level.
    """

    def __init__(self, dim: int, heads: int, grid: Sequence[int]):
        super().__init__()
        tokens = int(torch.tensor(grid).prod())
        self.position = nn.Parameter(torch.zeros(1, tokens, dim))
        nn.init.trunc_normal_(self.position, std=0.02)
        self.norm_ap, self.norm_lateral = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ap_from_lateral = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.lateral_from_ap = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm_mlp = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, 2.0)

    def forward(self, ap: torch.Tensor, lateral: torch.Tensor) -> torch.Tensor:
        """ap, lateral: (B, C, X, Y, Z) -> fused (B, C, X, Y, Z)."""
        shape = ap.shape
        a = ap.flatten(2).transpose(1, 2) + self.position  # (B, N, C)
        b = lateral.flatten(2).transpose(1, 2) + self.position
        na, nb = self.norm_ap(a), self.norm_lateral(b)
        a = a + self.ap_from_lateral(na, nb, nb, need_weights=False)[0]
        b = b + self.lateral_from_ap(nb, na, na, need_weights=False)[0]
        fused = a + b
        fused = fused + self.mlp(self.norm_mlp(fused))
        return fused.transpose(1, 2).reshape(shape)


class ConvRefine(nn.Module):
    """A residual dense 3x3x3 convolution, LayerNorm and GELU on channels-last tokens ``(B, *S, C)``.

    Dense rather than depthwise: on the CPU, PyTorch's backward of a depthwise 3D convolution is
    many times slower than oneDNN's dense one on these channel counts.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.conv = nn.Conv3d(dim, dim, 3, padding=1)
        self.norm = nn.LayerNorm(dim)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.act(self.norm(channels_last(self.conv(channels_first(x)))))


class UpBlock(nn.Module):
    """Upsample x2 (transposed convolution), concatenate the skip, fuse channels, refine (3x3x3).

    ``x: (B, C_in, *S)``, ``skip: (B, C_skip, *2S)`` -> ``(B, C_out, *2S)``.
    """

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int):
        super().__init__()
        self.up = nn.ConvTranspose3d(in_channels, out_channels, 2, stride=2)
        self.fuse = nn.Linear(out_channels + skip_channels, out_channels)
        self.norm = nn.LayerNorm(out_channels)
        self.refine = ConvRefine(out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = channels_last(torch.cat([self.up(x), skip], dim=1))
        return channels_first(self.refine(self.norm(self.fuse(x))))


class FullResolutionHead(nn.Module):
    """The last level, on the full grid, kept light (it holds most of the voxels): upsample x2, add the
    finest views' skip, one GELU, and a 1x1x1 convolution to class logits.

    ``x: (B, C_in, *S)``, ``skip: (B, C_skip, *2S)`` -> ``(B, num_classes, *2S)``.
    """

    def __init__(self, in_channels: int, skip_channels: int, num_classes: int):
        super().__init__()
        self.up = nn.ConvTranspose3d(in_channels, skip_channels, 2, stride=2)
        self.act = nn.GELU()
        self.classifier = nn.Conv3d(skip_channels, num_classes, 1)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.act(self.up(x) + skip))


# what only xray2shape needs stays in its folder (DESIGN.md), registered like the shared decoders
XRAY_DECODERS: Registry[nn.Module] = Registry("xray2shape decoder")


@XRAY_DECODERS.register("cross_view", needs=Needs((2,), "hierarchical"), description="two views -> 3D (Swin-X2S)")
class CrossViewDecoder(nn.Module):
    """Both views' features (stacked in the batch, AP then lateral per case) -> class logits on a 3D grid.

    Args:
        feature_info: the 2D backbone's levels (reductions 2, 4, 8, ...).
        grid: output (X, Y, Z) voxels; X == Y, each a multiple of 2^(levels - 1).
        classes: output classes including background.
        volume_channels: 3D channels at each grid level, fine to coarse (one per backbone level).
        attention_heads: heads of the cross-view attention at the coarsest level.
        coarse_blocks: 3D refinement blocks on the fused coarsest volume, after the attention.
    """

    def __init__(
        self,
        feature_info: Sequence[FeatureInfo],
        in_channels: int,
        spatial_dims: int,
        grid: Sequence[int] = (64, 64, 64),
        classes: int = 2,
        volume_channels: Sequence[int] = (8, 16, 32, 48, 64),
        attention_heads: int = 4,
        coarse_blocks: int = 1,
    ):
        super().__init__()
        levels = len(feature_info)
        if len(volume_channels) != levels:
            raise ValueError(f"volume_channels needs {levels} entries (one per backbone level), got {volume_channels}")
        if volume_channels[-1] % attention_heads:
            raise ValueError("the last of volume_channels must be a multiple of attention_heads")
        grid = tuple(int(g) for g in grid)
        if len(grid) != 3 or grid[0] != grid[1]:
            raise ValueError(f"grid must be (X, Y, Z) with X == Y (both views share one image size), got {grid}")
        multiple = 2 ** (levels - 1)
        if any(g % multiple or g < multiple for g in grid):
            raise ValueError(f"every grid side must be a multiple of {multiple}, got {grid}")
        self.grid = grid
        level_grids = [tuple(g // 2**k for g in grid) for k in range(levels)]
        self.expand_ap = nn.ModuleList()
        self.expand_lateral = nn.ModuleList()
        for info, channels, level_grid in zip(feature_info, volume_channels, level_grids):
            self.expand_ap.append(DimensionExpansion("ap", info.channels, channels, level_grid[1]))
            self.expand_lateral.append(DimensionExpansion("lateral", info.channels, channels, level_grid[0]))
        self.skip_norms = nn.ModuleList(nn.LayerNorm(c) for c in volume_channels[1:-1])
        self.cross_attention = CrossViewAttention(volume_channels[-1], attention_heads, level_grids[-1])
        self.coarse = nn.Sequential(*[ConvRefine(volume_channels[-1]) for _ in range(coarse_blocks)])
        self.up_blocks = nn.ModuleList()
        current = volume_channels[-1]
        for level in reversed(range(1, levels - 1)):
            self.up_blocks.append(UpBlock(current, volume_channels[level], volume_channels[level]))
            current = volume_channels[level]
        self.head = FullResolutionHead(current, volume_channels[0], classes)

    def expand(self, features: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Per-level 2D features of (B * 2) views -> the AP and the lateral 3D volumes, (B, C_k, *grid_k)."""
        ap, lateral = [], []
        for level, feature in enumerate(features):
            feature = feature.view(-1, 2, *feature.shape[1:])
            ap.append(self.expand_ap[level](feature[:, 0]))
            lateral.append(self.expand_lateral[level](feature[:, 1]))
        return ap, lateral

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        ap, lateral = self.expand(features)
        y = self.cross_attention(ap[-1], lateral[-1])
        y = channels_first(self.coarse(channels_last(y)))
        skips = [channels_first(norm(channels_last(a + b))) for norm, a, b in zip(self.skip_norms, ap[1:], lateral[1:])]
        for block, skip in zip(self.up_blocks, reversed(skips)):
            y = block(y, skip)
        return self.head(y, ap[0] + lateral[0])


class BiplanarReconstructor(EncoderDecoder):
    """AP + lateral radiographs -> class logits on a fixed 3D grid: one shared 2D backbone encodes
    both views in one pass, the ``cross_view`` decoder lifts them to 3D.

    Args:
        backbone: a 2D backbone (1 input channel) whose levels have reductions 2, 4, 8, ... (the
            hierarchical families of the registry).
        decoder: a decoder of ``XRAY_DECODERS`` built for ``backbone`` (``cross_view``).
    """

    def __init__(self, backbone: Backbone, decoder: nn.Module):
        if backbone.spatial_dims != 2 or backbone.in_channels != 1:
            raise ValueError(
                f"xray2shape needs a 2D backbone with 1 input channel; got {backbone.spatial_dims}D with "
                f"{backbone.in_channels} channels"
            )
        super().__init__(backbone, decoder)
        grid = decoder.grid
        self.image_shape = (2 * grid[2], 2 * grid[0])  # rows, columns

    @property
    def grid(self) -> tuple[int, int, int]:
        return self.decoder.grid

    @property
    def head(self) -> nn.Module:
        return self.decoder.head

    def encode_views(self, image: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(B, 2, H, W) -> per-level 3D volumes of the AP view and of the lateral view, (B, C_k, *grid_k)."""
        return self.decoder.expand(self.encode(image))

    def encode(self, image: torch.Tensor) -> list[torch.Tensor]:
        """(B, 2, H, W) -> the backbone's levels for the B * 2 views (AP, lateral per case)."""
        if image.ndim != 4 or image.shape[1] != 2:
            raise ValueError(f"expected views as (B, 2, H, W) (AP, lateral), got shape {tuple(image.shape)}")
        if tuple(image.shape[2:]) != self.image_shape:
            raise ValueError(f"views must be {self.image_shape} (rows, columns), got {tuple(image.shape[2:])}")
        return self.backbone(image.reshape(image.shape[0] * 2, 1, *image.shape[2:]))  # shared encoder, one pass

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image: (B, 2, 2Z, 2X) normalised AP and lateral views -> (B, classes, X, Y, Z) logits."""
        return self.decoder(self.encode(image))


def migrate_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys of a checkpoint saved before the decoder was its own module: all but the backbone's under ``decoder.``."""
    if any(k.startswith("decoder.") for k in state):
        return state
    return {(k if k.startswith("backbone.") else f"decoder.{k}"): v for k, v in state.items()}

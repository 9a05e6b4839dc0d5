"""ChannelViT: a vision transformer with one token per channel and patch.

Bao et al., "Channel Vision Transformers: An Image Is Worth 1 x 16 x 16 Words", ICLR 2024. Each
input channel is cut into patches on its own by one shared single-channel patch embedding; a
learned channel embedding says which band a token came from, and a position embedding where.
Any subset of channels can be given (with their indices), which is what Hierarchical Channel
Sampling trains for: random subsets, so the model still works when bands are missing.

``group_size`` > 1 makes one token per group of adjacent bands instead of per band (a
hyperspectral cube has 100+ bands, and attention over 100+ tokens per pixel is too slow on a
CPU): a group's missing bands are interpolated along the spectrum from the nearest present
bands (spectra are smooth; zeros would look like a deep absorption), a group with no band
present is left out, so any subset still works. ``group_size=1`` is the paper's model.

How it meets the backbone contract: it classifies a whole ``image_size`` patch into one vector,
its class token, so it returns one level of 1 x 1 at reduction ``image_size`` (true: one output
per ``image_size`` input pixels) and any ``classifier`` decoder reads it. It is built for one
input side (position embeddings), declared by ``Support.fixed_input_size``, and takes a band
subset through ``channel_ids`` (``Support.channel_ids``). The timm ViT baseline keeps the same
contract with missing bands zero-filled.
"""

from __future__ import annotations

import torch
from torch import nn

from .band_fill import interpolate_bands, zero_fill
from .contract import BACKBONES, Backbone, FeatureInfo, Support, register_sizes

SPECTRAL_SUPPORT = Support(spatial_dims=(2,), channel_ids=True, fixed_input_size=True)


class PatchClassifierBackbone(Backbone):
    """A backbone that turns a whole ``image_size`` patch into one feature vector (a 1 x 1 level)."""

    def __init__(self, in_channels: int, spatial_dims: int, image_size: int, dim: int):
        if spatial_dims != 2:
            raise ValueError(f"{type(self).__name__} is 2D only, got spatial_dims={spatial_dims}")
        super().__init__(in_channels, 2, [FeatureInfo(dim, image_size)])
        self.image_size = image_size

    def check_size(self, x: torch.Tensor, channel_ids: torch.Tensor | None) -> None:
        if x.ndim == 4 and tuple(x.shape[2:]) != (self.image_size, self.image_size):
            raise ValueError(
                f"{type(self).__name__} was built for {self.image_size} x {self.image_size} inputs "
                f"(image_size, its position embeddings), got {tuple(x.shape[2:])}"
            )
        self.check_input(x, channel_ids)


class ChannelViT(PatchClassifierBackbone):
    """Per-channel patch tokens + channel embedding + position embedding -> transformer -> class token.

    Args:
        in_channels: how many bands the model knows (channel ids are < in_channels).
        image_size: input side H = W.
        patch_size: patch side; None: ``image_size`` (one token per band group).
        dim, depth, heads, mlp_ratio: transformer width, blocks, heads, MLP expansion.
        drop_path: stochastic depth of the last block.
        group_size: adjacent bands per token (1: one token per band, as in the paper).
        centre_token: add a linear embedding of the centre pixel's values to each token (pixel
            classification of scenes).
    """

    takes_channel_subsets = True

    def __init__(
        self,
        in_channels: int,
        spatial_dims: int = 2,
        image_size: int = 9,
        patch_size: int | None = None,
        dim: int = 64,
        depth: int = 4,
        heads: int = 4,
        mlp_ratio: float = 2.0,
        drop_path: float = 0.0,
        group_size: int = 1,
        centre_token: bool = False,
    ):
        super().__init__(in_channels, spatial_dims, image_size, dim)
        patch_size = patch_size or image_size
        if image_size % patch_size:
            raise ValueError(f"patch_size {patch_size} must divide image_size {image_size}")
        self.bands, self.group_size = in_channels, group_size
        self.groups = -(-in_channels // group_size)
        self.patch_embed = nn.Conv2d(group_size, dim, patch_size, stride=patch_size)
        # the centre pixel's own values, embedded directly: in pixel classification the centre is
        # what is being classified, and a patch convolution alone learns to find it slowly
        self.centre_embed = nn.Linear(group_size, dim) if centre_token else None
        spatial = (image_size // patch_size) ** 2
        self.channel_embed = nn.Parameter(torch.zeros(self.groups, dim))
        self.position_embed = nn.Parameter(torch.zeros(spatial, dim))
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        for parameter in (self.channel_embed, self.position_embed, self.class_token):
            nn.init.trunc_normal_(parameter, std=0.02)
        from timm.models.vision_transformer import Block  # here: timm takes 2 s to import, most tasks never need it

        rates = torch.linspace(0, drop_path, depth).tolist()
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp_ratio, qkv_bias=True, drop_path=r) for r in rates])

    @property
    def channel_group_size(self) -> int:
        return self.group_size

    def forward(self, x: torch.Tensor, channel_ids: torch.Tensor | None = None) -> list[torch.Tensor]:
        """x: (B, C, H, W); channel_ids: (C,) band indices (None: all bands in order) -> [(B, dim, 1, 1)]."""
        self.check_size(x, channel_ids)
        batch, _, height, width = x.shape
        x, groups = self.group(x, channel_ids)  # (B, G', group_size, H, W), (G',)
        count = len(groups)
        tokens = self.patch_embed(x.reshape(batch * count, self.group_size, height, width))  # (B*G', dim, h, w)
        tokens = tokens.flatten(2).transpose(1, 2).reshape(batch, count, -1, tokens.shape[1])
        if self.centre_embed is not None:
            tokens = tokens + self.centre_embed(x[..., height // 2, width // 2])[:, :, None]
        tokens = tokens + self.channel_embed[groups][None, :, None] + self.position_embed[None, None]
        tokens = torch.cat([self.class_token.expand(batch, -1, -1), tokens.flatten(1, 2)], dim=1)
        return [self.blocks(tokens)[:, 0, :, None, None]]

    def group(self, x: torch.Tensor, channels: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, C, H, W) with band indices -> (B, G', group_size, H, W) of the groups that have a band."""
        if self.group_size == 1 and channels is not None:
            return x[:, :, None], channels
        if channels is None and x.shape[1] != self.bands:
            raise ValueError(f"expected {self.bands} bands, got {x.shape[1]} (pass channel_ids= for a subset)")
        full = interpolate_bands(x, channels, self.bands) if channels is not None else x
        padding = self.groups * self.group_size - self.bands
        if padding:
            full = torch.cat([full, full.new_zeros(full.shape[0], padding, *full.shape[2:])], 1)
        full = full.reshape(full.shape[0], self.groups, self.group_size, *full.shape[2:])
        if channels is None:
            return full, torch.arange(self.groups, device=x.device)
        present = torch.unique(channels // self.group_size)
        return full[:, present], present


class PlainViT(PatchClassifierBackbone):
    """timm's ViT with ``in_chans = bands``: the baseline; missing bands are zero-filled."""

    def __init__(
        self,
        in_channels: int,
        spatial_dims: int = 2,
        image_size: int = 9,
        patch_size: int = 3,
        dim: int = 64,
        depth: int = 4,
        heads: int = 4,
        mlp_ratio: float = 2.0,
        drop_path: float = 0.0,
    ):
        super().__init__(in_channels, spatial_dims, image_size, dim)
        from timm.models.vision_transformer import VisionTransformer

        self.vit = VisionTransformer(
            img_size=image_size,
            patch_size=patch_size,
            in_chans=in_channels,
            num_classes=0,  # the class token's features; the decoder classifies
            embed_dim=dim,
            depth=depth,
            num_heads=heads,
            mlp_ratio=mlp_ratio,
            drop_path_rate=drop_path,
        )

    def forward(self, x: torch.Tensor, channel_ids: torch.Tensor | None = None) -> list[torch.Tensor]:
        self.check_size(x, channel_ids)
        return [self.vit(zero_fill(x, channel_ids, self.in_channels))[:, :, None, None]]


CHANNELVIT_SIZES = {"test": {"dim": 16, "depth": 1, "heads": 2}}
VIT_SIZES = {"test": {"dim": 16, "depth": 1, "heads": 2, "patch_size": 8}}
for family, builder, sizes, description in (
    ("channelvit", ChannelViT, CHANNELVIT_SIZES, "ViT with a token per band group and patch (ChannelViT)"),
    ("vit", PlainViT, VIT_SIZES, "timm ViT over all bands, missing bands zero-filled (baseline)"),
):
    # the bare family name takes every size keyword from the config (the shipped spectral models do)
    BACKBONES.register(family, builder, support=SPECTRAL_SUPPORT, family=family, description=description)
    register_sizes(family, sizes, builder, SPECTRAL_SUPPORT, description)

"""A fully convolutional, channel-aware backbone: bands matched by wavelength, any subset of them.

After ChannelViT (a token per band, embeddings that say which band it is, trained on random band
subsets) but paid once per pixel: each band's value becomes a feature vector through an affine
map whose weights are a function of the band's centre wavelength (not of its index), so a band
of another sensor at a nearby wavelength reads alike. The bands a pixel has are averaged (a set
function, so any subset and any order works, and a band missing at one pixel alone is simply
left out: missing values are NaN), then a few depthwise-separable convolutions with growing
dilation add the neighbourhood. About 30k multiply-adds per pixel (``macs_per_pixel``) against
about 1.5M for a ChannelViT on a 9 x 9 patch; one full-resolution level for a per-pixel head.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .contract import BACKBONES, Backbone, FeatureInfo, Support

LOW_NM, HIGH_NM = 400.0, 2500.0  # the reflective range: wavelengths are encoded on its log scale
CHUNK_PIXELS = 32 * 1024  # per-pixel work in bands of about this many pixels (``by_rows``)
SUPPORT = Support(spatial_dims=(2,), channel_ids=True, full_resolution=True)


def by_rows(step, x: torch.Tensor) -> torch.Tensor:
    """``step`` (per pixel: no neighbourhood) over bands of rows of ``x``, when inferring on the CPU.

    Per-pixel work here is memory-bound: on a 314 x 1082 block the band features and the blocks'
    hidden layers do not fit the CPU's cache, and in bands of ~32k pixels the whole network ran
    1.8-1.9x faster (2 threads, measured: 1.55 -> 0.82 s; the band average alone 0.91 -> 0.10 s).
    Training keeps every activation for the backward pass anyway, so it runs whole."""
    pixels = x.shape[0] * x.shape[-1]
    whole = torch.is_grad_enabled() or x.device.type != "cpu" or torch.onnx.is_in_onnx_export()  # a graph any size
    if whole or pixels * x.shape[-2] <= 2 * CHUNK_PIXELS:
        return step(x)
    rows = max(1, CHUNK_PIXELS // pixels)
    return torch.cat([step(x[:, :, top : top + rows]) for top in range(0, x.shape[2], rows)], 2)


class WavelengthEncoding(nn.Module):
    """Centre wavelength (nm) -> the per-band scale and shift of ``tokens`` features (a small MLP
    on sines and cosines of log-wavelength, so nearby wavelengths get nearby embeddings)."""

    def __init__(self, tokens: int, frequencies: int = 8, hidden: int = 64):
        super().__init__()
        self.register_buffer("frequencies", 2.0 ** torch.arange(frequencies) * math.pi, persistent=False)
        self.mlp = nn.Sequential(nn.Linear(2 * frequencies, hidden), nn.GELU(), nn.Linear(hidden, 2 * tokens))

    def forward(self, wavelengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        position = (torch.log(wavelengths / LOW_NM) / math.log(HIGH_NM / LOW_NM))[:, None] * self.frequencies
        scale, shift = self.mlp(torch.cat([position.sin(), position.cos()], 1)).chunk(2, 1)
        return scale, shift  # (C, tokens) each


class ContextBlock(nn.Module):
    """Depthwise 3 x 3 (dilated) for the neighbourhood, then a pointwise MLP; residual."""

    def __init__(self, dim: int, dilation: int, mlp_ratio: float):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.spatial = nn.Conv2d(dim, dim, 3, padding=dilation, dilation=dilation, groups=dim)
        self.norm = nn.BatchNorm2d(dim)
        self.mlp = nn.Sequential(nn.Conv2d(dim, hidden, 1), nn.GELU(), nn.Conv2d(hidden, dim, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + by_rows(lambda rows: self.mlp(self.norm(rows)), self.spatial(x))


class WavelengthConvNet(Backbone):
    """(B, bands, H, W) reflectance, NaN where missing -> [(B, dim, H, W)].

    Args:
        in_channels: the model's bands (``channel_ids`` pick a subset of them).
        wavelengths: their centre wavelengths in nm (default: evenly spread over 400-2500 nm).
        tokens: features per band before the bands are averaged.
        dim: feature width after them; dilations: one context block each (receptive field
            1 + 2 * sum(dilations) pixels).
    """

    takes_channel_subsets = True

    def __init__(
        self,
        in_channels: int,
        spatial_dims: int = 2,
        wavelengths: tuple[float, ...] = (),
        tokens: int = 48,
        dim: int = 48,
        dilations: tuple[int, ...] = (1, 2, 4),
        mlp_ratio: float = 2.0,
    ):
        if spatial_dims != 2:
            raise ValueError(f"wavelength_fcn is 2D only, got spatial_dims={spatial_dims}")
        super().__init__(in_channels, 2, [FeatureInfo(dim, 1)])
        if not wavelengths:
            wavelengths = tuple(torch.linspace(LOW_NM, HIGH_NM, in_channels).tolist())
        if len(wavelengths) != in_channels:
            raise ValueError(f"wavelength_fcn: {len(wavelengths)} wavelengths for {in_channels} bands")
        self.register_buffer("wavelengths", torch.tensor(wavelengths, dtype=torch.float32))
        self.encoding = WavelengthEncoding(tokens)
        self.mix = nn.Sequential(nn.Conv2d(tokens + 1, dim, 1), nn.GELU())
        self.blocks = nn.Sequential(*(ContextBlock(dim, d, mlp_ratio) for d in dilations))
        self.tokens, self.dim, self.dilations, self.mlp_ratio = tokens, dim, tuple(dilations), mlp_ratio

    @property
    def receptive_field(self) -> int:
        return 1 + 2 * sum(self.dilations)

    def macs_per_pixel(self, bands: int) -> int:
        """Multiply-adds per output pixel for ``bands`` input bands (convolutions and band tokens)."""
        tokens, dim, hidden = self.tokens, self.dim, int(self.dim * self.mlp_ratio)
        per_block = 9 * dim + 2 * dim * hidden
        return bands * tokens + (tokens + 1) * dim + len(self.dilations) * per_block

    def band_average(self, x: torch.Tensor, wavelengths: torch.Tensor) -> torch.Tensor:
        """The mean over the bands a pixel has of GELU(value * scale(band) + shift(band)), and the
        share of bands it has: (B, tokens + 1, H, W). A band at a time, so memory is one band's features."""
        scale, shift = self.encoding(wavelengths)
        present = ~torch.isnan(x)
        values = torch.nan_to_num(x)
        total = x.new_zeros(x.shape[0], self.tokens, *x.shape[2:])
        for band in range(x.shape[1]):
            feature = nn.functional.gelu(
                torch.addcmul(shift[band, :, None, None], values[:, band, None], scale[band, :, None, None])
            )
            total = total + feature * present[:, band, None]
        count = present.sum(1, keepdim=True)
        average = total / count.clamp(min=1)
        return torch.cat([average, count / self.in_channels], 1)

    def forward(self, x: torch.Tensor, channel_ids: torch.Tensor | None = None) -> list[torch.Tensor]:
        self.check_input(x, channel_ids)
        wavelengths = self.wavelengths if channel_ids is None else self.wavelengths[channel_ids]
        features = by_rows(lambda rows: self.mix(self.band_average(rows, wavelengths)), x)
        # channels-last: PyTorch's CPU depthwise convolution is 10-20x faster that way (backward most)
        return [self.blocks(features.contiguous(memory_format=torch.channels_last)).contiguous()]


BACKBONES.register(
    "wavelength_fcn",
    WavelengthConvNet,
    support=SUPPORT,
    family="wavelength_fcn",
    task_keys=("wavelengths",),
    description="fully convolutional, bands embedded by wavelength, any band subset (per-pixel, dense)",
)
BACKBONES.register(
    "wavelength_fcn_test",
    lambda **kw: WavelengthConvNet(**{"tokens": 8, "dim": 8, "dilations": (1,), **kw}),
    support=SUPPORT,
    family="wavelength_fcn",
    task_keys=("wavelengths",),
    description="wavelength_fcn, test size",
)

"""Low-resolution inputs from high-resolution images, by the field's convention.

Bicubic downsampling with antialiasing, as MATLAB's ``imresize`` does it (the convention of DIV2K,
Set5 and the SwinIR/HAT/DRCT papers): torch's ``antialias=True`` bicubic path, which uses the Keys
kernel with a = -0.5 (as MATLAB and Pillow do) and half-pixel centres. Optional Gaussian
blur and noise widen the degradations seen in training.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def crop_to_multiple(image: np.ndarray, scale: int) -> np.ndarray:
    """Crop (H, W, C) so that H and W are multiples of ``scale`` (as the benchmarks do)."""
    h, w = image.shape[:2]
    return image[: h - h % scale, : w - w % scale]


def bicubic_downsample(image: torch.Tensor, scale: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H / scale, W / scale), antialiased bicubic, H and W multiples of scale."""
    h, w = image.shape[-2:]
    return F.interpolate(image, size=(h // scale, w // scale), mode="bicubic", antialias=True, align_corners=False)


def bicubic_upsample(image: torch.Tensor, scale: int) -> torch.Tensor:
    return F.interpolate(image, scale_factor=scale, mode="bicubic", align_corners=False)


def degrade(
    image: torch.Tensor, scale: int, rng: np.random.Generator, blur_sigma: float = 0.0, noise_sigma: float = 0.0
) -> torch.Tensor:
    """Optional blur (random sigma up to ``blur_sigma`` px), bicubic downsampling, optional noise."""
    if blur_sigma > 0:
        sigma = float(rng.uniform(0.1, blur_sigma))
        radius = max(1, int(3 * sigma))
        x = torch.arange(-radius, radius + 1, dtype=image.dtype)
        kernel = torch.exp(-(x**2) / (2 * sigma**2))
        kernel = kernel / kernel.sum()
        c = image.shape[1]
        image = F.pad(image, (radius,) * 4, mode="reflect")
        image = F.conv2d(image, kernel.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
        image = F.conv2d(image, kernel.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
    low = bicubic_downsample(image, scale)
    if noise_sigma > 0:
        low = low + torch.from_numpy(rng.normal(0, rng.uniform(0, noise_sigma), low.shape).astype(np.float32))
    return low.clamp(0, 1)

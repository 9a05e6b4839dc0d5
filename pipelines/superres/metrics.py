"""PSNR and SSIM as super-resolution papers report them.

RGB images are scored on the luma channel Y (ITU-R BT.601, as MATLAB's rgb2ycbcr), other band counts
per band and averaged; ``scale`` pixels are cropped from every border. Inputs in [0, 1].
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def luma(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB in [0, 1] -> (H, W) Y in [16/255, 235/255], BT.601."""
    return (16.0 + image @ np.array([65.481, 128.553, 24.966])) / 255.0


def planes(image: np.ndarray) -> list[np.ndarray]:
    image = image[..., None] if image.ndim == 2 else image
    return [luma(image)] if image.shape[-1] == 3 else [image[..., i] for i in range(image.shape[-1])]


def crop(image: np.ndarray, border: int) -> np.ndarray:
    return image[border:-border, border:-border] if border > 0 else image


def psnr(prediction: np.ndarray, truth: np.ndarray, border: int = 0) -> float:
    """Mean PSNR (dB) over the scored planes; identical images give inf."""
    if prediction.shape != truth.shape:
        raise ValueError(f"shapes differ: {prediction.shape} vs {truth.shape}")
    values = [
        peak_signal_noise_ratio(crop(t, border), crop(p, border), data_range=1.0)
        for p, t in zip(planes(prediction.astype(np.float64)), planes(truth.astype(np.float64)))
    ]
    return float(np.mean(values))


def ssim(prediction: np.ndarray, truth: np.ndarray, border: int = 0) -> float:
    """Mean SSIM over the scored planes (Gaussian window, sigma 1.5, as Wang et al. 2004)."""
    values = [
        structural_similarity(
            crop(t, border),
            crop(p, border),
            data_range=1.0,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
        for p, t in zip(planes(prediction.astype(np.float64)), planes(truth.astype(np.float64)))
    ]
    return float(np.mean(values))

"""spectral: hyperspectral scene and multi-channel chip classification (after ChannelViT and LoLA-SpecViT)."""

from ..base import PIPELINES
from .pipeline import SpectralPipeline

PIPELINES.register("spectral", SpectralPipeline)

__all__ = ["SpectralPipeline"]

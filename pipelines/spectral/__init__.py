"""spectral: hyperspectral scene and multi-channel chip classification (after ChannelViT and LoLA-SpecViT)."""


def __getattr__(name: str):
    """``SpectralPipeline`` on first use: importing the package (for its options) loads no model code."""
    if name == "SpectralPipeline":
        from .pipeline import SpectralPipeline

        return SpectralPipeline
    raise AttributeError(name)


__all__ = ["SpectralPipeline"]

"""tumor3d: 3D brain-tumour segmentation from four MRI modalities (after Swin UNETR)."""


def __getattr__(name: str):
    """``Tumor3DPipeline`` on first use: importing the package (for its options) loads no model code."""
    if name == "Tumor3DPipeline":
        from .pipeline import Tumor3DPipeline

        return Tumor3DPipeline
    raise AttributeError(name)


__all__ = ["Tumor3DPipeline"]

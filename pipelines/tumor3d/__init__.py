"""tumor3d: 3D brain-tumour segmentation from four MRI modalities (after Swin UNETR)."""

from ..base import PIPELINES
from .pipeline import Tumor3DPipeline

PIPELINES.register("tumor3d", Tumor3DPipeline)

__all__ = ["Tumor3DPipeline"]

"""superres: image super-resolution x2/x4 (after HAT and DRCT)."""

from ..base import PIPELINES
from .pipeline import SuperresPipeline

PIPELINES.register("superres", SuperresPipeline)

__all__ = ["SuperresPipeline"]

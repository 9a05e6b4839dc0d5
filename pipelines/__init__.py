"""Task pipelines on top of the shared backbones; importing this package registers them."""

from .base import PIPELINES, InputError, IOSpec, Pipeline, TensorSpec, Unit, is_ground_truth

__all__ = ["PIPELINES", "IOSpec", "InputError", "Pipeline", "TensorSpec", "Unit", "is_ground_truth"]

from . import spectral, superres, tumor3d, xray2shape  # noqa: E402,F401  (registers the tasks)

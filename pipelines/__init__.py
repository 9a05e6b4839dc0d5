"""Task pipelines on top of the shared backbones.

Importing this package loads no task and no model code: ``PIPELINES`` names each task by
``"module:Class"`` and imports it on first use; the other names come from ``base`` when asked for.
"""

from .errors import InputError
from .registry import PIPELINES

__all__ = ["PIPELINES", "IOSpec", "InputError", "Pipeline", "TensorSpec", "Unit", "is_ground_truth"]


def __getattr__(name: str):
    if name in ("IOSpec", "Pipeline", "TensorSpec", "Unit", "is_ground_truth"):
        from . import base

        return getattr(base, name)
    raise AttributeError(name)

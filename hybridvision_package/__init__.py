"""hybridvision: hybrid CNN/transformer backbones and task pipelines for medical imaging and remote sensing.

    import hybridvision

    model = hybridvision.load("superres/x2")  # a task (its default model), a shipped name or a checkpoint file
    result = model.predict(image)             # an array or a path; result.array, result.warning ...

This folder is the ``hybridvision`` package itself (pyproject.toml maps it, as it maps ``apps/``,
``backbones/``, ``pipelines/``, ``bench/`` and ``configs/`` to the subpackages beside it), so IDEs and
import linters find a real module. Importing it loads no torch, so the command line's help stays
instant: ``load`` (``hybridvision.pipelines.api.load``) imports the Python API on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"  # pyproject.toml's version (tests/test_packaging.py checks that they agree)
__all__ = ["__version__", "load"]

if TYPE_CHECKING:  # type checkers and IDEs see the real function
    from .pipelines.api import load


def __getattr__(name: str) -> Any:
    """``hybridvision.load`` on first use (the API imports torch); kept as a module attribute after."""
    if name == "load":
        from .pipelines.api import load

        globals()["load"] = load
        return load
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

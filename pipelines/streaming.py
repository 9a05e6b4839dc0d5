"""The streaming template, for inputs larger than memory (``base.py`` has the array template)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Mapping

from .units import Sample

if TYPE_CHECKING:
    from .common.inference import Window


class Streaming:
    """The streaming template, for inputs larger than memory (a mixin beside ``Pipeline``, or a
    task's template object): ``read`` opens the input (``sample.image`` is the open source),
    ``infer`` sets ``pred`` to a window function ``(read_back, window) -> output``, and ``write`` runs
    every window the ``plan`` gives through it: read its context, predict, put its core in the sink.
    Memory is one window whatever the input's size."""

    def plan(self, sample: Sample) -> list["Window"]:
        """The windows that cover the input (``common.inference.tiles`` / ``strips``)."""
        raise NotImplementedError

    def read_window(self, sample: Sample, window: "Window") -> Any:
        """The context of one window, read from the open source."""
        raise NotImplementedError

    def sink(self, sample: Sample, paths: Mapping[str, Path]) -> ContextManager[Callable[["Window", Any], None]]:
        """A context manager giving ``put(window, output)``, which writes a window's core; closing it
        finishes the outputs (the runner renames them into place only after that)."""
        raise NotImplementedError

    def write(self, sample: Sample, paths: Mapping[str, Path]) -> None:
        from .common.inference import stream

        with self.sink(sample, paths) as put:
            windows = self.plan(sample)
            stream(windows, lambda window: self.read_window(sample, window), sample.pred, put, sample.progress)

"""The streaming template, for inputs larger than memory (``base.py`` has the array template)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterator, Mapping

from .units import Sample

if TYPE_CHECKING:
    from torch import nn

    from .common.inference import Window

Put = Callable[["Window", Any], None]  # writes one window's output (its core)


class Streaming:
    """The streaming template, for inputs larger than memory (a mixin beside ``Pipeline``, or a
    task's template object), after MONAI's ``PatchInferer``: ``plan`` splits, ``window_predictor``
    predicts a window, a sink merges. ``read`` opens the input (``sample.image`` is the open source);
    ``infer``, inside ``predict_sample``'s inference block, runs every window of ``plan`` through
    the network into ``sample.sink``: the output files that ``output_sink`` opened before and
    finishes after (the batch runner), or, without one, ``array_sink``'s array, left in
    ``sample.pred`` (the Python API). Memory is one window whatever the input's size."""

    def plan(self, sample: Sample) -> list["Window"]:
        """The windows that cover the input (``common.inference.tiles`` / ``strips``)."""
        raise NotImplementedError

    def read_window(self, sample: Sample, window: "Window") -> Any:
        """The context of one window, read from the open source."""
        raise NotImplementedError

    def window_predictor(self, model: "nn.Module", sample: Sample) -> Callable[[Any, "Window"], Any]:
        """``(read_back, window) -> output`` of a window's core, under ``sample.options``."""
        raise NotImplementedError

    def file_sink(self, sample: Sample, paths: Mapping[str, Path]) -> ContextManager[Put]:
        """A context manager giving ``put``, which writes a window's core into the files; closing it
        finishes them (the runner renames them into place only after that)."""
        raise NotImplementedError

    def array_sink(self, sample: Sample) -> ContextManager[Put]:
        """A context manager giving ``put`` into an in-memory output; closing it sets ``sample.pred``."""
        raise NotImplementedError

    @contextmanager
    def output_sink(self, sample: Sample, paths: Mapping[str, Path]) -> Iterator[Put]:
        with self.file_sink(sample, paths) as put:
            yield put

    def infer(self, model: "nn.Module", sample: Sample) -> Sample:
        from .common.inference import stream

        predict = self.window_predictor(model, sample)
        windows = self.plan(sample)

        def read(window: "Window") -> Any:
            return self.read_window(sample, window)

        if sample.sink is not None:
            stream(windows, read, predict, sample.sink, sample.progress)
            sample.pred = predict  # the outputs are in the files
        else:
            with self.array_sink(sample) as put:
                stream(windows, read, predict, put, sample.progress)
        return sample

    def write(self, sample: Sample, paths: Mapping[str, Path]) -> None:
        """Nothing left to write: the windows went into the files as they were predicted."""
        return None

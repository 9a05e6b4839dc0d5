"""Reading the next unit while this one computes: the batch runner's prefetching reader.

``pipeline.read`` of the unit after the current one runs in one background thread, so a volume's
decompression or a DICOM study's parsing overlaps the network's work on the unit before it. Where the
pipeline allows it (``preprocess_ahead``), the unit's ``preprocess`` runs there too, under the batch's
options (tumor3d's reorientation, resampling and normalisation), so a GPU's next volume is ready
when it is free. One unit ahead only: memory holds at most two units' inputs. A read (or
preprocessing) that fails is raised when its unit's turn comes, inside that unit's own error
handling, so the batch reports it and goes on. Units whose outputs exist (skipped) or that failed
discovery are never read ahead.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

import torch

from ..base import Pipeline, Sample, Unit


class ReadAhead:
    def __init__(self, pipeline: Pipeline, options: Any = None):
        """``options``: the batch's prediction options (None: the defaults), what ``preprocess``
        runs under."""
        self.pipeline = pipeline
        self.options = options
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        self.pending: dict[str, Future] = {}

    def start(self, unit: Unit) -> None:
        """Begin reading ``unit`` in the background (once)."""
        if unit.name not in self.pending:
            self.pending[unit.name] = self.executor.submit(self.load, unit)

    def load(self, unit: Unit) -> Sample:
        """Read ``unit``; preprocess it too where the pipeline allows (a failure closes what was read)."""
        sample = self.pipeline.read(unit)
        if not self.pipeline.preprocess_ahead:
            return sample
        try:
            sample.options = self.pipeline.default_options() if self.options is None else self.options
            with torch.inference_mode():
                sample = self.pipeline.preprocess(sample)
        except BaseException:
            sample.close()
            raise
        sample.preprocessed = True
        return sample

    def reader(self, unit: Unit, following: Unit | None) -> Callable[[Unit], Sample]:
        """What ``compute_unit`` calls to read ``unit``: the background read's result if one was started
        (its error raised here), else a read now; then ``following``'s read starts, to overlap this
        unit's compute."""

        def read(_: Unit) -> Sample:
            future = self.pending.pop(unit.name, None)
            try:
                return self.load(unit) if future is None else future.result()
            finally:
                if following is not None:
                    self.start(following)

        return read

    def close(self) -> None:
        """Wait for a read in flight and release what was read and never used (an interrupted batch)."""
        for future in self.pending.values():
            try:
                future.result().close()
            except Exception:  # its unit never ran: its read error is nobody's to report
                pass
        self.pending.clear()
        self.executor.shutdown(wait=True)

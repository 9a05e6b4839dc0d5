"""The batch runner writes one unit while the next computes (one write in flight), reports units in
their order, makes a failed write that unit's one-line failure, and an interrupt keeps the unit
already computed and leaves no temporary file."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hybridvision.pipelines.common.batch import run_batch
from tests.pipelines.test_read_ahead import folder_of
from tests.toy_pipeline import ToyDataConfig, ToyModelConfig, ToyPipeline


class WritingToy(ToyPipeline):
    """The toy task, noting when each unit's compute and write begin and end; a unit's write waits
    (up to 20 s) for the next unit's compute to begin, so it finishes only if the two overlap."""

    def __init__(self, order, failing_write=(), interrupt=()):
        super().__init__(ToyModelConfig(), ToyDataConfig())
        self.order, self.failing_write, self.interrupt = order, failing_write, interrupt
        self.events, self.computing = [], {name: threading.Event() for name in order}
        self.lock = threading.Lock()

    def note(self, *event):
        with self.lock:
            self.events.append(event)

    def infer(self, model, sample):
        name = sample.meta["name"]
        self.computing[name].set()
        self.note("compute", name)
        if name in self.interrupt:
            raise KeyboardInterrupt
        return super().infer(model, sample)

    def write(self, sample, paths):
        name = sample.name
        following = self.order[self.order.index(name) + 1 :]
        overlapped = self.computing[following[0]].wait(timeout=20) if following else None
        self.note("write", name, overlapped, threading.current_thread().name)
        if name in self.failing_write:
            next(iter(paths.values())).write_bytes(b"half")  # a temporary, half written
            raise OSError(f"{name}: disk full")
        super().write(sample, paths)
        self.note("written", name)


def test_a_unit_is_written_while_the_next_computes_and_results_keep_their_order(tmp_path):
    pipeline = WritingToy(["a", "b", "c", "d"])
    report = run_batch(pipeline, pipeline.build_model().eval(), folder_of(tmp_path, "abcd"), tmp_path / "out")
    assert [(u.name, u.status) for u in report.units] == [("a", "done"), ("b", "done"), ("c", "done"), ("d", "done")]
    writes = [e for e in pipeline.events if e[0] == "write"]
    assert [(name, overlapped) for _, name, overlapped, _ in writes] == [
        ("a", True), ("b", True), ("c", True), ("d", None)
    ]  # fmt: skip
    assert all(thread.startswith("write-behind") for *_, thread in writes)
    order = [e[:2] for e in pipeline.events if e[0] in ("compute", "written")]
    for earlier, later in zip("abcd", "cd"):  # one write in flight: unit N is written before N+2 computes
        assert order.index(("written", earlier)) < order.index(("compute", later))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a_mask.npy", "b_mask.npy", "c_mask.npy", "d_mask.npy", "report.json"
    ]  # fmt: skip


def test_a_failed_write_is_that_units_failure_and_leaves_nothing_half_written(tmp_path):
    pipeline = WritingToy(["a", "b", "c"], failing_write={"b"})
    out = tmp_path / "out"
    report = run_batch(pipeline, pipeline.build_model().eval(), folder_of(tmp_path, "abc"), out)
    assert {u.name: u.status for u in report.units} == {"a": "done", "b": "failed", "c": "done"}
    assert report.failed[0].error == "OSError: b: disk full"
    assert sorted(p.name for p in out.iterdir()) == ["a_mask.npy", "c_mask.npy", "report.json"]
    np.testing.assert_array_equal(np.load(out / "a_mask.npy").shape, (40, 40))


def test_an_interrupt_keeps_the_unit_being_written_and_leaves_no_temporary(tmp_path):
    pipeline = WritingToy(["a", "b", "c"], interrupt={"b"})
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_batch(pipeline, pipeline.build_model().eval(), folder_of(tmp_path, "abc"), out)
    assert sorted(p.name for p in out.iterdir()) == ["a_mask.npy"]  # a was computed: its write finished

"""The batch runner reads the next unit while the current one computes (one unit ahead), never
reads units it will skip, and a read that fails is that unit's one-line failure."""

from __future__ import annotations

import threading

import numpy as np
import torch

from hybridvision.pipelines.common.batch import run_batch
from tests.toy_pipeline import ToyDataConfig, ToyModelConfig, ToyPipeline, make_square_image


class WatchedToy(ToyPipeline):
    """The toy task, noting each read and holding each unit's compute until the next unit's read has
    begun (or 20 s have passed: then the read was not overlapped)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.events, self.read_started = [], {}

    def read(self, unit):
        self.events.append(("read", unit.name, threading.current_thread().name))
        self.read_started.setdefault(unit.name, threading.Event()).set()
        return super().read(unit)

    def infer(self, model, sample):
        names = self.unit_order
        following = names[names.index(sample.meta["name"]) + 1 :]
        if following:
            overlapped = self.read_started.setdefault(following[0], threading.Event()).wait(timeout=20)
            self.events.append(("computed", sample.meta["name"], overlapped))
        return super().infer(model, sample)


def folder_of(tmp_path, names):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in names:
        np.save(folder / f"{name}.npy", make_square_image(rng, 40)[0])
    return folder


def test_the_next_unit_is_read_while_this_one_computes(tmp_path):
    pipeline = WatchedToy(ToyModelConfig(), ToyDataConfig())
    pipeline.unit_order = ["a", "b", "c"]
    model = pipeline.build_model().eval()
    report = run_batch(pipeline, model, folder_of(tmp_path, "abc"), tmp_path / "out")
    assert report.count("done") == 3
    computed = [e for e in pipeline.events if e[0] == "computed"]
    assert computed == [("computed", "a", True), ("computed", "b", True)]
    reads = [e for e in pipeline.events if e[0] == "read"]
    assert [name for _, name, _ in reads] == ["a", "b", "c"]  # each unit read once, in order
    assert all(thread.startswith("read-ahead") for _, name, thread in reads if name != "a")


def test_skipped_units_are_not_read_and_a_failed_read_is_that_units_failure(tmp_path):
    folder = folder_of(tmp_path, "abcd")
    (folder / "b.npy").write_bytes(b"not numpy")
    out = tmp_path / "out"
    out.mkdir()
    np.save(out / "c_mask.npy", np.zeros((40, 40), np.uint8))  # done before: skipped
    pipeline = WatchedToy(ToyModelConfig(), ToyDataConfig())
    pipeline.unit_order = ["a", "b", "d"]  # the units that run
    report = run_batch(pipeline, pipeline.build_model().eval(), folder, out)
    assert {u.name: u.status for u in report.units} == {"a": "done", "b": "failed", "c": "skipped", "d": "done"}
    assert "b.npy" in report.failed[0].error and "\n" not in report.failed[0].error
    assert [name for kind, name, _ in pipeline.events if kind == "read"] == ["a", "b", "d"]
    np.testing.assert_array_equal(np.load(out / "a_mask.npy").shape, (40, 40))


class PreprocessedAhead(ToyPipeline):
    """The toy task with a preprocess the read-ahead may run: it scales the image by the batch's
    threshold option (so a wrong option set would show in the masks) and refuses unit "b"."""

    preprocess_ahead = True

    def __init__(self, *args):
        super().__init__(*args)
        self.preprocessed = []

    def preprocess(self, sample):
        from hybridvision.pipelines.base import InputError

        if sample.meta["name"] == "b":
            raise InputError("b.npy: refused by preprocess")
        self.preprocessed.append((sample.meta["name"], threading.current_thread().name, sample.options.threshold))
        sample.image = sample.image * (1 + sample.options.threshold)
        return sample


def test_preprocess_runs_ahead_under_the_batchs_options_once_and_its_failure_is_that_units(tmp_path):
    folder = folder_of(tmp_path, "abc")
    masks = {}
    for ahead in (True, False):
        pipeline = PreprocessedAhead(ToyModelConfig(), ToyDataConfig())
        PreprocessedAhead.preprocess_ahead = ahead
        out = tmp_path / f"out-{ahead}"
        options = pipeline.make_options(threshold=0.3)
        torch.manual_seed(0)
        report = run_batch(pipeline, pipeline.build_model().eval(), folder, out, options=options)
        assert {u.name: u.status for u in report.units} == {"a": "done", "b": "failed", "c": "done"}
        assert report.failed[0].error == "b.npy: refused by preprocess"
        assert [(name, value) for name, _, value in pipeline.preprocessed] == [("a", 0.3), ("c", 0.3)]  # once each
        threads = {name: thread for name, thread, _ in pipeline.preprocessed}
        assert threads["c"].startswith("read-ahead") == ahead and not threads["a"].startswith("read-ahead")
        masks[ahead] = [np.load(out / f"{name}_mask.npy") for name in "ac"]
    PreprocessedAhead.preprocess_ahead = True
    assert all(np.array_equal(x, y) for x, y in zip(masks[True], masks[False]))  # the same outputs either way

"""The batch runner: resume, atomic writes, bad inputs, refusals, report."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hybridvision.pipelines import PIPELINES, InputError
from hybridvision.pipelines.common.atomic import TEMP_PREFIX
from hybridvision.pipelines.common.batch import run_batch
from tests.toy_pipeline import ToyDataConfig, ToyModelConfig, make_square_image

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def toy():
    pipeline = PIPELINES.entry("toy").factory(ToyModelConfig(), ToyDataConfig())
    return pipeline, pipeline.build_model().eval()


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        np.save(folder / f"{name}.npy", make_square_image(rng, 40)[0])
    np.save(folder / "a_seg.npy", np.zeros((40, 40)))  # ground truth beside an input: ignored
    return folder


def test_predicts_every_unit_and_writes_a_report(toy, inputs, tmp_path):
    out = tmp_path / "out"
    report = run_batch(*toy, inputs, out)
    assert sorted(p.name for p in out.iterdir()) == ["a_mask.npy", "b_mask.npy", "c_mask.npy", "report.json"]
    assert np.load(out / "a_mask.npy").shape == (40, 40)
    saved = json.loads((out / "report.json").read_text())
    assert saved["summary"] == {"done": 3, "partial": 0, "skipped": 0, "failed": 0}
    assert saved["environment"]["torch"] and all(u["seconds"] >= 0 for u in saved["units"])
    assert not report.failed


def test_a_bad_input_is_reported_in_one_line_and_the_batch_goes_on(toy, inputs, tmp_path):
    (inputs / "broken.npy").write_bytes(b"not numpy")
    np.save(inputs / "volume.npy", np.zeros((4, 4, 4)))
    report = run_batch(*toy, inputs, tmp_path / "out")
    failed = {u.name: u.error for u in report.failed}
    assert set(failed) == {"broken", "volume"}
    assert failed["volume"] == "volume.npy: expected a 2D array, got shape (4, 4, 4)"
    assert "\n" not in failed["broken"] and "broken.npy" in failed["broken"]
    assert report.count("done") == 3
    assert not (tmp_path / "out" / "broken_mask.npy").exists()


def test_rerun_skips_finished_units_unless_overwrite(toy, inputs, tmp_path):
    out = tmp_path / "out"
    run_batch(*toy, inputs, out)
    before = (out / "a_mask.npy").stat().st_mtime_ns
    again = run_batch(*toy, inputs, out)
    assert again.count("skipped") == 3 and (out / "a_mask.npy").stat().st_mtime_ns == before
    assert run_batch(*toy, inputs, out, overwrite=True).count("done") == 3


def test_a_crash_while_writing_leaves_no_partial_output(toy, inputs, tmp_path, monkeypatch):
    pipeline, model = toy
    out = tmp_path / "out"

    def crash(sample, paths):
        for path in paths.values():
            path.write_bytes(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "write", crash)
    report = run_batch(pipeline, model, inputs, out)
    assert report.count("failed") == 3 and report.failed[0].error == "RuntimeError: disk full"
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


def test_a_killed_run_resumes_and_cleans_its_partial_file(toy, inputs, tmp_path):
    out = tmp_path / "out"
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        import tests.toy_pipeline as toy
        from pathlib import Path
        from hybridvision.pipelines.common.batch import run_batch
        pipeline = toy.ToyPipeline(toy.ToyModelConfig(), toy.ToyDataConfig())
        def die(sample, paths):
            for path in paths.values():
                path.write_bytes(b"half")
            os._exit(9)  # killed mid-write: no cleanup runs
        pipeline.write = die
        run_batch(pipeline, pipeline.build_model().eval(), Path({str(inputs)!r}), Path({str(out)!r}))
        """
    )
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    leftovers = list(out.iterdir())
    assert len(leftovers) == 1 and leftovers[0].name.startswith(TEMP_PREFIX)
    report = run_batch(*toy, inputs, out)
    assert report.count("done") == 3
    assert sorted(p.name for p in out.iterdir()) == ["a_mask.npy", "b_mask.npy", "c_mask.npy", "report.json"]


def test_dry_run_writes_nothing(toy, inputs, tmp_path):
    run_batch(*toy, inputs, tmp_path / "out", dry_run=True)
    assert not (tmp_path / "out").exists()


def test_output_in_the_input_folder_is_refused(toy, inputs):
    with pytest.raises(InputError, match="inside it"):
        run_batch(*toy, inputs, inputs)
    with pytest.raises(InputError, match="inside it"):
        run_batch(*toy, inputs, inputs / "results")


def test_missing_or_empty_input_is_clear(toy, tmp_path):
    with pytest.raises(InputError, match="input not found"):
        run_batch(*toy, tmp_path / "absent", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no toy inputs found"):
        run_batch(*toy, tmp_path / "empty", tmp_path / "out")


def test_output_inside_a_single_input_files_folder_is_refused(toy, inputs):
    with pytest.raises(InputError, match="inside it"):
        run_batch(*toy, inputs / "a.npy", inputs / "pred")


def test_temporaries_of_a_live_run_are_kept(toy, inputs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    live = out / f"{TEMP_PREFIX}1-other_mask.npy"  # pid 1 is always alive
    live.write_bytes(b"in progress elsewhere")
    run_batch(*toy, inputs, out)
    assert live.exists()


def test_a_unit_that_discovery_marked_is_reported_without_being_read(toy, inputs, tmp_path, monkeypatch):
    from hybridvision.pipelines.base import Unit

    pipeline, model = toy
    marked = Unit("broken", (inputs / "a.npy",), error="case broken: missing the lateral view (broken_lat.*)")
    monkeypatch.setattr(type(pipeline), "discover_units", lambda self, path, options=None: [marked])
    monkeypatch.setattr(type(pipeline), "read", lambda self, unit: pytest.fail("a marked unit must not be read"))
    report = run_batch(pipeline, model, inputs, tmp_path / "out")
    assert [(u.name, u.error) for u in report.failed] == [("broken", marked.error)]


def test_infer_must_set_pred_and_a_streamed_source_is_closed_whatever_happens(toy, inputs, tmp_path, monkeypatch):
    from hybridvision.pipelines.base import Sample

    pipeline, model = toy
    closed = []

    class Source:
        def close(self):
            closed.append(True)

    monkeypatch.setattr(type(pipeline), "read", lambda self, unit: Sample(Source(), {"name": unit.name}))
    monkeypatch.setattr(type(pipeline), "infer", lambda self, model, sample: sample)  # forgets pred
    report = run_batch(pipeline, model, inputs / "a.npy", tmp_path / "out")
    assert "infer set no pred for a" in report.failed[0].error
    assert closed == [True]
    assert not (tmp_path / "out" / "a_mask.npy").exists()

"""The Dask engine: the serial run's outputs bit for bit, one report, a killed worker's unit run
again elsewhere, workers that differ from this machine refused in one line, and ``--device``
resolved by each worker (the client loads no model)."""

import os
import signal
import threading

import numpy as np
import psutil
import pytest
from PIL import Image

from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.checkpoint import load_checkpoint, resolve_checkpoint
from hybridvision.pipelines.common.dask_engine import (
    DaskEngine,
    device_on_this_worker,
    differences,
    hybridvision_version,
    worker_device,
)

from .batch_inputs import temporaries, wait_for, write_photos


@pytest.fixture(scope="module")
def superres():
    path = resolve_checkpoint("superres/x2")
    pipeline, model, _ = load_checkpoint(path, "cpu")
    return path, pipeline, model


def pixels(path):
    return np.asarray(Image.open(path))


def test_dask_outputs_equal_the_serial_runs_and_a_killed_worker_is_retried(superres, tmp_path):
    import torch

    path, pipeline, model = superres
    photos = write_photos(tmp_path / "in", 6, side=192)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # equal threads per process: the workers run 1
    try:
        serial = run_batch(pipeline, model, photos, tmp_path / "serial")
    finally:
        torch.set_num_threads(threads)
    assert serial.count("done") == 6

    killed = []

    def kill_a_worker_mid_unit():  # once the first unit is out, the others are mid-way
        wait_for(lambda: len(list((tmp_path / "dask").glob("photo*.png"))) >= 1)
        workers = [
            p
            for p in psutil.Process().children(recursive=True)
            if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())
        ]
        victim = max(workers, key=lambda p: p.cpu_percent(interval=0.2))
        os.kill(victim.pid, signal.SIGKILL)
        killed.append(victim.pid)

    killer = threading.Thread(target=kill_a_worker_mid_unit, daemon=True)
    killer.start()
    engine = DaskEngine(path, {}, workers=2)
    report = run_batch(pipeline, None, photos, tmp_path / "dask", engine=engine)
    killer.join(timeout=60)
    assert killed, "no worker was killed"
    assert report.count("done") == 6 and not report.failed
    assert sum(u.retries for u in report.units) >= 1
    assert all(u.worker and u.worker.startswith("tcp://127.0.0.1:") for u in report.units)
    assert report.environment["device"] == "per Dask worker (--device auto)"  # the client has no model
    assert {u.device for u in report.units} == {"cpu"} == {u.device for u in serial.units}  # auto, no GPU here
    assert [u.name for u in report.units] == [u.name for u in serial.units]  # the report keeps input order
    for unit in serial.units:
        assert np.array_equal(pixels(tmp_path / "serial" / unit.name), pixels(tmp_path / "dask" / unit.name))
    assert sorted(p.name for p in (tmp_path / "dask").iterdir()) == sorted(
        p.name for p in (tmp_path / "serial").iterdir()
    )
    assert temporaries(tmp_path / "dask") == []


def test_workers_that_see_other_folders_versions_or_checkpoints_are_named():
    same = {"input": True, "output": True, "version": hybridvision_version(), "checkpoint": "a" * 64}
    same["cuda_devices"] = 0
    assert differences({"tcp://w1:1": same}, "/in", "/out", "a" * 64) == []
    other = {"input": False, "output": False, "version": "0.0.1", "checkpoint": "b" * 64, "cuda_devices": 0}
    assert differences({"tcp://w2:2": other}, "/in", "/out", "a" * 64) == [
        "tcp://w2:2 cannot see the input folder /in",
        "tcp://w2:2 cannot write the output folder /out",
        f"tcp://w2:2 runs hybridvision 0.0.1, this machine {hybridvision_version()}",
        "tcp://w2:2 has checkpoint SHA-256 bbbbbbbbbbbb, this machine aaaaaaaaaaaa",
    ]


def test_device_cuda_is_refused_naming_each_worker_without_a_gpu():
    facts = {"input": True, "output": True, "version": hybridvision_version(), "checkpoint": "a" * 64}
    workers = {"tcp://gpu:1": facts | {"cuda_devices": 2}, "tcp://cpu:2": facts | {"cuda_devices": 0}}
    assert differences(workers, "/in", "/out", "a" * 64, "cuda") == ["tcp://cpu:2 has no CUDA device for --device cuda"]
    assert differences(workers, "/in", "/out", "a" * 64, "auto") == []  # auto: that one runs on its CPU
    assert differences(workers, "/in", "/out", "a" * 64, "cpu") == []


def test_local_workers_spread_over_the_gpus_by_their_index():
    assert [worker_device("cuda", i, 2) for i in range(3)] == ["cuda:0", "cuda:1", "cuda:0"]
    assert [worker_device("auto", i, 2) for i in range(3)] == ["cuda:0", "cuda:1", "cuda:0"]
    assert [worker_device("auto", i, 0) for i in range(2)] == ["cpu", "cpu"]
    assert worker_device("cpu", 1, 2) == "cpu"
    with pytest.raises(InputError, match="^--device cuda was asked but this Dask worker sees no CUDA device$"):
        worker_device("cuda", 0, 0)
    with pytest.raises(ValueError, match="^--device must be auto, cpu or cuda, got 'tpu'$"):
        worker_device("tpu", 0, 1)


def test_each_worker_resolves_the_device_it_was_asked_for(monkeypatch):
    import distributed
    import torch

    class Worker:  # a LocalCluster names its workers 0..N-1; a worker started by hand, anything
        name = "1"

    monkeypatch.setattr(distributed, "get_worker", lambda: Worker())
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert device_on_this_worker("cuda", spread=True) == "cuda:1"  # worker 1 of ours: the second GPU
    assert device_on_this_worker("auto", spread=True) == "cuda:1"
    Worker.name = "by-hand"
    assert device_on_this_worker("cuda", spread=False) == "cuda:0"  # --scheduler: its own visible device
    assert device_on_this_worker("cpu", spread=False) == "cpu"
    Worker.name = "0"
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert device_on_this_worker("auto", spread=True) == "cpu"


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has a GPU to run on")
def test_device_cuda_on_workers_without_one_is_one_line_naming_the_worker(tmp_path, monkeypatch):
    """``predict --workers 1 --device cuda`` here (no GPU): refused by the workers' check, not by the
    client, which loads no model and hashes the checkpoint once."""
    from typer.testing import CliRunner

    from hybridvision.apps.cli import build_app
    from hybridvision.pipelines.common import checkpoint, dask_engine

    hashed = []
    identity = checkpoint.checkpoint_identity

    def no_model(*args, **kwargs):
        raise AssertionError("the client loaded the model")

    monkeypatch.setattr(checkpoint, "load_checkpoint", no_model)
    monkeypatch.setattr(checkpoint, "checkpoint_identity", lambda path: hashed.append(path) or identity(path))
    monkeypatch.setattr(dask_engine, "file_sha256", lambda path: hashed.append(path) or "0" * 64)
    photos = write_photos(tmp_path / "in", 1)
    command = ["predict", "superres", "-i", photos, "-o", tmp_path / "out", "--workers", 1, "--device", "cuda"]
    result = CliRunner().invoke(build_app(), [str(part) for part in command])
    assert result.exit_code == 2, result.output
    error = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error) == 1 and "Traceback" not in result.output
    assert error[0].startswith("error: the Dask workers differ from this machine: tcp://127.0.0.1:")
    assert error[0].endswith(" has no CUDA device for --device cuda")
    assert len(hashed) == 1  # checkpoint_identity's SHA-256, reused by the workers' check
    assert list((tmp_path / "out").iterdir()) == []  # refused before any unit


def test_a_scheduler_that_does_not_answer_is_one_line(superres, tmp_path):
    path, pipeline, _ = superres
    engine = DaskEngine(path, {}, scheduler="tcp://127.0.0.1:9", timeout="2s")
    with pytest.raises(InputError, match=r"^--scheduler tcp://127.0.0.1:9: no Dask scheduler answers"):
        run_batch(pipeline, None, write_photos(tmp_path / "in", 1), tmp_path / "out", engine=engine)


class WorkerDiedAfterWriting:
    """An engine whose worker wrote every unit, died before reporting, and whose rerun found the
    outputs: every result comes back 'skipped'."""

    def describe(self):
        return "a fake cluster"

    def describe_device(self):
        return "cpu"

    def run(self, units, input_path, output_dir, overwrite, record):
        from hybridvision.pipelines.common.batch import UnitResult

        for unit in units:
            (output_dir / unit.name).write_bytes(b"written by the dead worker")
            record(UnitResult(unit.name, "skipped", retries=1))


def test_a_unit_written_by_a_worker_that_died_before_reporting_is_done_not_skipped(superres, tmp_path):
    _, pipeline, _ = superres
    photos = write_photos(tmp_path / "in", 2, side=64)
    out = tmp_path / "out"
    out.mkdir()
    (out / "photo000.png").write_bytes(b"from an earlier run")  # a resumed run's unit stays skipped
    report = run_batch(pipeline, None, photos, out, engine=WorkerDiedAfterWriting())
    status = {u.name: u.status for u in report.units}
    assert status == {"photo000.png": "skipped", "photo001.png": "done"}
    assert report.units[1].notes == ["finished by a worker that died before reporting it"]

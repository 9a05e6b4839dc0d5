"""The Dask engine: the serial run's outputs bit for bit, one report, a killed worker's unit run
again elsewhere, and workers that differ from this machine refused in one line."""

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
from hybridvision.pipelines.common.dask_engine import DaskEngine, differences, hybridvision_version

from .batch_inputs import temporaries, wait_for, write_photos


@pytest.fixture(scope="module")
def superres():
    path = resolve_checkpoint("superres/x2")
    pipeline, model, _ = load_checkpoint(path, "cpu")
    pipeline.configure_prediction()
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
    engine = DaskEngine(path, pipeline.prediction_options, workers=2)
    report = run_batch(pipeline, None, photos, tmp_path / "dask", engine=engine)
    killer.join(timeout=60)
    assert killed, "no worker was killed"
    assert report.count("done") == 6 and not report.failed
    assert sum(u.retries for u in report.units) >= 1
    assert all(u.worker and u.worker.startswith("tcp://127.0.0.1:") for u in report.units)
    assert [u.name for u in report.units] == [u.name for u in serial.units]  # the report keeps input order
    for unit in serial.units:
        assert np.array_equal(pixels(tmp_path / "serial" / unit.name), pixels(tmp_path / "dask" / unit.name))
    assert sorted(p.name for p in (tmp_path / "dask").iterdir()) == sorted(
        p.name for p in (tmp_path / "serial").iterdir()
    )
    assert temporaries(tmp_path / "dask") == []


def test_workers_that_see_other_folders_versions_or_checkpoints_are_named():
    same = {"input": True, "output": True, "version": hybridvision_version(), "checkpoint": "a" * 64}
    assert differences({"tcp://w1:1": same}, "/in", "/out", "a" * 64) == []
    other = {"input": False, "output": False, "version": "0.0.1", "checkpoint": "b" * 64}
    assert differences({"tcp://w2:2": other}, "/in", "/out", "a" * 64) == [
        "tcp://w2:2 cannot see the input folder /in",
        "tcp://w2:2 cannot write the output folder /out",
        f"tcp://w2:2 runs hybridvision 0.0.1, this machine {hybridvision_version()}",
        "tcp://w2:2 has checkpoint SHA-256 bbbbbbbbbbbb, this machine aaaaaaaaaaaa",
    ]


def test_a_scheduler_that_does_not_answer_is_one_line(superres, tmp_path):
    path, pipeline, _ = superres
    engine = DaskEngine(path, {}, scheduler="tcp://127.0.0.1:9", timeout="2s")
    with pytest.raises(InputError, match=r"^--scheduler tcp://127.0.0.1:9: no Dask scheduler answers"):
        run_batch(pipeline, None, write_photos(tmp_path / "in", 1), tmp_path / "out", engine=engine)

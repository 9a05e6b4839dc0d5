"""``predict --scheduler`` on a cluster the user already runs: a ``dask scheduler`` and a ``dask
worker`` started by hand from the shell (not a LocalCluster of ours), then the installed command.
Outputs equal the serial run's pixel for pixel, and the report names the worker that ran each unit."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from distributed import Client
from PIL import Image

from tests.ports import free_port

from .batch_inputs import kill_group, start, write_photos


def test_predict_runs_on_a_cluster_started_by_hand(tmp_path, user_env):
    inputs = write_photos(tmp_path / "in", 3, side=96)
    dask = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = start(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], user_env, tmp_path
    )
    worker = start(
        [dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--name", "by-hand"],
        user_env,
        tmp_path,
    )
    try:
        common = ["hybridvision", "predict", "superres", "-i", str(inputs), "--threads", "1"]
        run = lambda *more: subprocess.run([*common, *more], env=user_env, cwd=tmp_path, capture_output=True, text=True)  # noqa: E731
        with Client(address, timeout="60s") as client:  # the cluster is up once its worker has joined
            client.wait_for_workers(1, timeout=120)
        on_cluster = run("--scheduler", address, "-o", str(tmp_path / "cluster"))
        assert on_cluster.returncode == 0, on_cluster.stdout[-2000:] + on_cluster.stderr[-2000:]
        serial = run("-o", str(tmp_path / "serial"))
        assert serial.returncode == 0, serial.stderr[-2000:]
    finally:
        for process in (worker, scheduler):
            kill_group(process)
    report = json.loads((tmp_path / "cluster" / "report.json").read_text())
    units = report["units"]
    assert [u["status"] for u in units] == ["done"] * 3
    assert all(u["worker"].startswith("tcp://127.0.0.1:") for u in units)
    for name in sorted(p.name for p in inputs.iterdir()):
        made_there = np.asarray(Image.open(tmp_path / "cluster" / name))
        assert np.array_equal(made_there, np.asarray(Image.open(tmp_path / "serial" / name))), name

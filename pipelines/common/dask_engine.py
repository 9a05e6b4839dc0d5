"""The Dask engine of the batch runner: one task per unit on a Dask distributed cluster.

``--workers N`` starts a LocalCluster of N single-threaded worker processes on this machine;
``--scheduler tcp://HOST:PORT`` uses a cluster the user already runs. Before any unit, every worker
is asked what it sees: the input and output folders, its hybridvision version, the checkpoint's
SHA-256; a difference stops the run in one line that names the worker and what differs.

Each worker loads the model once (a per-process cache keyed by the checkpoint file and the
prediction options), never receiving it with a task. A task runs ``run_unit``, the serial runner's
own atomic unit, so outputs appear complete or not at all. When a worker dies mid-unit the
scheduler runs the unit again elsewhere; the report counts that as a retry.
"""

from __future__ import annotations

import json
import logging
import os
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..base import InputError, Unit

_LOADED: dict[str, tuple[Any, Any]] = {}  # per worker process: checkpoint file and options -> (pipeline, model)


def file_sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hybridvision_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hybridvision")
    except PackageNotFoundError:
        return "not installed"


def worker_facts(input_dir: str, output_dir: str, checkpoint: str) -> dict[str, Any]:
    """What one worker sees (run on every worker before the batch)."""
    return {
        "input": os.path.isdir(input_dir),
        "output": os.path.isdir(output_dir) and os.access(output_dir, os.W_OK),
        "version": hybridvision_version(),
        "checkpoint": file_sha256(Path(checkpoint)) if os.path.isfile(checkpoint) else "missing",
    }


def differences(facts: dict[str, dict[str, Any]], input_dir: str, output_dir: str, sha: str) -> list[str]:
    """What each worker sees that this machine does not (empty: they agree)."""
    problems = []
    for address, seen in sorted(facts.items()):
        if not seen["input"]:
            problems.append(f"{address} cannot see the input folder {input_dir}")
        if not seen["output"]:
            problems.append(f"{address} cannot write the output folder {output_dir}")
        if seen["version"] != hybridvision_version():
            problems.append(f"{address} runs hybridvision {seen['version']}, this machine {hybridvision_version()}")
        if seen["checkpoint"] != sha:
            problems.append(f"{address} has checkpoint SHA-256 {seen['checkpoint'][:12]}, this machine {sha[:12]}")
    return problems


def predict_task(
    checkpoint: str, options: dict[str, Any], threads: int, unit: Unit, output_dir: str, overwrite: bool
) -> Any:
    """One unit on a worker, with the model this process loaded once."""
    import torch
    from distributed import get_worker

    from .batch import run_unit
    from .checkpoint import load_checkpoint

    torch.set_num_threads(threads)
    stat = os.stat(checkpoint)  # the file's identity without hashing it for every unit
    key = f"{checkpoint}:{stat.st_size}:{stat.st_mtime_ns}:{json.dumps(options, sort_keys=True, default=str)}"
    if key not in _LOADED:
        pipeline, model, _ = load_checkpoint(checkpoint, "cpu")
        pipeline.configure_prediction(**options)
        _LOADED[key] = (pipeline, model)
    pipeline, model = _LOADED[key]
    result = run_unit(pipeline, model, unit, Path(output_dir), overwrite)
    result.worker = get_worker().address
    result.worker_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux
    return result


def lost_worker_count(key: str, dask_scheduler=None) -> int:
    """How many workers died while running task ``key`` (run on the scheduler)."""
    task = dask_scheduler.tasks.get(key)
    return int(task.suspicious) if task is not None else 0


@dataclass
class DaskEngine:
    """Where the units run: ``workers`` local processes, or the cluster at ``scheduler``."""

    checkpoint: Path
    options: dict[str, Any]
    workers: int = 0
    scheduler: str | None = None
    threads: int = 1  # torch threads per worker process
    timeout: str = "15s"  # how long to wait for a --scheduler to answer

    def describe(self) -> str:
        return f"Dask cluster at {self.scheduler}" if self.scheduler else f"Dask, {self.workers} local worker(s)"

    def client(self):
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                return Client(self.scheduler, timeout=self.timeout)
            except (OSError, TimeoutError) as error:
                raise InputError(f"--scheduler {self.scheduler}: no Dask scheduler answers ({error})") from error
        if self.workers < 1:
            raise InputError(f"--workers must be at least 1, got {self.workers}")
        cluster = LocalCluster(
            n_workers=self.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            host="127.0.0.1",
        )
        return Client(cluster)

    def run(
        self, units: list[Unit], input_path: Path, output_dir: Path, overwrite: bool, record: Callable[[Any], None]
    ) -> None:
        """Run every unit; ``record`` hears each ``UnitResult`` as it completes (any order)."""
        from distributed import as_completed

        from .batch import UnitResult

        client = self.client()
        try:
            checkpoint = str(Path(self.checkpoint).resolve())
            source = Path(input_path).resolve()
            source, output = str(source if source.is_dir() else source.parent), str(Path(output_dir).resolve())
            facts = client.run(worker_facts, source, output, checkpoint)
            problems = differences(facts, source, output, file_sha256(Path(checkpoint)))
            if problems:
                raise InputError("the Dask workers differ from this machine: " + "; ".join(problems))
            futures = {
                client.submit(
                    predict_task, checkpoint, self.options, self.threads, unit, output, overwrite, pure=False
                ): unit
                for unit in units
            }
            for future in as_completed(futures):
                unit = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # the unit killed every worker it was given
                    result = UnitResult(unit.name, "failed", error=f"lost on the cluster: {type(error).__name__}")
                result.retries = client.run_on_scheduler(lost_worker_count, future.key)
                record(result)
        finally:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()

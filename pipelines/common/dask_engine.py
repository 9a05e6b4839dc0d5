"""The Dask engine of the batch runner: one task per unit on a Dask distributed cluster.

``--workers N`` starts a LocalCluster of N single-threaded worker processes on this machine;
``--scheduler tcp://HOST:PORT`` uses a cluster the user already runs. Before any unit, every worker
is asked what it sees: the input and output folders, its hybridvision version, the checkpoint's
SHA-256, its CUDA devices; a difference stops the run in one line that names the worker and what differs.

``--device`` is resolved on each worker, never on the client (a client without a GPU can drive a GPU
cluster): the workers of a LocalCluster spread over this machine's K GPUs, worker i on cuda:(i mod K);
a worker of a ``--scheduler`` cluster uses its own visible device (pin one with CUDA_VISIBLE_DEVICES).

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
from .devices import worker_device

_LOADED: dict[
    str, tuple[Any, Any, Any]
] = {}  # per worker process: checkpoint, device, options -> (pipeline, model, options)


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
    import torch

    return {
        "input": os.path.isdir(input_dir),
        "output": os.path.isdir(output_dir) and os.access(output_dir, os.W_OK),
        "version": hybridvision_version(),
        "checkpoint": file_sha256(Path(checkpoint)) if os.path.isfile(checkpoint) else "missing",
        "cuda_devices": torch.cuda.device_count(),
    }


def differences(
    facts: dict[str, dict[str, Any]], input_dir: str, output_dir: str, sha: str, device: str = "auto"
) -> list[str]:
    """What keeps each worker from running the batch as this machine would (empty: nothing).

    Args:
        facts: ``worker_facts`` of each worker, by its address.
        input_dir, output_dir: the folders as this machine names them.
        sha: the checkpoint's SHA-256 on this machine.
        device: the ``--device`` asked for; ``cuda`` needs a CUDA device on every worker.
    """
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
        if device == "cuda" and not seen["cuda_devices"]:
            problems.append(f"{address} has no CUDA device for --device cuda")
    return problems


def device_on_this_worker(requested: str, spread: bool) -> str:
    """``worker_device`` for the worker running this; ``spread``: a LocalCluster of ours, whose workers
    (named 0..N-1) share this machine's GPUs, where a ``--scheduler`` worker uses its own visible one."""
    import torch
    from distributed import get_worker

    index = int(get_worker().name) if spread else 0
    return worker_device(requested, index, torch.cuda.device_count())


def predict_task(
    checkpoint: str,
    options: dict[str, Any],
    threads: int,
    device: str,
    spread: bool,
    unit: Unit,
    output_dir: str,
    overwrite: bool,
) -> Any:
    """One unit on a worker, with the model this process loaded once on the device it resolved
    from ``device`` (``--device``; ``spread``: see ``device_on_this_worker``)."""
    import torch
    from distributed import get_worker

    from .batch import UnitResult, describe_error, run_unit
    from .checkpoint import load_checkpoint

    torch.set_num_threads(threads)
    stat = os.stat(checkpoint)  # the file's identity without hashing it for every unit
    chosen = json.dumps(options, sort_keys=True, default=str)
    key = f"{checkpoint}:{stat.st_size}:{stat.st_mtime_ns}:{device}:{chosen}"
    if key not in _LOADED:
        try:  # the client loaded no model: a checkpoint or device this worker cannot use fails the unit here
            resolved = device_on_this_worker(device, spread)
            pipeline, model, _ = load_checkpoint(checkpoint, resolved)
            chosen_options = pipeline.make_options(**options)
        except Exception as error:
            return UnitResult(unit.name, "failed", error=describe_error(error), worker=get_worker().address)
        _LOADED[key] = (pipeline, model, chosen_options)
    pipeline, model, chosen_options = _LOADED[key]
    result = run_unit(pipeline, model, unit, Path(output_dir), overwrite, options=chosen_options)
    result.device = str(next(model.parameters()).device)
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
    device: str = "auto"  # --device, resolved by each worker
    sha256: str | None = None  # the checkpoint's, when the caller has hashed it already

    def describe(self) -> str:
        return f"Dask cluster at {self.scheduler}" if self.scheduler else f"Dask, {self.workers} local worker(s)"

    def describe_device(self) -> str:
        """The report's device: each worker resolves ``--device`` (each unit records its own)."""
        return f"per Dask worker (--device {self.device})"

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
            sha = self.sha256 or file_sha256(Path(checkpoint))
            problems = differences(facts, source, output, sha, self.device)
            if problems:
                raise InputError("the Dask workers differ from this machine: " + "; ".join(problems))
            spread = self.scheduler is None  # our LocalCluster's workers share this machine's GPUs
            task = (predict_task, checkpoint, self.options, self.threads, self.device, spread)
            futures = {client.submit(*task, unit, output, overwrite, pure=False): unit for unit in units}
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

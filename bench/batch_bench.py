"""``hybridvision bench batch``: units per minute with the serial runner and with 1 and 2 Dask
workers on this machine, in the same run, and the peak memory of each worker process.

A task's ``batch_bench`` verb (``bench/<task>/batch_bench.py``) gives the work (a checkpoint and
a folder of units); every engine runs the same units at one torch thread per process, from a fresh
output folder. ``units_per_minute`` counts what a user waits for, a Dask cluster's start and model
loads included; ``steady_units_per_minute`` counts only the time the busiest process spent inside
units (the rate of a long batch).
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch

ENGINES = ("serial", "dask-1", "dask-2")


def compare_engines(checkpoint_name: str, inputs: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every unit under ``inputs`` with each engine of ``ENGINES``; their rates and memory."""
    from rich.console import Console

    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.common.checkpoint import load_checkpoint, resolve_checkpoint
    from hybridvision.pipelines.common.dask_engine import DaskEngine

    checkpoint = resolve_checkpoint(checkpoint_name)
    pipeline, model, _ = load_checkpoint(checkpoint, "cpu")
    quiet = Console(stderr=True, quiet=True)
    rows = {}
    units = len(pipeline.discover_units(inputs))
    with tempfile.TemporaryDirectory(prefix="hybridvision-bench-batch-") as scratch:
        for name in ENGINES:
            log(f"{name}: {units} units ...")
            engine = None if name == "serial" else DaskEngine(checkpoint, {}, int(name[-1]))
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            start = time.perf_counter()
            try:
                report = run_batch(pipeline, model, inputs, Path(scratch) / name, console=quiet, engine=engine)
            finally:
                torch.set_num_threads(threads)
            seconds = time.perf_counter() - start
            if report.count("done") != units:
                raise RuntimeError(f"bench batch: {name} finished {report.count('done')} of {units} units")
            memory = {u.worker: u.worker_memory_mb for u in report.units if u.worker}
            busy: dict[str, float] = {}  # seconds each process spent inside units
            for unit in report.units:
                busy[unit.worker or "serial"] = busy.get(unit.worker or "serial", 0.0) + unit.seconds
            own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows[name] = {
                "seconds": round(seconds, 2),
                "units_per_minute": round(units / seconds * 60, 2),
                "steady_units_per_minute": round(units / max(busy.values()) * 60, 2),  # without start-up
                "peak_memory_mb_per_process": sorted(round(m, 1) for m in memory.values()) or [round(own, 1)],
            }
    reference = rows["serial"]["units_per_minute"]
    for row in rows.values():
        row["speed_vs_serial"] = round(row["units_per_minute"] / reference, 2)
    return {"units": units, "checkpoint": checkpoint_name, "threads_per_process": 1, "engines": rows}

"""Run a benchmark measurement in a fresh process, so its peak memory is its own.

Peak memory is read from ``VmHWM`` (the high-water mark of this process's address space, which
starts anew at exec), not from ``getrusage().ru_maxrss``: a spawned child inherits the parent's
ru_maxrss across fork and exec, so a parent holding 3 GB made every child report at least 3 GB.
"""

from __future__ import annotations

import multiprocessing
import resource
from typing import Any


def current_rss_mb() -> float:
    """Resident memory of this process now, MB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """Peak resident memory of this process's own address space, MB (ru_maxrss where /proc is missing)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def in_child(target, *args) -> None:
    """The child's entry: the allocator as ``hybridvision`` runs it (``allocator``), then ``target``."""
    from hybridvision.pipelines.common.allocator import keep_freed_memory

    keep_freed_memory()
    target(*args)


def isolated(target, *args) -> dict[str, Any]:
    """Run ``target(*args, queue)`` in a fresh process; a crash there is an error here, not a hang.

    The child puts one result on the queue; a dict with an ``error`` key is raised here.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=in_child, args=(target, *args, queue))
    process.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except Exception as error:  # queue.Empty: still running, or dead
            if not process.is_alive():
                message = f"benchmark process {target.__name__}{args[:1]} failed (exit {process.exitcode})"
                raise RuntimeError(message) from error
    process.join()
    if isinstance(result, dict) and "error" in result:
        raise RuntimeError(f"benchmark process {target.__name__}{args[:1]}: {result['error']}")
    return result

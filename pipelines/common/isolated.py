"""Run a benchmark measurement in a fresh process, so its peak memory is its own."""

from __future__ import annotations

import multiprocessing
from typing import Any


def isolated(target, *args) -> dict[str, Any]:
    """Run ``target(*args, queue)`` in a fresh process; a crash there is an error here, not a hang.

    The child puts one result on the queue; a dict with an ``error`` key is raised here.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
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

"""Benchmark children in fresh processes: results come back, errors and crashes are raised here."""

import os

import pytest

from hybridvision.bench.isolated import isolated


def child_result(value, queue):
    queue.put({"value": value * 2})


def child_error(queue):
    queue.put({"error": "out of memory"})


def child_crash(queue):
    os._exit(3)


def test_results_errors_and_crashes_of_a_child_process():
    assert isolated(child_result, 21) == {"value": 42}
    with pytest.raises(RuntimeError, match="out of memory"):
        isolated(child_error)
    with pytest.raises(RuntimeError, match="exit 3"):
        isolated(child_crash)


def child_peak(queue):
    import numpy as np

    from hybridvision.bench.isolated import peak_rss_mb

    block = np.ones(200 * 2**20 // 8)  # 200 MB of its own
    queue.put({"peak": peak_rss_mb(), "size": block.nbytes / 2**20})


def test_a_child_peak_is_its_own_not_the_parents():
    import numpy as np

    held = np.ones(4000 * 2**20 // 8)  # the parent holds 4 GB while the child runs (ru_maxrss would say >= 4 GB)
    result = isolated(child_peak)
    assert held[-1] == 1 and 200 <= result["peak"] < 3000  # the child's imports and block: about 1.2 GB

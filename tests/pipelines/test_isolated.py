"""Benchmark children in fresh processes: results come back, errors and crashes are raised here."""

import os

import pytest

from hybridvision.pipelines.common.isolated import isolated


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

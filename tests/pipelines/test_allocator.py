"""Freed tensors' memory stays in the process (glibc's heap top padded), so the next tensor of the
same size reuses resident pages instead of faulting them in again; counted in page faults, in fresh
processes, as the installed command and the bench's children start."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc, on Linux")

FAULTS = """
import json, resource, sys
import torch
from hybridvision.pipelines.common import allocator
tuned = allocator.keep_freed_memory() if sys.argv[1] == "tune" else False
torch.set_num_threads(1)
layers = torch.nn.Sequential(torch.nn.Conv3d(4, 16, 3, padding=1), torch.nn.GELU(), torch.nn.Conv3d(16, 4, 1))
x = torch.randn(1, 4, 64, 64, 64)
with torch.inference_mode():
    for _ in range(6):
        layers(x)  # the first calls touch the pages the later ones reuse
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(4):
        layers(x)  # activations of 16 MB, freed after each call
print(json.dumps({"tuned": tuned, "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}))
"""


def run(script: str, *args: str, env: dict | None = None) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_TOP_PAD_"} | (env or {})
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_reused_tensor_memory_is_not_faulted_in_again():
    plain, tuned = run(FAULTS, "plain"), run(FAULTS, "tune")
    assert tuned["tuned"] and not plain["tuned"]
    per_call = 2 * (16 << 20) // 4096  # the pages of one call's two 16 MB activations
    assert plain["faults"] > 2 * per_call  # glibc's defaults: the activations fault in anew each call
    assert tuned["faults"] < per_call // 4  # padded: the same pages are reused


def test_a_users_own_malloc_setting_is_left_alone():
    assert run(FAULTS, "tune", env={"MALLOC_TOP_PAD_": "0"})["tuned"] is False


def test_every_way_of_predicting_runs_with_the_padding():
    script = """
import json
from hybridvision.pipelines.common import allocator
from hybridvision.pipelines.common.checkpoint import load_checkpoint
before = allocator._tuned
load_checkpoint("superres/x2")
print(json.dumps({"before": before, "after": allocator._tuned}))
"""
    assert run(script) == {"before": None, "after": True}


def test_the_benchs_children_run_with_the_padding():
    from hybridvision.bench.isolated import isolated

    assert isolated(report_tuned) is True


def report_tuned(queue) -> None:
    from hybridvision.pipelines.common import allocator

    queue.put(allocator._tuned)

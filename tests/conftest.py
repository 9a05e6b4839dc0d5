"""Shared test setup: 2 threads, seeded, and the toy pipeline registered for harness tests."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
torch.set_num_threads(2)

from tests.toy_pipeline import ToyPipeline  # noqa: E402,F401  (registers the "toy" pipeline)


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)
    np.random.seed(0)

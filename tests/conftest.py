"""Shared test setup: 2 threads, seeded, and the toy pipeline registered for harness tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
torch.set_num_threads(2)

from tests.homes import HOMES, fresh_home  # noqa: E402
from tests.toy_pipeline import ToyPipeline  # noqa: E402,F401  (registers the "toy" pipeline)

# files with a test of a minute or more in CI (its --durations list): run first, so that with two
# workers each taking a file at a time, the run does not end on one worker alone
SLOW_FILES = (
    "test_adapter_bench.py",
    "test_readme_examples.py",
    "test_demo_browser.py",
    "test_kill.py",
    "test_bundle.py",
    "test_dicom_predict.py",
    "test_dask_scheduler.py",
    "test_dask_engine.py",
    "test_foundation_routes.py",
    "test_benchmark.py",
    "test_cards.py",
    "test_predict_products.py",
    "test_predict_landcover.py",
    "test_train_on_a_folder.py",
    "test_adapter_folder_bench.py",
    "test_slim_install.py",
    "test_runner_bundles.py",
    "test_quantize.py",
    "test_onnx_runtime.py",
)


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name not in SLOW_FILES)  # stable: other order kept


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture(scope="session", autouse=True)
def homes_removed_after_the_session():
    """A run's own folder of homes (a checkout under the temp dir puts it in the user's cache) goes
    when the session ends; the checkout's git-ignored .test-homes stays, emptied home by home."""
    yield
    if HOMES.name != ".test-homes":
        shutil.rmtree(HOMES, ignore_errors=True)
        with contextlib.suppress(OSError):  # the runs' common folder too, once no other run uses it
            HOMES.parent.rmdir()


@pytest.fixture()
def user_home():
    """A fresh HOME outside the system temp dir: Gradio serves the temp dir by itself, a user's home it does not."""
    home = fresh_home()
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture()
def user_env(user_home):
    """The environment of a user's shell: that HOME, the installed command first on PATH, and no
    HYBRIDVISION_* or GRADIO_* variable (a user sets none of them)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("HYBRIDVISION_", "GRADIO_", "COLUMNS"))}
    path = f"{Path(sys.executable).parent}{os.pathsep}{kept.get('PATH', '')}"
    return {**kept, "HOME": str(user_home), "PATH": path}

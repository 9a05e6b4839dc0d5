"""Prediction imports nothing used only in training (DESIGN.md): with the training libraries
(albumentations, Lightning) and every task's training modules (its ``training.py``, training data,
generator, DRR renderer, spectral's augmented datasets) made unimportable, the prediction path
imports and every task's default model predicts a small input.

One subprocess for all four tasks (a fresh interpreter is the only place nothing is imported yet);
the inputs are written here first, since the samples writers use the generators."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from hybridvision.pipelines.registry import TASKS

BLOCKED_PACKAGES = ("albumentations", "lightning", "pytorch_lightning")
BLOCKED_MODULES = [f"hybridvision.pipelines.{t}.{m}" for t in TASKS for m in ("generator", "training_data", "training")]
BLOCKED_MODULES += ["hybridvision.pipelines.xray2shape.drr", "hybridvision.pipelines.spectral.data"]
PREDICTION_MODULES = ["hybridvision.pipelines.api", "hybridvision.pipelines.common.batch", "hybridvision.apps.commands"]
PREDICTION_MODULES += [f"hybridvision.pipelines.{t}.{m}" for t in TASKS for m in ("pipeline", "api", "io", "model")]

PROBE = """
import importlib, sys
from pathlib import Path

import numpy as np

packages, modules, wanted, folder = {packages!r}, {modules!r}, {wanted!r}, Path({folder!r})


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in packages or name in modules:
            raise ModuleNotFoundError(f"prediction imported {{name}}", name=name)  # as if not installed
        return None


sys.meta_path.insert(0, Refuse())
for name in wanted:
    importlib.import_module(name)
from hybridvision.pipelines.api import load

for task in {tasks!r}:
    prediction = load(task).predict(np.load(folder / f"{{task}}.npy"))
    print(task, prediction.array.shape, flush=True)
assert not [m for m in sys.modules if m.partition(".")[0] in packages or m in modules]
"""


def test_prediction_runs_without_training_libraries_or_modules(tmp_path):
    rng = np.random.default_rng(0)
    grid = np.linspace(-1, 1, 32)
    ball = (np.sqrt(sum(np.square(np.meshgrid(grid, grid, grid, indexing="ij")))) < 0.8).astype(np.float32)
    inputs = {
        "tumor3d": np.stack([ball * (100 + 20 * m) + rng.normal(0, 5, ball.shape) * ball for m in range(4)]),
        "xray2shape": np.stack([np.outer(np.hanning(96), np.hanning(80)) for _ in range(2)]).astype(np.float32),
        "spectral": rng.uniform(100, 4000, (128, 12, 12)).astype(np.float32),
        "superres": rng.integers(0, 256, (24, 32), dtype=np.uint8),
    }
    for task, array in inputs.items():
        np.save(tmp_path / f"{task}.npy", array)
    blocked = {"packages": BLOCKED_PACKAGES, "modules": BLOCKED_MODULES}
    probe = PROBE.format(**blocked, wanted=PREDICTION_MODULES, folder=str(tmp_path), tasks=list(inputs))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [line.split()[0] for line in done.stdout.splitlines()] == list(inputs)


def test_predict_superres_reaches_its_unit_without_monai_timm_or_the_demo(tmp_path):
    """Start-up: what ``predict superres`` imports before its first unit is torch and its own code;
    MONAI (6 s to import), timm (2 s, ChannelViT's blocks) and Gradio stay out, and for a PNG so does
    rasterio (GDAL: a 36 MB wheel a machine upscaling photos need not carry)."""
    from PIL import Image

    (tmp_path / "in").mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 32), dtype=np.uint8)).save(tmp_path / "in" / "a.png")
    probe = (
        "import sys\n"
        "from hybridvision.apps.cli import build_app\n"
        "try:\n"
        f"    build_app()(prog_name='hybridvision', args=['predict', 'superres', '-i', {str(tmp_path / 'in')!r},"
        f" '-o', {str(tmp_path / 'out')!r}])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print(sorted(m for m in ('monai', 'timm', 'gradio', 'lightning', 'rasterio') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout[-500:]
    assert (tmp_path / "out" / "a.png").is_file()

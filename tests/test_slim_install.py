"""A batch-inference install (no extras) pulls no Gradio, Lightning, albumentations, PEFT or
spandrel: every task predicts, evaluates and exports without them, and the verbs that need one
(train, demo) say in one line which extra to install. ``.[test]`` still installs everything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.homes import fresh_home

try:
    import tomllib
except ImportError:  # Python 3.10: pip's own TOML reader
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
EXTRAS_ONLY = {"gradio", "lightning", "albumentations", "peft", "spandrel"}


def slim(*args: str, home: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    command = [sys.executable, str(ROOT / "tests" / "slim_cli.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)


def names(requirements: list[str]) -> set[str]:
    return {r.split(">")[0].split("=")[0].split("[")[0].split("<")[0].strip().lower() for r in requirements}


def test_the_base_install_leaves_the_extras_packages_out_and_test_brings_them_all():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert not names(project["dependencies"]) & EXTRAS_ONLY
    assert names(extras["demo"]) == {"gradio"} and {"lightning", "albumentations", "peft"} <= names(extras["train"])
    assert "spandrel" in names(extras["bench"]) and names(extras["deploy"]) == {"onnxruntime"}
    every_extra = set().union(*(names(extras[e]) for e in ("demo", "train", "bench", "deploy", "foundation")))
    assert every_extra <= names(extras["test"])


@pytest.mark.parametrize("task", ["tumor3d", "xray2shape", "spectral", "superres"])
def test_every_task_predicts_and_evaluates_without_the_extras(task, tmp_path):
    home = fresh_home()
    size = {"tumor3d": ["--spacing", "3.0"], "spectral": ["--size", "40"]}.get(task, [])
    done = slim("samples", task, "--n", "1", *size, "--output", str(tmp_path / "s"), home=home)
    assert done.returncode == 0, done.stderr
    done = slim("predict", task, "--input", str(tmp_path / "s" / "inputs"), "--output", str(tmp_path / "p"), home=home)
    assert done.returncode == 0 and "1 done, 0 skipped, 0 failed" in done.stderr, done.stderr
    if task != "superres":  # its sample's truth is x4 of the default x2 model
        done = slim(
            "evaluate", task, "--pred", str(tmp_path / "p"), "--truth", str(tmp_path / "s" / "truth"), home=home
        )
        assert done.returncode == 0, done.stderr


def test_train_and_demo_name_the_extra_they_need(tmp_path):
    home = fresh_home()
    done = slim("train", "-c", str(ROOT / "configs" / "tumor3d" / "tiny.yaml"), "-o", str(tmp_path / "run"), home=home)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: this needs lightning, in the train extra: pip install 'hybridvision[train]'"
    done = slim("demo", "--port", "7999", home=home)
    assert done.returncode == 2 and done.stderr.strip().endswith("pip install 'hybridvision[demo]'"), done.stderr

"""The README's quick examples, run verbatim as a user types them.

Each ```bash block after a ``<!-- quick -->`` line runs line by line in bash, in a fresh folder,
with the installed ``hybridvision`` first on PATH, a fresh HOME outside the system temp dir and no
HYBRIDVISION_* or GRADIO_* variable. Every line must succeed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOMES = ROOT / ".test-homes"  # git-ignored


def quick_blocks() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- quick -->\n```bash\n(.+?)\n```", text, re.S)
    return [[line for line in block.splitlines() if line.strip()] for block in blocks]


def test_the_readme_marks_a_quick_example_for_every_task():
    commands = [line for block in quick_blocks() for line in block]
    for task in ("tumor3d", "superres", "spectral", "xray2shape"):
        assert any(f"hybridvision predict {task}" in c for c in commands), task
        assert any(f"hybridvision evaluate {task}" in c for c in commands), task


@pytest.fixture()
def user_shell(tmp_path):
    home = HOMES / uuid.uuid4().hex[:12]
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HYBRIDVISION_", "GRADIO_"))}
    env.update(HOME=str(home), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    yield tmp_path, env
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("block", quick_blocks(), ids=lambda block: block[0].split()[2])
def test_quick_example_runs_verbatim(block, user_shell):
    folder, env = user_shell
    for line in block:
        done = subprocess.run(["bash", "-c", line], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr, f"{line}\n{done.stderr[-2000:]}"
    assert (folder / "report.json").exists() or any(folder.rglob("report.json")), "predict wrote its report"

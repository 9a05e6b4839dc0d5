"""The README's quick examples, run verbatim as a user types them.

Each ```bash block after a ``<!-- quick -->`` line runs line by line in bash, in a fresh folder,
with the installed ``hybridvision`` first on PATH, a fresh HOME outside the system temp dir and no
HYBRIDVISION_* or GRADIO_* variable. Every line must succeed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def quick_blocks() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- quick -->\n```bash\n(.+?)\n```", text, re.S)
    return [[line for line in block.splitlines() if line.strip()] for block in blocks]


def test_the_readme_marks_a_quick_example_for_every_task():
    commands = [line for block in quick_blocks() for line in block]
    for task in ("tumor3d", "superres", "spectral", "xray2shape"):
        assert any(f"hybridvision predict {task}" in c for c in commands), task
        assert any(f"hybridvision evaluate {task}" in c for c in commands), task


@pytest.mark.slow
@pytest.mark.parametrize("block", quick_blocks(), ids=lambda block: block[0].split()[2])
def test_quick_example_runs_verbatim(block, user_env, tmp_path):
    folder, env = tmp_path, user_env
    for line in block:
        done = subprocess.run(["bash", "-c", line], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr, f"{line}\n{done.stderr[-2000:]}"
    assert (folder / "report.json").exists() or any(folder.rglob("report.json")), "predict wrote its report"

"""``hybridvision bench adapters --pipeline TASK --quick`` as a user runs it, for the tasks' tests."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hybridvision.apps.cli import build_app


def quick_adapter_bench(task: str, folder: Path) -> tuple[list[dict], str]:
    """(the rows of the JSON, the command's output); fails the test on a non-zero exit."""
    output = Path(folder) / "bench.json"
    args = ["bench", "adapters", "--pipeline", task, "--quick", "--output", str(output)]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    return json.loads(output.read_text())["rows"], result.output

"""bench adapters --quick: the CI part of the adapters bench runs end to end and resumes."""

import json

from typer.testing import CliRunner

from hybridvision.apps.cli import build_app


def test_the_quick_adapter_bench_measures_a_row_and_a_rerun_skips_it(tmp_path):
    output = tmp_path / "bench.json"
    args = ["bench", "adapters", "--pipeline", "tumor3d", "--quick", "--output", str(output)]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(output.read_text())["rows"]
    assert row["arm"] == "ct_fm + per_channel" and 0 <= row["held-out"]["dice_WT"] <= 1
    assert 0 < row["adapter_fraction"] < 0.01 and row["peak_mb"] > 0 and "shifted" in row
    again = CliRunner().invoke(build_app(), args)
    assert again.exit_code == 0 and "done before, skipped" in again.output
    assert len(json.loads(output.read_text())["rows"]) == 1

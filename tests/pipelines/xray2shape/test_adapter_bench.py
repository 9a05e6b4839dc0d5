"""bench adapters --pipeline xray2shape --quick: the frozen EfficientNet-Lite0 + side arm trains, predicts
held-out phantoms and is scored; its checkpoint holds only what trained."""

import json

from typer.testing import CliRunner

from hybridvision.apps.cli import build_app


def test_the_quick_xray2shape_adapter_bench_measures_a_row(tmp_path):
    output = tmp_path / "bench.json"
    args = ["bench", "adapters", "--pipeline", "xray2shape", "--quick", "--output", str(output)]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(output.read_text())["rows"]
    assert row["arm"] == "lite0 + side" and 0 <= row["held-out"]["dice_mean"] <= 1
    assert 0 < row["adapter_fraction"] < 0.05 and row["trainable"] < 1e6

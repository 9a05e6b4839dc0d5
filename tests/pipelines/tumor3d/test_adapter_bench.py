"""bench adapters --quick: the CI part of the adapters bench runs end to end and resumes."""

from tests.quick_bench import quick_adapter_bench


def test_the_quick_adapter_bench_measures_a_row_and_a_rerun_skips_it(tmp_path):
    (row,), _ = quick_adapter_bench("tumor3d", tmp_path)
    assert row["arm"] == "lite0 + spatial3d" and 0 <= row["held-out"]["dice_WT"] <= 1
    # the quick arm is the cheapest frozen route: Lite0 + spatial3d, whose adapter is about 4% of the model
    assert 0 < row["adapter_fraction"] < 0.1 and row["peak_mb"] > 0 and "shifted" in row
    rows, output = quick_adapter_bench("tumor3d", tmp_path)
    assert "done before, skipped" in output and len(rows) == 1

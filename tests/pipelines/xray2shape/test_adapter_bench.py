"""bench adapters --pipeline xray2shape --quick: the frozen EfficientNet-Lite0 + side arm trains, predicts
held-out phantoms and is scored; its checkpoint holds only what trained."""

from tests.quick_bench import quick_adapter_bench


def test_the_quick_xray2shape_adapter_bench_measures_a_row(tmp_path):
    (row,), _ = quick_adapter_bench("xray2shape", tmp_path)
    assert row["arm"] == "lite0 + side" and 0 <= row["held-out"]["dice_mean"] <= 1
    assert 0 < row["adapter_fraction"] < 0.05 and row["trainable"] < 1e6

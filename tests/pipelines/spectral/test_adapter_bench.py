"""bench adapters --pipeline spectral --quick: the frozen Lite0 + inputs arm on few chips, scored with
all bands and with the half-band sets (every other band, first half), from one held-out folder."""

from tests.quick_bench import quick_adapter_bench


def test_the_quick_spectral_adapter_bench_scores_each_band_set(tmp_path):
    (row,), _ = quick_adapter_bench("spectral", tmp_path)
    assert row["arm"] == "lite0 + inputs" and 0 < row["adapter_fraction"] < 0.001
    for label in ("all bands", "every other band", "first half"):
        assert 0 <= row[label]["overall_accuracy"] <= 100
    assert [p.name for p in (tmp_path / "bench").glob("samples-*")] == ["samples-all bands"]  # one folder shared

"""bench adapters --pipeline spectral --quick: the frozen Lite0 + inputs arms of both designs (chips,
and the dense scene design on sparse labelled pixels), each scored with all bands and with the
half-band sets (every other band, first half), from one held-out folder per design."""

from tests.quick_bench import quick_adapter_bench


def test_the_quick_spectral_adapter_bench_scores_each_band_set_of_both_designs(tmp_path):
    (chips, scene), output = quick_adapter_bench("spectral", tmp_path)
    assert chips["arm"] == "lite0 + inputs" and 0 < chips["adapter_fraction"] < 0.001
    assert scene["arm"] == "lite0 + inputs, dense (scene)" and 0 < scene["adapter_fraction"] < 0.001
    for row in (chips, scene):
        for label in ("all bands", "every other band", "first half"):
            assert 0 <= row[label]["overall_accuracy"] <= 100
    for design in ("chips", "scenes"):  # the three band sets share one held-out folder
        assert [p.name for p in (tmp_path / "bench" / design).glob("samples-*")] == ["samples-all bands"]
    assert "spectral chips" in output and "spectral scenes" in output

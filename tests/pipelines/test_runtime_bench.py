"""``bench runtimes`` keeps what it measured: a re-run measures only the checkpoints its JSON lacks,
each entry with the peak of its own run; the table gives each runtime's share of that peak."""

from __future__ import annotations

import json

from hybridvision.bench import runtime_bench


def fake_entry(checkpoint, threads, repeats, samples, log):
    runtimes = {
        "torch": {"seconds": 0.2, "gflops": 10.0},
        "onnxruntime fp32": {"seconds": 0.1, "gflops": 20.0, "int8_share": 0.0},
        "onnxruntime int8": {"seconds": 0.1, "gflops": 20.0, "int8_share": 0.9},
    }
    return {"checkpoint": checkpoint, "window": [4, 8, 8], "gflop": 2.0, "runtimes": runtimes}


def test_a_rerun_measures_only_new_checkpoints(tmp_path, monkeypatch):
    measured, peaks = [], iter([40.0, 80.0, 60.0])
    monkeypatch.setattr(runtime_bench, "bench_checkpoint", lambda c, *a: measured.append(c) or fake_entry(c, *a))
    monkeypatch.setattr(runtime_bench, "matmul_peak", lambda threads: next(peaks))
    per_runtime = {"seconds_to_first_unit": 2.5, "unit_seconds": 9.5}
    ways = ("torch", "onnxruntime fp32", "onnxruntime int8")
    monkeypatch.setattr(runtime_bench, "predict_seconds", lambda *args: {way: per_runtime for way in ways})
    output = tmp_path / "runtimes.json"
    runtime_bench.run(output, lambda line: None, ["a/one", "b/two"], threads=2)
    report = runtime_bench.run(output, lambda line: None, ["b/two", "c/three"], threads=2)
    assert measured == ["a/one", "b/two", "c/three"]
    entries = json.loads(output.read_text())["checkpoints"]
    assert [(e["checkpoint"], e["matmul_peak_gflops"]) for e in entries] == [
        ("a/one", 40.0),
        ("b/two", 40.0),
        ("c/three", 80.0),
    ]
    rows = report.tables[0].rows
    unit = "9.5 s (start-up 2.5 s)"
    assert (
        f"c/three: a 4x8x8 window, 2 GFLOP; peak 80 GFLOP/s; predict on a generated sample, the unit: "
        f"torch {unit}, ORT fp32 {unit}, ORT INT8 {unit}"
    ) in report.notes
    assert rows[0] == ["a/one", "torch", "0.2000", "10.0", "25", "1.00", "-"]
    assert rows[-1] == ["c/three", "ORT INT8", "0.1000", "20.0", "25", "2.00", "90%"]

    runtime_bench.run(output, lambda line: None, ["a/one"], threads=1)  # other threads: measured anew
    assert measured[-1] == "a/one" and len(json.loads(output.read_text())["checkpoints"]) == 1


def test_an_older_entry_keeps_its_start_up_note():
    """JSON written before predict was timed per runtime carried the torch start-up alone."""
    entry = {"seconds_to_first_unit": 2.4}
    assert runtime_bench.predict_note(entry) == "; predict reaches its first unit in 2.4 s"
    assert runtime_bench.predict_note({}) == ""

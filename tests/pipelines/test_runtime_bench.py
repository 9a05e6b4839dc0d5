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
    monkeypatch.setattr(runtime_bench, "seconds_to_first_unit", lambda checkpoint, threads: 2.5)
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
    assert "c/three: a 4x8x8 window, 2 GFLOP; peak 80 GFLOP/s; predict reaches its first unit in 2.5 s" in report.notes
    assert rows[0] == ["a/one", "torch", "0.2000", "10.0", "25", "1.00", "-"]
    assert rows[-1] == ["c/three", "ORT INT8", "0.1000", "20.0", "25", "2.00", "90%"]

    runtime_bench.run(output, lambda line: None, ["a/one"], threads=1)  # other threads: measured anew
    assert measured[-1] == "a/one" and len(json.loads(output.read_text())["checkpoints"]) == 1

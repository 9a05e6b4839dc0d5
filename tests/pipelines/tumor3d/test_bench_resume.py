"""``bench tumor3d`` resumes per seed: a re-run trains only the seeds its JSON lacks at the same budget."""

from __future__ import annotations

import json

from hybridvision.bench.tumor3d import benchmark
from hybridvision.bench.tumor3d.benchmark import OURS, REFERENCE, run_benchmark


def fake_isolated(calls):
    def run(target, *args):
        calls.append((target.__name__, args[:2]))
        if target is benchmark.peak_in_child:
            return 50.0
        if target is benchmark.time_volume:
            seconds = 10.0 if args[0] == OURS else 40.0
            return {"model": args[0], "parameters_m": 1.0, "seconds": seconds, "peak_mb": 9, "gflops": 100 / seconds}
        name, seed = args[:2]
        dice = 0.5 + 0.1 * seed + (0.05 if name == OURS else 0)
        return {"model": name, "seed": seed, "dice": dice, "train_seconds": 1}

    return run


def test_a_rerun_trains_only_the_missing_seeds(tmp_path, monkeypatch):
    output, calls = tmp_path / "bench.json", []
    monkeypatch.setattr(benchmark, "isolated", fake_isolated(calls))
    run_benchmark(output, lambda line: None, 128, 0.25, 2, 2, 30)
    assert [c for c in calls if c[0] == "train_and_score"] == [
        ("train_and_score", (REFERENCE, 0)), ("train_and_score", (OURS, 0)),
        ("train_and_score", (REFERENCE, 1)), ("train_and_score", (OURS, 1)),
    ]  # fmt: skip

    calls.clear()  # a third seed: only it is trained, the speed part is kept
    report = run_benchmark(output, lambda line: None, 128, 0.25, 2, 3, 30)
    assert calls == [("train_and_score", (REFERENCE, 2)), ("train_and_score", (OURS, 2))]
    result = json.loads(output.read_text())
    assert result["accuracy"]["dice"][OURS] == [0.55, 0.65, 0.75]
    assert result["dice_difference"] == 0.05 and result["speedup"] == 4.0
    assert "0.650 ± 0.100 (3 seeds" in report.tables[0].rows[1][-1]
    assert report.tables[0].rows[1][4] == "10.0 (20%)" and "peak 50 GFLOP/s" in report.tables[0].title

    calls.clear()  # another budget starts the accuracy part over
    run_benchmark(output, lambda line: None, 128, 0.25, 2, 1, 40)
    assert calls == [("train_and_score", (REFERENCE, 0)), ("train_and_score", (OURS, 0))]


def test_a_budget_split_by_first_seed_runs_its_own_seeds_and_a_later_run_adds_the_rest(tmp_path, monkeypatch):
    output, calls = tmp_path / "bench.json", []
    monkeypatch.setattr(benchmark, "isolated", fake_isolated(calls))
    run_benchmark(output, lambda line: None, 128, 0.25, 2, 2, 30, first_seed=1)
    trained = [c[1] for c in calls if c[0] == "train_and_score"]
    assert trained == [(REFERENCE, 1), (OURS, 1), (REFERENCE, 2), (OURS, 2)]

    calls.clear()  # seeds 0-2 at the same budget: only seed 0 is missing
    run_benchmark(output, lambda line: None, 128, 0.25, 2, 3, 30)
    assert calls == [("train_and_score", (REFERENCE, 0)), ("train_and_score", (OURS, 0))]
    assert sorted(json.loads(output.read_text())["accuracy"]["dice"][OURS]) == [0.55, 0.65, 0.75]


def test_a_json_of_another_bench_model_keeps_the_references_training_but_measures_speed_again(tmp_path, monkeypatch):
    output, calls = tmp_path / "bench.json", []
    monkeypatch.setattr(benchmark, "isolated", fake_isolated(calls))
    run_benchmark(output, lambda line: None, 128, 0.25, 2, 2, 30)
    earlier = json.loads(output.read_text())  # as if written when our bench model was another one
    for row in (*earlier["speed"], *earlier["accuracy"]["runs"]):
        row["model"] = row["model"].replace(OURS, "hybridvision:an-earlier-model")
    output.write_text(json.dumps(earlier))

    calls.clear()
    run_benchmark(output, lambda line: None, 128, 0.25, 2, 2, 30)
    assert [c for c in calls if c[0] == "time_volume"] == [
        ("time_volume", (REFERENCE, 128)),
        ("time_volume", (OURS, 128)),
    ]
    assert [c[1] for c in calls if c[0] == "train_and_score"] == [(OURS, 0), (OURS, 1)]

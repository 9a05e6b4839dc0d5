"""``bench adapters --data``: arms trained on a few units drawn per seed from the user's folder, the
same units for every arm, scored on held-out units of the folder; rows resume; too few units refused."""

from __future__ import annotations

import json

import pytest

from hybridvision.bench.adapter_bench import Arm
from hybridvision.bench.adapter_folder_bench import draw_split, folder_report, run_folder_bench
from hybridvision.bench.tumor3d.adapter_bench import QUICK
from hybridvision.pipelines import InputError
from hybridvision.pipelines.registry import PIPELINES

ARMS = (
    Arm("scratch", "tiny.yaml"),
    Arm("dvpt, cached", "tiny.yaml", ("model.adapter={name: dvpt, rank: 4, prompts: 2}", "train.feature_cache=true")),
)


def test_arms_train_on_the_same_drawn_units_and_score_on_held_out_ones(tmp_path):
    data = tmp_path / "data"
    PIPELINES.entry("tumor3d").factory.write_samples(data, count=5, seed=40, spacing=3.0)
    output, work, lines = tmp_path / "bench.json", tmp_path / "work", []
    overrides = [*QUICK, "train.max_steps=2"]

    def bench(labels=2):
        return run_folder_bench("tumor3d", ARMS, (3e-3,), overrides, data, labels, 1, output, work, lines.append)

    result = bench()
    assert len(result["test"]) == 2 and len(result["rows"]) == 2  # 30% of 5 held out; 2 arms x 1 seed
    test_units = sorted(p.name for p in (work / "test" / "inputs").iterdir())
    assert test_units == result["test"]
    for seed in (0,):
        split = json.loads((work / f"split-2-{seed}.json").read_text())
        assert len(split["train"]) == 2 and len(split["val"]) == 1
        assert not set(split["train"] + split["val"]) & set(result["test"])
        for arm in ("scratch", "dvpt,_cached"):
            run = work / f"{arm}-0.003-2-{seed}" / "run" / "data_split.json"
            recorded = json.loads(run.read_text())
            assert (recorded["train"], recorded["val"]) == (split["train"], split["val"])  # the same units
    assert all(0 <= row["test"]["dice_WT"] <= 1 for row in result["rows"])
    table = folder_report(result, "dice_WT").tables[0]
    assert [row[:4] for row in table.rows] == [["scratch", "0.003", "2", "1"], ["dvpt, cached", "0.003", "2", "1"]]

    assert len(bench()["rows"]) == 2  # resumed: nothing ran again
    assert sum("done before, skipped" in line for line in lines) == 2
    with pytest.raises(InputError, match=r"--labels 3: .* has 3 units besides the 2 held out"):
        bench(labels=3)


def test_each_seed_draws_its_own_units_from_the_pool():
    pool = [f"case{i}" for i in range(8)]
    splits = [draw_split(pool, 5, seed) for seed in range(3)]
    assert all(len(s["train"]) == 5 and len(s["val"]) == 2 and not set(s["train"]) & set(s["val"]) for s in splits)
    assert len({tuple(s["train"]) for s in splits}) == 3
    assert draw_split(pool, 5, 1) == splits[1]  # seeded: every arm of a seed gets the same
    assert draw_split(pool[:6], 5, 0)["val"] and len(draw_split(pool[:6], 5, 0)["val"]) == 1

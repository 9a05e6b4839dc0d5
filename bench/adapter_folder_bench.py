"""``hybridvision bench adapters --pipeline TASK --data DIR --labels N --seeds S``: the adapter arms
on your own labelled folder, in a few-label regime.

The folder's units (paired with their truth as ``train --data`` pairs them) are split once: a
held-out test share (30%, at least one unit; the same for every arm and seed, kept in the results)
and a pool. For each seed, N units of the pool are drawn to train on and one or two more to
validate on (``train.split_file``); every arm trains on exactly those, with the same steps and seed,
then predicts the test units with the usual batch runner and is scored with the task's evaluation.
Rows (arm, learning rate, labels, seed) are appended as they finish and a re-run skips them; the
table gives each arm's mean and spread over the seeds.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
from pathlib import Path
from typing import Any, Callable, Sequence

from hybridvision.pipelines.common.atomic import write_json_atomic
from hybridvision.pipelines.errors import InputError
from hybridvision.pipelines.report import Report, Table

from .adapter_bench import Arm, run_arm
from .isolated import isolated

TEST_SHARE = 0.3
SPLIT_SEED = 20261205  # the test units: one draw for the whole bench


def labelled_units(task: str, config: str, data_dir: Path) -> list[Any]:
    """The folder's units paired with their truth, as ``train --data`` finds them (bad ones said)."""
    from hybridvision.pipelines.common.checkpoint import shipped_root
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.common.training_task import training_task
    from hybridvision.pipelines.common.user_data import inputs_folder, pair_with_truth
    from hybridvision.pipelines.registry import PIPELINES

    run_config = load_config(shipped_root() / task / config)
    pipeline = PIPELINES.entry(task).factory(run_config.model, run_config.data)
    training = training_task(pipeline)
    training.data_dir = data_dir
    units = training.user_units(inputs_folder(data_dir))
    return pair_with_truth(data_dir, units, training.truth_names, training.truth_pattern)


def link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return
    try:
        os.link(source, target)  # no copy of a large volume where the file system allows
    except OSError:
        shutil.copy2(source, target)


def test_folder(data_dir: Path, paired: list[Any], names: list[str], folder: Path) -> Path:
    """``folder/inputs`` (the test units' files, as laid out in DIR) and ``folder/truth`` (their truth)."""
    from hybridvision.pipelines.common.user_data import inputs_folder

    inputs = inputs_folder(data_dir)
    for item in paired:
        if item.name not in names:
            continue
        if item.truth.suffix.lower() in (".gpkg", ".geojson", ".json", ".shp"):
            vector = f"test unit {item.name}'s truth {item.truth.name} is a vector layer"
            raise InputError(f"bench adapters --data: {vector}; scoring needs a label raster")
        for file in item.unit.files:
            link_or_copy(file, folder / "inputs" / file.relative_to(inputs))
        link_or_copy(item.truth, folder / "truth" / item.truth.name)
    return folder


def draw_split(pool: list[str], labels: int, seed: int) -> dict[str, list[str]]:
    order = sorted(pool)
    random.Random(seed).shuffle(order)
    val = order[labels : labels + min(2, len(order) - labels)]
    return {"train": sorted(order[:labels]), "val": sorted(val)}


def run_folder_bench(
    task: str,
    arms: Sequence[Arm],
    learning_rates: Sequence[float],
    overrides: list[str],
    data_dir: Path,
    labels: int,
    seeds: int,
    output: Path,
    work: Path,
    log: Callable[[str], None] = print,
    score_inputs: bool = False,
) -> dict[str, Any]:
    """Every arm x learning rate x seed at ``labels`` training units, not yet in ``output``."""
    data_dir, output, work = Path(data_dir).resolve(), Path(output), Path(work)
    result = json.loads(output.read_text()) if output.is_file() else {"task": task, "data": str(data_dir), "rows": []}
    if result.get("data") != str(data_dir):
        raise InputError(f"{output} holds a bench of {result.get('data')}; choose another --output for {data_dir}")
    paired = labelled_units(task, next(a for a in arms if a.trained).config, data_dir)
    names = sorted(item.name for item in paired)
    if "test" not in result:
        order = list(names)
        random.Random(SPLIT_SEED).shuffle(order)
        result["test"] = sorted(order[: max(1, round(TEST_SHARE * len(order)))])
    pool = [n for n in names if n not in result["test"]]
    if labels < 1 or len(pool) < labels + 1:
        raise InputError(
            f"--labels {labels}: {data_dir} has {len(pool)} units besides the {len(result['test'])} held out "
            f"for testing; training on {labels} needs at least {labels + 1} (one more validates)"
        )
    test = test_folder(data_dir, paired, result["test"], work / "test")
    log(f"{len(names)} labelled units: {len(result['test'])} held out for testing, {labels} drawn to train on per seed")
    done = {(r["arm"], r["learning_rate"], r["labels"], r["seed"]) for r in result["rows"]}
    for seed in range(seeds):
        split = draw_split(pool, labels, seed)
        split_file = work / f"split-{labels}-{seed}.json"
        write_json_atomic(split_file, split)
        for arm in arms:
            for rate in learning_rates if arm.trained else (None,):
                if (arm.name, rate, labels, seed) in done:
                    log(f"{arm.name}, lr {rate}, {labels} labels, seed {seed}: done before, skipped")
                    continue
                log(f"{arm.name}, lr {rate}, {labels} labels, seed {seed} ...")
                run_dir = work / f"{arm.name}-{rate}-{labels}-{seed}".replace(" ", "_").replace("+", "")
                chosen = [*overrides, f"train.data_dir={data_dir}", f"train.split_file={split_file}",
                          f"train.seed={seed}", *([f"train.learning_rate={rate}"] if rate else [])]  # fmt: skip
                samples = {"test": (str(test), {})}
                row = isolated(run_arm, task, arm, chosen, samples, str(run_dir), score_inputs)
                result["rows"].append({"arm": arm.name, "learning_rate": rate, "labels": labels, "seed": seed, **row})
                write_json_atomic(output, result)  # each row kept as soon as it is measured
    return result


def folder_report(result: dict[str, Any], metric: str) -> Report:
    """Per arm, learning rate and label count: the test metric's mean and spread over the seeds."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in result["rows"]:
        groups.setdefault((row["arm"], row["learning_rate"], row["labels"]), []).append(row)
    columns = ["arm", "lr", "labels", "seeds", f"{metric} mean", "spread (sd)", "min", "s/step"]
    rows = []
    for (arm, rate, labels), members in groups.items():
        scores = [m["test"][metric] for m in members if metric in m.get("test", {})]
        spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
        step = statistics.mean(m["seconds_per_step"] for m in members)
        rows.append([arm, str(rate), str(labels), str(len(scores)), f"{statistics.mean(scores):.3f}",
                     f"{spread:.3f}", f"{min(scores):.3f}", f"{step:.2f}"])  # fmt: skip
    units = len(result.get("test", []))
    return Report([Table(f"{result['task']} on {result['data']}: {units} test units (mean over seeds)", columns, rows)])

"""``hybridvision bench adapters --pipeline TASK``: frozen pretrained backbones with adapters against
training from scratch, with the same data and steps, each arm in a fresh process.

A task lists its arms (its ``adapter_bench`` verb, ``bench/<task>/adapter_bench.py``: a name, a
config, overrides) and what "held-out" and "shifted" mean (its sample generator's seeds and
options). Every arm trains through the usual harness with each learning rate of one small grid,
predicts the held-out and shifted samples with the usual batch runner, and is scored with the
task's evaluation; the row keeps the score, the trainable share, seconds per step and the peak
memory of its process. Rows are appended to the JSON as they finish and a re-run skips them, so a
long bench resumes where it stopped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from hybridvision.pipelines.common.atomic import write_json_atomic
from hybridvision.pipelines.registry import PIPELINES
from hybridvision.pipelines.report import Report, Table

from .isolated import isolated, peak_rss_mb


@dataclass(frozen=True)
class Arm:
    """One way to train the task: a config (shipped YAML) and overrides (``--set`` strings), or a
    shipped checkpoint scored without training."""

    name: str
    config: str
    overrides: tuple[str, ...] = ()
    trained: bool = True  # False: ``config`` names a shipped checkpoint, scored as it is (the unadapted model)


def run_arm(
    task: str,
    arm: Arm,
    overrides: list[str],
    samples: dict[str, tuple[str, dict]],
    work: str,
    score_inputs: bool,
    queue,
) -> None:
    """Child process: train (or take the shipped checkpoint), predict each sample set, evaluate; one row
    on the queue. ``score_inputs``: the task's evaluation also reads the inputs (a gain over a baseline)."""
    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.common.checkpoint import (
        load_checkpoint,
        read_metadata,
        resolve_checkpoint,
        shipped_root,
    )
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.common.training import train

    if arm.trained:
        config = load_config(shipped_root() / task / arm.config, [*arm.overrides, *overrides])
        start = time.perf_counter()
        model_path = train(config, Path(work) / "run", progress_bar=False, log=lambda line: None).model_path
        seconds_per_step = round((time.perf_counter() - start) / max(config.train.max_steps, 1), 2)
    else:
        model_path, seconds_per_step = resolve_checkpoint(arm.config), 0.0
    pipeline, model, _ = load_checkpoint(model_path)
    parts = read_metadata(model_path)["provenance"].get("parameters_by_part", {})
    row: dict[str, Any] = {
        "seconds_per_step": seconds_per_step,
        "trainable": parts.get("trainable") if arm.trained else 0,
        "adapter_fraction": parts.get("adapter_fraction"),
    }
    for label, (folder, predict_options) in samples.items():
        out = Path(work) / f"pred-{label}"
        options = pipeline.make_options(**predict_options)
        report = run_batch(pipeline, model, Path(folder) / "inputs", out, options=options)
        if report.failed:  # a score over the units that worked would flatter the arm
            first = report.failed[0]
            count = len(report.failed)
            raise RuntimeError(f"{arm.name}, {label}: {count} predictions failed ({first.name}: {first.error})")
        extra = {"input": Path(folder) / "inputs"} if score_inputs else {}
        scores = type(pipeline).evaluate(out, Path(folder) / "truth", **extra)
        row[label] = {k: round(v, 4) for k, v in scores["mean"].items() if isinstance(v, (int, float))}
    row["peak_mb"] = round(peak_rss_mb())
    queue.put(row)


def run_adapter_bench(
    task: str,
    arms: Sequence[Arm],
    learning_rates: Sequence[float],
    overrides: list[str],
    samples: dict[str, dict[str, Any]],
    output: Path,
    work: Path,
    log: Callable[[str], None] = print,
    score_inputs: bool = False,
) -> dict[str, Any]:
    """Every arm x learning rate not yet in ``output`` (an untrained arm: one row, learning rate None);
    ``samples``: label -> write_samples options, plus ``predict``: prediction options for that set
    (spectral's ``{"bands": "every-other"}``); sets with the same write options share a folder."""
    output = Path(output)
    result = json.loads(output.read_text()) if output.is_file() else {"task": task, "rows": []}
    done = {(row["arm"], row["learning_rate"]) for row in result["rows"]}
    pipeline = PIPELINES.entry(task).factory
    folders, written = {}, {}
    for label, options in samples.items():
        options = dict(options)
        predict_options = options.pop("predict", {})
        key = json.dumps(options, sort_keys=True)
        folder = written.setdefault(key, Path(work) / f"samples-{label}")
        if not (folder / "manifest.json").is_file():
            pipeline.write_samples(folder, **options)
        folders[label] = (str(folder), predict_options)
    for arm in arms:
        for rate in learning_rates if arm.trained else (None,):
            if (arm.name, rate) in done:
                log(f"{arm.name}, learning rate {rate}: done before, skipped")
                continue
            log(f"{arm.name}, learning rate {rate} ...")
            run_dir = Path(work) / f"{arm.name}-{rate}".replace(" ", "_").replace("+", "")
            arm_overrides = [*overrides, f"train.learning_rate={rate}"]
            row = isolated(run_arm, task, arm, arm_overrides, folders, str(run_dir), score_inputs)
            result["rows"].append({"arm": arm.name, "learning_rate": rate, **row})
            write_json_atomic(output, result)  # each row kept as soon as it is measured
    return result


def adapter_report(result: dict[str, Any], metric: str, labels: Sequence[str]) -> Report:
    """The best learning rate of each arm, and its figures."""
    best: dict[str, dict[str, Any]] = {}
    for row in result["rows"]:
        score = row.get(labels[0], {}).get(metric, -1)
        if row["arm"] not in best or score > best[row["arm"]].get(labels[0], {}).get(metric, -1):
            best[row["arm"]] = row
    columns = ["arm", "lr", *(f"{metric} {label}" for label in labels), "trainable", "adapter %", "s/step", "peak MB"]
    rows = []
    for arm, row in best.items():
        fraction = row.get("adapter_fraction")
        rows.append(
            [
                arm,
                str(row["learning_rate"]),
                *(f"{row.get(label, {}).get(metric, float('nan')):.3f}" for label in labels),
                f"{(row.get('trainable') or 0) / 1e6:.2f}M",
                "-" if fraction is None else f"{100 * fraction:.2f}",
                str(row["seconds_per_step"]),
                str(row["peak_mb"]),
            ]
        )
    return Report([Table(f"{result['task']}: frozen backbones + adapters vs scratch (best lr per arm)", columns, rows)])

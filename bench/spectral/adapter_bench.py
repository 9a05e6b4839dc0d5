"""spectral's arms for ``hybridvision bench adapters --pipeline spectral`` (see bench/adapter_bench.py).

Two designs with few labels, the same steps for every arm, each against the task's shipped network
(ChannelViT with channel sampling) trained from scratch on the same labels:

- chips: 10 generated 13-band chips per class; the frozen ImageNet EfficientNet-Lite0 reads them
  through the ``inputs`` band adapter (started from an RGB response to the bands' wavelengths,
  chips_lite0.yaml) and pools its last level. Scored on held-out chips (seed 1000).
- scenes: 10 labelled pixels per class in one generated 128-band scene; ChannelViT classifies each
  pixel's 9 x 9 neighbourhood (scene.yaml), the dense Lite0 design runs over 64 x 64 windows with a
  ``unet`` decoder and a loss on the labelled pixels only (scene_lite0.yaml). Scored on two held-out
  scenes (seeds 1000, 1001).

Both by overall accuracy with all bands, every other band and the first half of the bands (the
half-band table).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from hybridvision.pipelines.report import Report

from ..adapter_bench import Arm, adapter_report, run_adapter_bench
from ..adapter_folder_bench import folder_report, run_folder_bench

CHIP_ARMS = (
    Arm("scratch channelvit (chips)", "chips.yaml", ("data.generated=10",)),
    Arm("lite0 + inputs", "chips_lite0.yaml"),
)
FEW_PIXELS = ("data.generated=1", "data.labelled_per_class=10")
SCENE_ARMS = (
    Arm("scratch channelvit (scene)", "scene.yaml", FEW_PIXELS),
    Arm("lite0 + inputs, dense (scene)", "scene_lite0.yaml"),
)
LEARNING_RATES = (1e-3, 3e-3)
FULL = ["train.val_every_steps=1000000", "train.warmup_steps=20"]
QUICK = ["train.batch_size=8", "train.warmup_steps=1", "train.val_every_steps=1000000"]
QUICK_DATA = {"chips": ["data.generated=2"], "scenes": ["data.scene_size=48", "train.batch_size=2"]}
LABELS = ("all bands", "every other band", "first half")
BAND_SETS = ("all", "every-other", "first-half")


def held_out(kind: str, quick: bool) -> dict[str, Any]:
    """Write options of the held-out set of a design."""
    if kind == "chips":
        return {"kind": "chips", "count": 18 if quick else 270, "seed": 1000}
    return {"kind": "scene", "count": 1 if quick else 2, "seed": 1000, "size": 48 if quick else 145}


def run(output: Path, log: Callable[[str], None], steps: int = 100, quick: bool = False, **options: Any) -> Report:
    output = Path(output)
    work = output.with_suffix("") if output.suffix else output / "work"
    if options.get("data"):
        return on_folder(output, work, log, steps, quick, **options)
    rates = LEARNING_RATES[:1] if quick else LEARNING_RATES
    tables = []
    for design, arms in (("chips", CHIP_ARMS), ("scenes", SCENE_ARMS)):
        overrides = [*(QUICK + QUICK_DATA[design] if quick else FULL), f"train.max_steps={2 if quick else steps}"]
        sets = held_out(design, quick)
        samples = {label: {**sets, "predict": {"bands": bands}} for label, bands in zip(LABELS, BAND_SETS)}
        arms = arms[1:] if quick else arms
        log(f"{design}:")
        result = run_adapter_bench("spectral", arms, rates, overrides, samples, output, work / design, log)
        names = {arm.name for arm in arms}
        design_result = {**result, "task": f"spectral {design}"}
        design_result["rows"] = [row for row in result["rows"] if row["arm"] in names]
        tables += adapter_report(design_result, "overall_accuracy", LABELS).tables
    return Report(tables)


def on_folder(output: Path, work: Path, log, steps: int, quick: bool, data: Path, labels: int = 5, seeds: int = 3,
              learning_rates: tuple[float, ...] = (), **options: Any) -> Report:  # fmt: skip
    """Your labelled scenes: ChannelViT from scratch against the frozen Lite0 behind the inputs adapter."""
    arms = (Arm("scratch channelvit (scene)", "scene.yaml"), SCENE_ARMS[1])
    overrides = [*(QUICK if quick else FULL), f"train.max_steps={2 if quick else steps}"]
    result = run_folder_bench(
        "spectral", arms, learning_rates or (1e-3,), overrides, data, labels, seeds, output, work, log
    )
    return folder_report(result, "overall_accuracy")

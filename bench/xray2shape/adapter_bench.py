"""xray2shape's arms for ``hybridvision bench adapters --pipeline xray2shape`` (see bench/adapter_bench.py).

Few labels: 8 training phantoms (a fixed pool, fresh augmented DRRs at every draw) and the same steps
for every arm: the shipped view encoder trained from scratch (``hybrid_tiny``, femur.yaml) against the
frozen ImageNet EfficientNet-Lite0 adapted by ``side`` (a conv branch fused per level), by ``lora``
on its 1x1 convolutions or by ``dvpt`` (prompt bottlenecks on its levels); the dimension expansion
and cross-view decoder train in every arm. Scored by mean Dice (femur, pelvis) on held-out phantoms
(seeds 3000+). The phantom generator has no shifted mode, so there is one score column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from hybridvision.pipelines.report import Report

from ..adapter_bench import Arm, adapter_report, run_adapter_bench
from ..adapter_folder_bench import folder_report, run_folder_bench

# LoRA wraps the whole model and freezes all but its updates: the new decoder must train too
LORA = "model.adapter={name: lora, rank: 4, targets: [conv_pw, conv_pwl], train_also: [decoder]}"
DVPT = "model.adapter={name: dvpt, rank: 16, prompts: 8}"
ARMS = (
    Arm("scratch hybrid_tiny", "femur.yaml"),
    Arm("lite0 + side", "femur_lite0_side.yaml"),
    Arm("lite0 + lora", "femur_lite0_side.yaml", (LORA,)),
    Arm("lite0 + dvpt", "femur_lite0_side.yaml", (DVPT,)),
)
LEARNING_RATES = (1e-3, 3e-3)
FULL = ["data.pool_size=8", "data.refresh_every=0", "data.val_seeds=[10000, 10002]", "train.val_every_steps=1000000",
        "train.warmup_steps=20"]  # fmt: skip
QUICK = ["model.grid=[32, 32, 32]", "model.spacing_mm=4.0", "data.pool_size=2", "data.refresh_every=0",
         "data.val_seeds=[10000, 10001]", "train.batch_size=1", "train.warmup_steps=1",
         "train.val_every_steps=1000000"]  # fmt: skip


def run(output: Path, log: Callable[[str], None], steps: int = 100, quick: bool = False, **options: Any) -> Report:
    if options.get("data"):
        return on_folder(output, log, steps, quick, **options)
    overrides = [*(QUICK if quick else FULL), f"train.max_steps={2 if quick else steps}"]
    samples = {"held-out": {"count": 1 if quick else 4, "seed": 3000, "spacing": 4.0 if quick else 2.0}}
    output = Path(output)
    work = output.with_suffix("") if output.suffix else output / "work"
    rates = LEARNING_RATES[:1] if quick else LEARNING_RATES
    arms = ARMS[1:2] if quick else ARMS
    result = run_adapter_bench("xray2shape", arms, rates, overrides, samples, output, work, log)
    return adapter_report(result, "dice_mean", ("held-out",))


def on_folder(output: Path, log, steps: int, quick: bool, data: Path, labels: int = 5, seeds: int = 3,
              learning_rates: tuple[float, ...] = (), **options: Any) -> Report:  # fmt: skip
    """scratch against the frozen Lite0 with a side branch, its trunk's features cached."""
    output = Path(output)
    work = output.with_suffix("") if output.suffix else output / "work"
    arms = (ARMS[0], Arm("lite0 + side, cached", "femur_lite0_side.yaml", ("train.feature_cache=true",)))
    overrides = [*(QUICK if quick else ["train.val_every_steps=1000000", "train.warmup_steps=20"]),
                 f"train.max_steps={2 if quick else steps}"]  # fmt: skip
    result = run_folder_bench(
        "xray2shape", arms, learning_rates or (3e-3,), overrides, data, labels, seeds, output, work, log
    )
    return folder_report(result, "dice_mean")

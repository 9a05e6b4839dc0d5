"""tumor3d's arms for ``hybridvision bench adapters --pipeline tumor3d`` (see bench/adapter_bench.py).

With 8 generated training cases and the same steps: the shipped size trained from scratch
(``hybrid_small`` + the U-decoder), the frozen CT encoder per modality with ``per_channel``, the CT
encoder reading a learned mix of the modalities (``inputs``: gradients through the trunk), and the
frozen EfficientNet-Lite0 through ``spatial3d``; each with learning rates 1e-3 and 3e-3. Scored on
held-out generated cases (seeds 3000+) and on shifted ones (contrast, noise and bias outside the
training ranges). Full fine-tuning of the 117M-parameter CT encoder does not fit 2 CPU cores (about
15 s a step at 96^3, forward and backward) and is left to a GPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from hybridvision.pipelines.report import Report

from ..adapter_bench import Arm, adapter_report, run_adapter_bench
from ..adapter_folder_bench import folder_report, run_folder_bench

ARMS = (
    Arm("scratch hybrid_small", "demo.yaml"),
    Arm("ct_fm + per_channel", "ct_fm.yaml"),
    Arm("ct_fm + inputs", "ct_fm_inputs.yaml"),
    Arm("lite0 + spatial3d", "lite0_spatial3d.yaml"),
)
# on your folder (--data): scratch against the frozen CT encoder with its trunk's features cached
FOLDER_ARMS = (
    Arm("scratch hybrid_small", "demo.yaml"),
    Arm("ct_fm + per_channel, cached", "ct_fm.yaml", ("train.feature_cache=true",)),
)
LEARNING_RATES = (1e-3, 3e-3)
FULL = ["data.train_seeds=[0, 8]", "data.val_seeds=[900, 902]", "data.spacing=[2.0, 2.0, 2.0]",
        "data.generator_spacings=[2.0]", "data.roi=[64, 64, 64]", "train.val_every_steps=1000000",
        "data.samples_per_case=16", "train.warmup_steps=10"]  # fmt: skip
QUICK = ["data.train_seeds=[0, 1]", "data.val_seeds=[900, 901]", "data.spacing=[3.0, 3.0, 3.0]",
         "data.generator_spacings=[3.0]", "data.roi=[32, 32, 32]", "data.samples_per_case=2", "data.workers=1",
         "train.batch_size=1", "train.warmup_steps=1", "train.val_every_steps=1000000"]  # fmt: skip


def run(output: Path, log: Callable[[str], None], steps: int = 100, quick: bool = False, **options: Any) -> Report:
    if options.get("data"):
        return on_folder(output, log, steps, quick, **options)
    overrides = [*(QUICK if quick else FULL), f"train.max_steps={2 if quick else steps}"]
    samples = {
        "held-out": {"count": 1 if quick else 4, "seed": 3000, "spacing": 3.0 if quick else 2.0},
        "shifted": {"count": 1 if quick else 4, "seed": 3100, "spacing": 3.0 if quick else 2.0, "shifted": True},
    }
    output = Path(output)
    work = output.with_suffix("") if output.suffix else output / "work"
    rates = LEARNING_RATES[:1] if quick else LEARNING_RATES
    arms = ARMS[3:4] if quick else ARMS  # quick: the cheapest frozen route (Lite0: 3.4M frozen, 2D)
    result = run_adapter_bench("tumor3d", arms, rates, overrides, samples, output, work, log)
    return adapter_report(result, "dice_WT", ("held-out", "shifted"))


def on_folder(output: Path, log, steps: int, quick: bool, data: Path, labels: int = 5, seeds: int = 3,
              learning_rates: tuple[float, ...] = (), **options: Any) -> Report:  # fmt: skip
    output = Path(output)
    work = output.with_suffix("") if output.suffix else output / "work"
    overrides = [*(QUICK if quick else ["train.val_every_steps=1000000", "train.warmup_steps=10"]),
                 f"train.max_steps={2 if quick else steps}"]  # fmt: skip
    rates = learning_rates or (3e-3,)
    result = run_folder_bench("tumor3d", FOLDER_ARMS, rates, overrides, data, labels, seeds, output, work, log)
    return folder_report(result, "dice_WT")

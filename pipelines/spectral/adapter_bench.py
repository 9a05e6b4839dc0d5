"""spectral's arms for ``hybridvision bench adapters --pipeline spectral`` (see common/adapter_bench.py).

Chips with few labels: 10 generated 13-band chips per class, the same steps for every arm: the
shipped chips network (ChannelViT with channel sampling, chips.yaml) from scratch against the frozen
ImageNet EfficientNet-Lite0 read through the ``inputs`` band adapter (started from an RGB response
to the bands' wavelengths, chips_lite0.yaml). Scored by overall accuracy on held-out chips (seed
1000) with all bands, every other band and the first half of the bands (the half-band table).
The dense scene design on Lite0 (a per-pixel decoder over whole windows, a sparse-label loss) is
not built yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..common.adapter_bench import Arm, adapter_report, run_adapter_bench
from ..report import Report

ARMS = (
    Arm("scratch channelvit (chips)", "chips.yaml", ("data.generated=10",)),
    Arm("lite0 + inputs", "chips_lite0.yaml"),
)
LEARNING_RATES = (1e-3, 3e-3)
FULL = ["train.val_every_steps=1000000", "train.warmup_steps=20"]
QUICK = ["data.generated=2", "train.batch_size=8", "train.warmup_steps=1", "train.val_every_steps=1000000"]
LABELS = ("all bands", "every other band", "first half")


def run(output: Path, log: Callable[[str], None], steps: int = 100, quick: bool = False, **options: Any) -> Report:
    overrides = [*(QUICK if quick else FULL), f"train.max_steps={2 if quick else steps}"]
    held_out = {"kind": "chips", "count": 18 if quick else 270, "seed": 1000}
    samples = {
        label: {**held_out, "predict": {"bands": bands}}
        for label, bands in zip(LABELS, ("all", "every-other", "first-half"))
    }
    output = Path(output)
    work = output.with_suffix("") if output.suffix else output / "work"
    rates = LEARNING_RATES[:1] if quick else LEARNING_RATES
    arms = ARMS[1:] if quick else ARMS
    result = run_adapter_bench("spectral", arms, rates, overrides, samples, output, work, log)
    return adapter_report(result, "overall_accuracy", LABELS)

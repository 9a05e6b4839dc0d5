"""superres's arms for ``hybridvision bench adapters --pipeline superres`` (see bench/adapter_bench.py).

Adaptation to a domain the shipped x2 never saw (clinical radiology from pydicom-data: CT, CR,
ultrasound, NM, MR; dicom_domain.py): five images to train on, five others to score. Arms: the shipped
x2 as it is; x2 frozen with LoRA on its attention (adapt_x2.yaml); x2 fully fine-tuned; the same
network from scratch on the five images. Same steps and learning-rate grid for the trained arms;
scored by PSNR gain over bicubic on the held-out images (Y, border of ``scale`` pixels cropped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from hybridvision.pipelines.errors import InputError
from hybridvision.pipelines.report import Report
from hybridvision.pipelines.superres.dicom_domain import write_training_images

from ..adapter_bench import Arm, adapter_report, run_adapter_bench

ARMS = (
    Arm("shipped x2, unadapted", "superres/x2", trained=False),
    Arm("x2 + lora", "adapt_x2.yaml"),
    Arm("x2 full fine-tune", "x2.yaml", ("data.offline_sources=false",)),
    Arm("scratch hat_light", "x2.yaml", ("data.offline_sources=false", "train.init_from=''")),
)
LEARNING_RATES = (3e-4, 1e-3)
FULL = ["train.val_every_steps=1000000", "train.warmup_steps=10"]
QUICK = ["data.patch=16", "data.samples_per_epoch=8", "data.val_crop=32", "train.batch_size=2", "train.warmup_steps=1",
         "train.val_every_steps=1000000"]  # fmt: skip


def run(output: Path, log: Callable[[str], None], steps: int = 100, quick: bool = False, **options: Any) -> Report:
    if options.get("data"):
        raise InputError("bench adapters --data: superres trains on your images (train --data) but its bench "
                         "does not take a folder yet; it scores arms on generated radiology images")  # fmt: skip
    output = Path(output)
    work = output.with_suffix("") if output.suffix else output / "work"
    images = write_training_images(work / "domain-train", log)
    overrides = [*(QUICK if quick else FULL), f"train.max_steps={2 if quick else steps}",
                 f"data.folders=[{images[0].parent}]"]  # fmt: skip
    samples = {"held-out": {"count": 1 if quick else 5, "seed": 0, "scale": 2, "domain": "radiology"}}
    rates = LEARNING_RATES[:1] if quick else LEARNING_RATES
    arms = (ARMS[0], ARMS[1]) if quick else ARMS
    result = run_adapter_bench("superres", arms, rates, overrides, samples, output, work, log, score_inputs=True)
    return adapter_report(result, "psnr_gain", ("held-out",))

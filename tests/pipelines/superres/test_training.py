import csv

import numpy as np

from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.common.training import train

from .conftest import TINY


def test_a_tiny_training_run_lowers_the_loss(tmp_path):
    overrides = [
        "train.max_steps=40",
        "train.val_every_steps=40",
        "train.learning_rate=0.003",
        "data.patch=16",
        "train.batch_size=8",
        "data.samples_per_epoch=320",
    ]
    result = train(load_config(TINY, overrides), tmp_path, progress_bar=False)
    with open(tmp_path / "logs" / "metrics.csv") as handle:
        losses = [float(r["train/loss"]) for r in csv.DictReader(handle) if r.get("train/loss")]
    assert np.mean(losses[-8:]) < np.mean(losses[:8])
    assert "val/psnr_gain" in result.metrics

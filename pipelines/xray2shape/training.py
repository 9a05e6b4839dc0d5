"""xray2shape's training: Dice + cross-entropy on the label volume, hard Dice per bone to pick the
best checkpoint, DRR pairs of generated phantoms to train and validate on.

Imported only by the training harness (``common/training.py``): prediction never loads the loss,
the phantoms or the DRR renderer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from monai.losses import DiceCELoss

from ..base import Batch
from ..common.training_task import TrainingTask
from ..common.user_data import LabelledUnit
from ..units import Unit
from .training_data import FixedPairDataset, PhantomPairDataset
from .user_cases import user_pair


class X2STraining(TrainingTask):
    monitor = ("val/dice", "max")
    replays_crops = True
    truth_pattern = "truth/<unit>_seg.nii.gz on the model's grid"

    def __init__(self, pipeline):
        super().__init__(pipeline)
        self.dice_ce = DiceCELoss(to_onehot_y=True, softmax=True, smooth_nr=1e-5, smooth_dr=1e-5)

    def loss(self, pred: torch.Tensor, batch: Batch) -> torch.Tensor:
        return self.dice_ce(pred, batch["label"])

    def metrics(self, pred: torch.Tensor, batch: Batch) -> dict[str, float]:
        """Hard Dice per label (argmax), and their mean as ``dice``."""
        hard = pred.argmax(1)
        label = batch["label"][:, 0]
        scores = {}
        for value, name in self.model_cfg.label_names.items():
            p, t = hard == value, label == value
            total = float(p.sum() + t.sum())
            scores[f"dice_{name}"] = 1.0 if total == 0 else float(2 * (p & t).sum()) / total
        scores["dice"] = float(np.mean(list(scores.values())))
        return scores

    def truth_names(self, unit: Unit) -> list[Path]:
        return [self.data_dir / "truth" / f"{unit.name}{suffix}" for suffix in ("_seg.nii.gz", "_seg.nii")]

    def load_unit(self, item: LabelledUnit) -> dict[str, torch.Tensor]:
        return user_pair(self.pipeline, item)

    def train_dataset(self, seed: int):
        model = self.model_cfg
        if self.data_dir:
            return self.user_data(seed).train
        return PhantomPairDataset(model.anatomy, model.grid, model.spacing_mm, self.data_cfg, seed, self.fixed_crops)

    def val_dataset(self, seed: int):
        model = self.model_cfg
        if self.data_dir:
            return self.user_data(seed).val
        return FixedPairDataset(model.anatomy, model.grid, model.spacing_mm, range(*self.data_cfg.val_seeds))

"""tumor3d's training: Dice + cross-entropy on the three sigmoid regions, soft Dice to pick the best
checkpoint, random crops of generated cases to train on and whole cases to validate on.

Imported only by the training harness (``common/training.py``): prediction never loads the loss,
the generator or the case cache.
"""

from __future__ import annotations

from pathlib import Path

import torch
from monai.losses import DiceCELoss
from torch import nn

from ..base import Batch
from ..common.training_task import TrainingTask
from .generator import GeneratorRanges
from .metrics import soft_region_dice
from .training_data import CropDataset, WholeCaseDataset, cached_cases


class Tumor3DTraining(TrainingTask):
    monitor = ("val/dice", "max")

    def __init__(self, pipeline):
        super().__init__(pipeline)
        self.dice_ce = DiceCELoss(sigmoid=True, smooth_nr=1e-5, smooth_dr=1e-5)

    def forward(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        """Crops in training; whole cases, window by window as prediction runs, in validation."""
        if model.training:
            return model(batch["image"])
        return self.pipeline.sliding_window(model, batch["image"])

    def loss(self, pred: torch.Tensor, batch: Batch) -> torch.Tensor:
        return self.dice_ce(pred, batch["label"])

    def metrics(self, pred: torch.Tensor, batch: Batch) -> dict[str, float]:
        return soft_region_dice(pred, batch["label"])

    def cases(self, seeds: tuple[int, int]):
        """Generated, preprocessed cases; seed i is built on grid ``generator_spacings[i % n]``."""
        data = self.data_cfg
        cache = Path(data.cache_dir) if data.cache_dir else None
        cases = []
        spacings = data.generator_spacings
        for index, spacing in enumerate(spacings):
            chosen = [s for s in range(*seeds) if s % len(spacings) == index]
            cases += cached_cases(chosen, GeneratorRanges(working_spacing=spacing), data.spacing, cache, data.workers)
        return cases

    def train_dataset(self, seed: int):
        data = self.data_cfg
        cases = self.cases(data.train_seeds)
        return CropDataset(cases, data.roi, data.samples_per_case, seed, data.solid_core_weight)

    def val_dataset(self, seed: int):
        return WholeCaseDataset(self.cases(self.data_cfg.val_seeds))

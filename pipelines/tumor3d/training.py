"""tumor3d's training: Dice + cross-entropy on the three sigmoid regions, soft Dice to pick the best
checkpoint, random crops of generated cases to train on and whole cases to validate on.

Imported only by the training harness (``common/training.py``): prediction never loads the loss,
the generator or the case cache.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from monai.losses import DiceCELoss
from torch import nn

from ..base import Batch
from ..common.training_task import TrainingTask
from ..common.user_data import LabelledUnit
from ..units import Unit
from .generator import GeneratorRanges
from .metrics import soft_region_dice
from .training_data import CropDataset, WholeCaseDataset, cached_cases
from .user_cases import user_case


class Tumor3DTraining(TrainingTask):
    monitor = ("val/dice", "max")
    replays_crops = True
    distills = True  # three independent region logits: a sigmoid per region (``distillation_loss``)
    truth_pattern = "truth/<unit>_seg.nii.gz, or <unit>_seg.nii.gz beside its modalities"

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

    def distillation_loss(self, pred: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
        """Binary cross-entropy from the teacher's softened region probabilities (the regions overlap,
        so each is its own two-class problem), voxel-averaged, times temperature squared."""
        target = torch.sigmoid(teacher / temperature)
        return F.binary_cross_entropy_with_logits(pred / temperature, target) * temperature**2

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

    def truth_names(self, unit: Unit) -> list[Path]:
        folders = [self.data_dir / "truth", *([unit.files[0].parent] if unit.files else [])]
        return [folder / f"{unit.name}{suffix}" for folder in folders for suffix in ("_seg.nii.gz", "_seg.nii")]

    def load_unit(self, item: LabelledUnit) -> dict[str, torch.Tensor]:
        return user_case(self.pipeline, item, self.data_cfg.spacing)

    def train_dataset(self, seed: int):
        data = self.data_cfg
        cases = self.user_data(seed).train if self.data_dir else self.cases(data.train_seeds)
        return CropDataset(cases, data.roi, data.samples_per_case, seed, data.solid_core_weight, self.fixed_crops)

    def val_dataset(self, seed: int):
        return WholeCaseDataset(self.user_data(seed).val if self.data_dir else self.cases(self.data_cfg.val_seeds))

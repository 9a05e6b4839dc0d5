"""superres's training: L1 on the high-resolution patch, the PSNR gain over bicubic to pick the best
checkpoint, degraded patches of offline images to train on and centre crops of held-apart images
to validate on.

Imported only by the training harness (``common/training.py``): prediction never loads the image
sources or the augmentation library.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..base import Batch, InputError, Unit
from ..common.training_task import TrainingTask
from ..common.user_data import LabelledUnit
from .degrade import bicubic_downsample
from .metrics import psnr
from .training_data import VALIDATION, PatchDataset, load_unit_image, skimage_images, to_bands, training_images


class SuperresTraining(TrainingTask):
    monitor = ("val/psnr_gain", "max")
    truth_pattern = "truth/<unit>.png: the high-resolution images (or the images in the folder itself)"

    # -- the user's folder (train --data): high-resolution images, degraded in training as the rest
    def user_units(self, inputs: Path) -> list[Unit]:
        truth = self.data_dir / "truth"
        return self.pipeline.discover_units(truth if truth.is_dir() else self.data_dir, self.pipeline.default_options())

    def truth_names(self, unit: Unit) -> list[Path]:
        return [unit.files[0]]  # the image is its own truth: its degraded copy is the input

    def load_unit(self, item: LabelledUnit) -> np.ndarray:
        size = self.data_cfg.val_crop
        image = load_unit_image(item.truth)
        if min(image.shape[:2]) < size:
            raise InputError(f"{item.truth.name}: {image.shape[1]}x{image.shape[0]}, smaller than {size} pixels a side")
        return image

    def loss(self, pred: torch.Tensor, batch: Batch) -> torch.Tensor:
        return F.l1_loss(pred, batch["label"])

    def metrics(self, pred: torch.Tensor, batch: Batch) -> dict[str, float]:
        scale = self.model_cfg.scale
        truth = batch["label"][0].permute(1, 2, 0).numpy()
        bicubic = F.interpolate(batch["image"], scale_factor=scale, mode="bicubic", align_corners=False)
        ours = psnr(pred[0].clamp(0, 1).permute(1, 2, 0).numpy(), truth, scale)
        base = psnr(bicubic[0].clamp(0, 1).permute(1, 2, 0).numpy(), truth, scale)
        return {"psnr": ours, "psnr_gain": ours - base}

    def train_dataset(self, seed: int):
        data = self.data_cfg
        if self.data_dir:
            images = self.user_data(seed).train
        else:
            images = training_images(data.folders, data.offline_sources, data.radiology)
        return PatchDataset(
            images,
            self.model_cfg.scale,
            data.patch,
            self.model_cfg.bands,
            data.samples_per_epoch,
            seed,
            data.blur,
            data.noise,
            data.min_patch_std,
        )

    def val_dataset(self, seed: int):
        """Centre crops of the validation images (neither trained on nor hold-out), bicubic-downsampled."""
        items, scale, size = [], self.model_cfg.scale, self.data_cfg.val_crop
        images = self.user_data(seed).val if self.data_dir else [load_unit_image(p) for p in skimage_images(VALIDATION)]
        for image in images:
            top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
            crop = to_bands(image[top : top + size, left : left + size], self.model_cfg.bands, np.random.default_rng(0))
            high = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)))
            items.append({"image": bicubic_downsample(high[None], scale)[0].clamp(0, 1), "label": high})
        return items

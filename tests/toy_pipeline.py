"""A small real pipeline for testing the shared machinery: find bright squares in 2D arrays.

Inputs are ``.npy`` 2D arrays; the output is ``<name>_mask.npy``. It exercises every hook of the
Pipeline template with a registry backbone, and a ``TrainingTask``, so the batch runner, the
training harness, checkpoints and the CLI are tested without depending on any one task pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from hybridvision.backbones import BACKBONES
from hybridvision.pipelines import PIPELINES, InputError, IOSpec, Pipeline, TensorSpec, Unit, is_ground_truth
from hybridvision.pipelines.base import CliOption, Sample
from hybridvision.pipelines.common.config import Component
from hybridvision.pipelines.common.training_task import TrainingTask


@dataclass(frozen=True)
class ToyModelConfig:
    backbone: Component = field(default_factory=lambda: Component("hybrid_test"))
    adapter: Component | None = None  # a frozen model plus an adapter, as every task allows


@dataclass(frozen=True)
class ToyDataConfig:
    size: int = 64
    train_images: int = 16
    val_images: int = 4


def make_square_image(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Noise with one bright square; returns (image, mask)."""
    image = rng.normal(0, 0.3, (size, size)).astype(np.float32)
    mask = np.zeros((size, size), np.float32)
    side = rng.integers(size // 6, size // 2)
    y, x = rng.integers(0, size - side, 2)
    mask[y : y + side, x : x + side] = 1
    return image + mask, mask


class SquaresDataset(torch.utils.data.Dataset):
    def __init__(self, count: int, size: int, seed: int):
        rng = np.random.default_rng(seed)
        self.items = [make_square_image(rng, size) for _ in range(count)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        image, mask = self.items[index]
        return {"image": torch.from_numpy(image)[None], "label": torch.from_numpy(mask)[None]}


class SquareSegmenter(nn.Module):
    def __init__(self, backbone: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Conv2d(backbone.feature_info[0].channels, 1, 1)

    def forward(self, x):
        features = self.backbone(x)[0]
        return F.interpolate(self.head(features), size=x.shape[2:], mode="bilinear", align_corners=False)


class ToyTraining(TrainingTask):
    monitor = ("val/dice", "max")

    def loss(self, pred, batch):
        return F.binary_cross_entropy_with_logits(pred, batch["label"])

    def metrics(self, pred, batch):
        hard = (pred > 0).float()
        overlap = (hard * batch["label"]).sum()
        return {"dice": float(2 * overlap / (hard.sum() + batch["label"].sum()).clamp(min=1))}

    def train_dataset(self, seed):
        return SquaresDataset(self.data_cfg.train_images, self.data_cfg.size, seed)

    def val_dataset(self, seed):
        return SquaresDataset(self.data_cfg.val_images, self.data_cfg.size, seed + 1000)


class ToyPipeline(Pipeline):
    name = "toy"
    description = "bright squares in .npy arrays (test pipeline)"
    model_config = ToyModelConfig
    data_config = ToyDataConfig
    training = ToyTraining  # the class itself: a task names "training:Class" in its package
    predict_options = (CliOption("threshold", float, 0.5, "probability above which a pixel is a square"),)

    @property
    def io_spec(self) -> IOSpec:
        return IOSpec(
            inputs={"image": TensorSpec(1, 2, ("intensity",))},
            outputs={"pred": TensorSpec(1, 2, ("square",), value_range=(0.0, 1.0), class_names=("square",))},
        )

    def build_model(self) -> nn.Module:
        return SquareSegmenter(self.model_cfg.backbone.build(BACKBONES, in_channels=1, spatial_dims=2))

    def discover_units(self, input_path: Path, options=None) -> list[Unit]:
        files = [input_path] if input_path.is_file() else sorted(input_path.glob("*.npy"))
        return [Unit(f.stem, (f,)) for f in files if not is_ground_truth(f)]

    def output_names(self, unit: Unit, options=None) -> list[str]:
        return [f"{unit.name}_mask.npy"]

    def read(self, unit):
        try:
            image = np.load(unit.files[0])
        except Exception as error:
            raise InputError(f"{unit.files[0].name}: not a readable .npy array ({error})") from error
        if image.ndim != 2:
            raise InputError(f"{unit.files[0].name}: expected a 2D array, got shape {image.shape}")
        return Sample(torch.from_numpy(image.astype(np.float32))[None, None], {"name": unit.name})

    def infer(self, model, sample):
        h, w = sample.image.shape[2:]
        padded = F.pad(sample.image, (0, (-w) % 32, 0, (-h) % 32))
        sample.pred = torch.sigmoid(model(padded))[..., :h, :w]
        return sample

    def write(self, sample, paths):
        mask = (sample.pred[0, 0] > sample.options.threshold).numpy().astype(np.uint8)
        with open(paths[self.output_names(Unit(sample.name, ()))[0]], "wb") as handle:
            np.save(handle, mask)


PIPELINES.register("toy", ToyPipeline)

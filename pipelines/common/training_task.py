"""A task's training, kept apart from its prediction (the shape of torchgeo's ``BaseTask`` hooks).

A ``Pipeline`` predicts; its ``TrainingTask`` trains it: the loss, the validation metrics, the
forward pass of a batch and the datasets. A task's subclass lives in ``<task>/training.py``, which
only the training harness (``common/training.py``) and tests import, so prediction never loads a
loss, a data generator or an augmentation library.

How the harness finds it: the pipeline class's ``training`` attribute, either ``"module:Class"``
in the package of the class that declares it (every task: ``"training:Tumor3DTraining"``) or the
class itself (tests' pipelines, which hold everything in one file).
"""

from __future__ import annotations

import abc
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..units import Batch, Unit
from .user_data import LabelledUnit, UserData, inputs_folder, load_user_data

if TYPE_CHECKING:
    from ..base import Pipeline


class TrainingTask(abc.ABC):
    """How a pipeline's model learns. Subclasses fill in ``loss`` and the datasets.

    Class attributes:
        monitor: the validation metric that picks the best checkpoint, and ``"max"`` or ``"min"``.
        distills: whether ``train.teacher`` may be set: the model's outputs are class (or region)
            logits, and ``distillation_loss`` compares them.

    Args:
        pipeline: the task's pipeline under the run's config (``build_model``, ``model_cfg``, ``data_cfg``).
    """

    monitor: ClassVar[tuple[str, str]] = ("val/loss", "min")
    distills: ClassVar[bool] = False  # predictions are class logits on dim 1 (``distillation_loss``)

    # the training crops can be replayed: the same index gives the same augmented crop every epoch
    # (``fixed_crops``, set by the harness for train.feature_cache)
    replays_crops: ClassVar[bool] = False
    truth_pattern: ClassVar[str] = ""  # how a unit's truth is named in the user's folder (``--data``)

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.model_cfg: Any = pipeline.model_cfg
        self.data_cfg: Any = pipeline.data_cfg
        self.data_dir: Path | None = None  # train --data: the user's labelled folder (set by the harness)
        self.val_fraction = 0.2
        self.split_file: Path | None = None  # instead of DIR/units_split.json
        self.fixed_crops = False
        self.loaded_user_data: UserData | None = None

    @abc.abstractmethod
    def loss(self, pred: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Training loss of a batch's prediction."""

    def metrics(self, pred: torch.Tensor, batch: Batch) -> dict[str, float]:
        """Validation metrics of a batch (the harness logs the loss anyway)."""
        return {}

    def distillation_loss(self, pred: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
        """KL divergence from the teacher's softened class distribution (dim 1) to the model's, per
        position (pixel or sample) averaged, times temperature squared so its gradient keeps its scale."""
        student = F.log_softmax(pred / temperature, 1)
        target = F.log_softmax(teacher / temperature, 1)
        return F.kl_div(student, target, log_target=True, reduction="none").sum(1).mean() * temperature**2

    def forward(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        """The training/validation forward pass; override when a model takes more than the image."""
        return model(batch["image"])

    # -- the user's folder (``train --data DIR``, common/user_data.py) ----------------------------
    def user_data(self, seed: int) -> UserData:
        """The user's units, loaded once for both datasets: paired with their truth, split."""
        if self.loaded_user_data is None:
            if not self.truth_pattern:
                raise NotImplementedError(f"pipeline {self.pipeline.name} cannot train on a folder (--data) yet")
            units = self.user_units(inputs_folder(self.data_dir))
            self.loaded_user_data = load_user_data(
                self.data_dir,
                units,
                self.truth_names,
                self.truth_pattern,
                self.load_unit,
                self.val_fraction,
                seed,
                self.split_file,
            )
        return self.loaded_user_data

    def user_units(self, inputs: Path) -> list[Unit]:
        """The units ``predict`` would find in ``inputs``."""
        return self.pipeline.discover_units(inputs, self.pipeline.default_options())

    def truth_names(self, unit: Unit) -> list[Path]:
        """Where a unit's truth may be, in order of preference."""
        raise NotImplementedError

    def load_unit(self, item: LabelledUnit) -> Any:
        """A unit and its truth as the task's datasets take them; a bad one raises ``InputError``."""
        raise NotImplementedError

    def train_dataset(self, seed: int) -> torch.utils.data.Dataset:
        """Training data; a dataset may offer ``run_records() -> {file name: JSON}`` (a data split),
        which the harness writes into the run folder."""
        raise NotImplementedError(f"pipeline {self.pipeline.name} has no training data yet")

    def val_dataset(self, seed: int) -> torch.utils.data.Dataset:
        raise NotImplementedError(f"pipeline {self.pipeline.name} has no validation data yet")


def training_task(pipeline: Pipeline) -> TrainingTask:
    """The ``TrainingTask`` of ``pipeline``, its module imported now (see the module docstring)."""
    owner = next(c for c in type(pipeline).__mro__ if "training" in c.__dict__)  # Pipeline's: None
    target = owner.__dict__["training"]
    if target is None:
        raise NotImplementedError(f"pipeline {pipeline.name} cannot be trained (its class names no training)")
    if isinstance(target, str):  # relative to the declaring class's package, so a subclass elsewhere keeps it
        module, _, name = target.partition(":")
        package = owner.__module__.rpartition(".")[0]
        target = getattr(importlib.import_module(f"{package}.{module}"), name)
    return target(pipeline)

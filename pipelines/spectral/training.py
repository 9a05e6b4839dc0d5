"""spectral's training: cross-entropy on a class per patch or chip (or per labelled pixel of a
dense window), accuracy to pick the best checkpoint, Hierarchical Channel Sampling (Bao et al.,
ChannelViT, ICLR 2024) so a model still works with bands missing, and the data of each template
(``data.task``): patches around labelled pixels (scene), windows around them (dense_scene), chips.

Imported only by the training harness (``common/training.py``): prediction never loads the
generator, the training sets or the augmentation library.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..base import Batch
from ..common.training_task import TrainingTask
from ..common.user_data import LabelledUnit
from ..units import Unit
from . import landcover_data, training_data
from .bands import hierarchical_channel_sample
from .data import LabelledScene, PixelPatches, SparseWindows, TiledWindows
from .user_scenes import hyperspectral_scene, landcover_scene
from .windows import IGNORE


class SpectralTraining(TrainingTask):
    monitor = ("val/accuracy", "max")
    distills = True  # class logits per patch, chip or pixel
    truth_pattern = "truth/<unit>_classes.tif on its input's grid, 0 = unlabelled, or <unit>_classes.gpkg/.geojson"

    def __init__(self, pipeline):
        super().__init__(pipeline)
        self.sampler = torch.Generator().manual_seed(0)  # the band subsets, the same from run to run

    def forward(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        """Hierarchical Channel Sampling in training: each batch sees a random band subset."""
        x = batch["image"]
        if model.training and self.data_cfg.channel_sampling == "hcs":
            group_size = model.channel_group_size  # asked of the built backbone
            channels = hierarchical_channel_sample(x.shape[1], self.sampler, group_size=group_size).to(x.device)
            return model(x[:, channels], channel_ids=channels)
        return model(x)

    def loss(self, pred: torch.Tensor, batch: Batch) -> torch.Tensor:
        """A class per patch or chip, or (dense_scene) per pixel where labelled (IGNORE elsewhere)."""
        return F.cross_entropy(pred, batch["label"], label_smoothing=0.05, ignore_index=IGNORE)

    def metrics(self, pred: torch.Tensor, batch: Batch) -> dict[str, float]:
        labelled = batch["label"] != IGNORE
        return {"accuracy": float((pred.argmax(1) == batch["label"])[labelled].float().mean())}

    def labelled_scenes(self, seed: int) -> list:
        if self.data_dir:  # the user's scenes: every labelled pixel of a training scene trains
            user = self.user_data(seed)
            whole = lambda labels: np.argwhere(labels > 0)  # noqa: E731
            empty = np.zeros((0, 2), np.int64)
            return [LabelledScene(c, lab, whole(lab), empty) for c, lab in user.train] + [
                LabelledScene(c, lab, empty, whole(lab)) for c, lab in user.val
            ]
        return list(training_data.labelled_scenes(self.data_cfg, self.model_cfg.bands, seed))

    # -- the user's folder (train --data): scenes or products with a class map each
    def truth_names(self, unit: Unit) -> list[Path]:
        truth = self.data_dir / "truth"
        return [truth / f"{unit.name}_classes{suffix}" for suffix in (".tif", ".gpkg", ".geojson", ".shp")]

    def user_units(self, inputs: Path) -> list[Unit]:
        """As predict finds them, GeoTIFFs' bands named by ``data.sensor`` or ``data.wavelengths``
        where their descriptions do not name them (predict's ``--sensor``, ``--wavelengths``)."""
        data = self.data_cfg
        options = self.pipeline.make_options(sensor=data.sensor, wavelengths=data.wavelengths)
        return self.pipeline.discover_units(inputs, options)

    def load_unit(self, item: LabelledUnit):
        task = self.data_cfg.task
        if task == "chips":
            raise NotImplementedError("a chips model does not train on a folder (--data) yet")
        return (landcover_scene if task == "landcover" else hyperspectral_scene)(self.pipeline, item)

    def landcover_scenes(self, seed: int, validation: bool):
        if self.data_dir:
            user = self.user_data(seed)
            return user.val if validation else user.train
        return landcover_data.generated_scenes(self.model_cfg, self.data_cfg, validation=validation)

    def train_dataset(self, seed: int):
        task = self.data_cfg.task
        if task == "chips":
            return training_data.chips_train_dataset(self.pipeline, seed)
        if task == "dense_scene":
            return SparseWindows(self.labelled_scenes(seed), self.model_cfg.patch, self.data_cfg.brightness, seed=seed)
        if task == "landcover":
            scenes = self.landcover_scenes(seed, validation=False)
            names = self.model_cfg.band_names
            weights = None if self.data_dir else landcover_data.sensor_weights(self.model_cfg, self.data_cfg)
            return landcover_data.LandcoverWindows(
                scenes, self.model_cfg.patch, self.data_cfg.brightness, names, seed=seed, weights=weights
            )
        if self.data_dir:
            patch, brightness = self.model_cfg.patch, self.data_cfg.brightness
            return training_data.TrainingPixels(self.labelled_scenes(seed), "train", patch, brightness, seed=seed)
        return training_data.scene_train_dataset(self.pipeline, seed)

    def val_dataset(self, seed: int):
        task = self.data_cfg.task
        if task == "chips":
            return training_data.chips_val_dataset(self.pipeline, seed)
        if task == "dense_scene":
            return TiledWindows(self.labelled_scenes(seed), self.model_cfg.patch, self.data_cfg.val_pixels, seed + 1)
        if task == "landcover":
            scenes = self.landcover_scenes(seed, validation=True)
            return landcover_data.LandcoverTiles(scenes, self.model_cfg.patch)
        if self.data_dir:
            scenes, limit = self.labelled_scenes(seed), self.data_cfg.val_pixels
            return PixelPatches(scenes, "rest", self.model_cfg.patch, limit=limit, seed=seed + 1)
        return training_data.scene_val_dataset(self.pipeline, seed)

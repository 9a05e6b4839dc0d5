"""spectral: hyperspectral scene classification and multi-band chip classification.

Bao et al., "Channel Vision Transformers" (ChannelViT, with Hierarchical Channel Sampling), ICLR
2024; LoLA-SpecViT (a 3D-convolution spectral front end, local window attention, LoRA), 2025.

Two tasks, chosen by ``data.task`` and carried by the checkpoint:

- ``scene``: each pixel classified from the ``patch`` x ``patch`` neighbourhood around it;
  ``predict`` writes ``<scene>_classes.tif`` (the input's CRS and transform, 0 = no data) and
  ``<scene>_classes.png`` (colours and a legend). Large GeoTIFFs run strip by strip.
- ``chips``: a folder of multi-band chips in, ``predictions.csv`` out (class and probabilities).

``--bands`` keeps a subset of the model's bands (names or ranges, see ``bands.band_subset``), to
see how a model copes with missing bands; bands are also matched by wavelength when an input has
another band count than the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from hybridvision.backbones import SPECTRAL_CLASSIFIERS

from ..base import InputError, IOSpec, Pipeline, Sample, TensorSpec, Unit, is_ground_truth
from ..common.config import Component
from ..common.holes import fill_holes
from ..report import Report, Table
from . import training_data
from .bands import band_subset, hierarchical_channel_sample
from .chips import CHIP_SUFFIXES, classify_chips, write_predictions
from .cube_io import CUBE_SUFFIXES
from .library import SCENE_CLASSES, imaging_spectrometer
from .options import SPEC
from .scene import classify_strip, open_scene, scene_statistics, strips
from .writers import SceneWriter

DEFAULT_CLASSIFIER = {"dim": 48, "depth": 3, "heads": 4, "group_size": 8}


@dataclass(frozen=True)
class SpectralModelConfig:
    classifier: Component = field(default_factory=lambda: Component("channelvit", DEFAULT_CLASSIFIER))
    bands: int = 128
    wavelengths: tuple[float, ...] = ()  # nm; empty: the generator's sensor for ``bands``
    classes: tuple[str, ...] = tuple(c.name for c in SCENE_CLASSES)
    colours: tuple[tuple[int, int, int], ...] = tuple(c.colour for c in SCENE_CLASSES)
    patch: int = 9  # scene: pixel neighbourhood side; chips: chip side


@dataclass(frozen=True)
class SpectralDataConfig:
    task: Literal["scene", "chips"] = "scene"
    folders: tuple[str, ...] = ()  # samples-layout folders (inputs/, truth/) of your own data
    generated: int = 4  # generated scenes (or chips per class) to train on
    generated_seed: int = 0  # first seed; validation uses other seeds for chips
    scene_size: int = 145
    labelled_fraction: float = 0.05  # scene protocol: share of each class's pixels used for training
    labelled_per_class: int = 0  # or a fixed count per class (overrides the fraction)
    val_pixels: int = 1500
    channel_sampling: Literal["none", "hcs"] = "hcs"
    brightness: float = 0.2  # training brightness jitter (+/-)
    val_chips_per_class: int = 20


class SpectralPipeline(Pipeline):
    spec = SPEC
    model_config = SpectralModelConfig
    data_config = SpectralDataConfig
    monitor = ("val/accuracy", "max")

    def __init__(self, model: Any, data: Any):
        super().__init__(model, data)
        self.sampler = torch.Generator().manual_seed(0)

    @property
    def wavelengths(self) -> tuple[float, ...]:
        return self.model_cfg.wavelengths or imaging_spectrometer(self.model_cfg.bands).centres

    @property
    def io_spec(self) -> IOSpec:
        classes = self.model_cfg.classes
        return IOSpec(
            inputs={"image": TensorSpec(self.model_cfg.bands, 2)},
            outputs={"pred": TensorSpec(len(classes), 2, class_names=classes)},
        )

    def describe(self) -> dict[str, Any]:
        return {
            "task": self.data_cfg.task,
            "bands": self.model_cfg.bands,
            "wavelengths_nm": list(self.wavelengths),
            "classes": list(self.model_cfg.classes),
            "label_values": "class i is value i + 1 in class maps; 0 = unlabelled / no data",
            "intensity": "each cube divided by the 99th percentile of its valid values",
        }

    # -- model and training -------------------------------------------------------------
    def build_model(self) -> nn.Module:
        kwargs = {"image_size": self.model_cfg.patch} if "vit" in self.model_cfg.classifier.name else {}
        return self.model_cfg.classifier.build(
            SPECTRAL_CLASSIFIERS, bands=self.model_cfg.bands, classes=len(self.model_cfg.classes), **kwargs
        )

    def forward(self, model: nn.Module, batch: Sample) -> torch.Tensor:
        """Hierarchical Channel Sampling in training: each batch sees a random band subset."""
        x = batch["image"]
        if model.training and self.data_cfg.channel_sampling == "hcs":
            group_size = int(dict(self.model_cfg.classifier.kwargs).get("group_size", 1))
            channels = hierarchical_channel_sample(x.shape[1], self.sampler, group_size=group_size).to(x.device)
            return model(x[:, channels], channels=channels)
        return model(x)

    def loss(self, pred: torch.Tensor, batch: Sample) -> torch.Tensor:
        return F.cross_entropy(pred, batch["label"], label_smoothing=0.05)

    def metrics(self, pred: torch.Tensor, batch: Sample) -> dict[str, float]:
        return {"accuracy": float((pred.argmax(1) == batch["label"]).float().mean())}

    def train_dataset(self, seed: int):
        return training_data.train_dataset(self, seed)

    def val_dataset(self, seed: int):
        return training_data.val_dataset(self, seed)

    # -- samples and evaluation -----------------------------------------------------

    @classmethod
    def write_samples(cls, output: Path, count: int, seed: int, **options: Any) -> dict[str, Any]:
        from .samples import write_samples

        return write_samples(output, count, seed, **options)

    @classmethod
    def benchmark(cls, output: Path, log: Callable[[str], None], **options: Any) -> Report:
        from .benchmark import run_benchmark

        return run_benchmark(output, log, **options)

    @classmethod
    def score_report(cls, result: dict[str, Any]) -> Report:
        """The generic table plus accuracy per class, all cases pooled."""
        report = super().score_report(result)
        per_class = result["mean"].get("per_class_accuracy")
        if per_class:
            support = result["mean"].get("support", {})
            rows = [
                [label, "-" if accuracy is None else f"{accuracy:.2f}", str(support.get(label, ""))]
                for label, accuracy in per_class.items()
            ]
            columns = ["class", "accuracy", "pixels / files"]
            report.tables.append(Table("per-class accuracy (%), all cases pooled", columns, rows))
        return report

    @classmethod
    def evaluate(cls, pred: Path, truth: Path, **options: Any) -> dict[str, Any]:
        from .evaluate import evaluate_folders

        return evaluate_folders(Path(pred), Path(truth))

    # -- files -------------------------------------------------------------------------
    def discover_units(self, input_path: Path) -> list[Unit]:
        if self.data_cfg.task == "chips":
            files = [input_path] if input_path.is_file() else sorted(p for p in input_path.iterdir() if p.is_file())
            chips = tuple(p for p in files if p.suffix.lower() in CHIP_SUFFIXES and not is_ground_truth(p))
            return [Unit("predictions", chips)] if chips else []
        if input_path.is_file():
            return [Unit(input_path.name.split(".")[0], (input_path,))]
        cubes = [
            p
            for p in sorted(input_path.iterdir())
            if p.is_file() and p.suffix.lower() in CUBE_SUFFIXES and not is_class_map(p)
        ]
        return [Unit(p.name.split(".")[0], (p,)) for p in cubes]

    def output_names(self, unit: Unit) -> list[str]:
        if self.data_cfg.task == "chips":
            return ["predictions.csv"]
        return [f"{unit.name}_classes.tif", f"{unit.name}_classes.png"]

    def channels_for(self, bands: int, wavelengths: tuple[float, ...] | None, name: str) -> np.ndarray:
        """Model band index of each input band (-1: not used), after ``--bands``."""
        model_bands = self.model_cfg.bands
        if bands == model_bands:
            mapping = np.arange(bands)
        elif wavelengths:
            reference = np.asarray(self.wavelengths)
            spacing = float(np.median(np.diff(reference))) if len(reference) > 1 else 10.0
            nearest = np.abs(np.asarray(wavelengths)[:, None] - reference[None]).argmin(1)
            close = np.abs(np.asarray(wavelengths) - reference[nearest]) <= max(spacing, 5.0)
            mapping = np.where(close, nearest, -1)
            _, first = np.unique(mapping, return_index=True)  # one input band per model band
            mapping[np.setdiff1d(np.arange(bands), first)] = -1
            if (mapping >= 0).sum() == 0:
                raise InputError(f"{name}: no band within reach of the model's wavelengths")
        else:
            raise InputError(f"{name}: {bands} bands, the checkpoint takes {model_bands} (no wavelengths to match)")
        keep = set(band_subset(self.prediction_options["bands"], model_bands).tolist())
        return np.where(np.isin(mapping, list(keep)), mapping, -1)

    def predictor(self, model: nn.Module, channels: np.ndarray):
        """A function (N, C_in, P, P) normalised patches -> (N, classes) probabilities."""
        device = next(model.parameters()).device
        used = np.flatnonzero(channels >= 0)
        order = np.argsort(channels[used])
        inputs, indices = used[order], torch.as_tensor(channels[used][order], device=device)
        full = len(inputs) == self.model_cfg.bands

        def predict(patches: np.ndarray) -> np.ndarray:
            x = torch.from_numpy(np.ascontiguousarray(patches[:, inputs], np.float32)).to(device)
            with torch.inference_mode():
                logits = model(x) if full else model(x, channels=indices)
            return torch.softmax(logits.float(), 1).cpu().numpy()

        return predict

    def read(self, unit: Unit) -> Sample:
        if self.data_cfg.task == "chips":
            return {"files": unit.files, "name": unit.name}
        source = open_scene(unit.files[0])
        try:
            channels = self.channels_for(source.bands, source.wavelengths, unit.files[0].name)
        except InputError:
            source.close()
            raise
        return {"source": source, "channels": channels, "name": unit.name}

    def infer(self, model: nn.Module, sample: Sample) -> Sample:
        sample["model"] = model  # the work happens strip by strip while writing
        return sample

    def write(self, sample: Sample, paths: Mapping[str, Path]) -> None:
        model = sample["model"]
        if self.data_cfg.task == "chips":
            rows = classify_chips(sample["files"], self, model)
            write_predictions(rows, self.model_cfg.classes, paths["predictions.csv"])
            return
        source, channels = sample["source"], sample["channels"]
        name = sample["name"]
        patch = self.model_cfg.patch
        try:
            scale, channels = scene_statistics(source, channels)  # a dead band is a missing band
            if not (channels >= 0).any():
                raise InputError(f"{name}: every band the model would use is constant (dead or empty)")
            predict = self.predictor(model, channels)
            writer = SceneWriter(source, paths[f"{name}_classes.tif"], self.model_cfg.classes)
            with writer:
                halo, used = patch // 2, channels >= 0
                for row0, row1, data, holes in strips(source, 16, halo):
                    holes = holes & used[:, None, None]  # a band the model does not read drops no pixel
                    filled = fill_holes(data, holes, halo)  # a hole in a patch takes its neighbours' values
                    probabilities = classify_strip(filled / np.float32(scale), halo, patch, predict)
                    classes = (probabilities.argmax(-1) + 1).astype(np.uint8)
                    classes[holes[:, halo : halo + row1 - row0].any(0)] = 0  # no class where the pixel is a hole
                    writer.write(row0, row1, classes)
            writer.preview(paths[f"{name}_classes.png"], self.model_cfg.colours)
        finally:
            source.close()


def is_class_map(path: Path) -> bool:
    """Class maps beside cubes (``x_classes.tif``, ``x_gt.mat``) are not inputs."""
    stem = path.name.split(".")[0].lower()
    return stem.endswith("_classes") or is_ground_truth(path)

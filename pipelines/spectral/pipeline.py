"""spectral: hyperspectral scene classification and multi-band chip classification.

Bao et al., "Channel Vision Transformers" (ChannelViT, with Hierarchical Channel Sampling), ICLR
2024; LoLA-SpecViT (a 3D-convolution spectral front end, local window attention, LoRA), 2025.

Three templates (``templates.py``), chosen by ``data.task``, which the checkpoint carries; one CLI name:

- ``scene``: each pixel classified from the ``patch`` x ``patch`` neighbourhood around it;
  ``predict`` writes ``<scene>_classes.tif`` (the input's CRS and transform, 0 = no data) and
  ``<scene>_classes.png`` (colours and a legend). Large GeoTIFFs run strip by strip.
- ``dense_scene``: the same outputs from a per-pixel network over windows (a pretrained 2D encoder,
  a ``unet`` decoder), trained on sparse labelled pixels (``windows.py``).
- ``chips``: a folder of multi-band chips in, one unit each (``<chip>.csv``), gathered into
  ``predictions.csv`` (class and probabilities) when the batch ends.

``--bands`` keeps a subset of the model's bands (names or ranges, see ``bands.band_subset``), to
see how a model copes with missing bands; bands are also matched by wavelength when an input has
another band count than the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

import numpy as np
import torch
from torch import nn

from ..base import InputError, IOSpec, Pipeline, Sample, TensorSpec
from ..common.composition import build_composed
from ..common.config import Component
from ..common.products import find_products
from ..common.quantize import HEAVY_OPS
from ..report import Report, Table
from .bands import band_subset
from .files import SpectralFiles
from .landcover import largest_block
from .landcover_geotiff import find_geotiffs, names_satellite_bands
from .library import SCENE_CLASSES, imaging_spectrometer
from .model import migrate_state
from .model_block import migrate_model_block
from .options import SPEC
from .templates import TEMPLATES

PRODUCT_CHECKPOINT = "landcover"  # the shipped model for Sentinel-2 and Landsat products
DEFAULT_BACKBONE = {"dim": 48, "depth": 3, "heads": 4, "group_size": 8}


@dataclass(frozen=True)
class SpectralModelConfig:
    backbone: Component = field(default_factory=lambda: Component("channelvit", DEFAULT_BACKBONE))
    # classifier: pool "mean" (a ViT's 1 x 1 class token), or "centre_mean" for full-resolution backbones
    decoder: Component = field(default_factory=lambda: Component("classifier", {}))
    adapter: Component | None = None
    bands: int = 128
    wavelengths: tuple[float, ...] = ()  # nm; empty: the generator's sensor for ``bands``
    band_names: tuple[str, ...] = ()  # products' own band names (B02, SR_B4), one per band, when it reads products
    sensors: tuple[str, ...] = ()  # the products it reads (sentinel2, landsat): others are refused
    classes: tuple[str, ...] = tuple(c.name for c in SCENE_CLASSES)
    colours: tuple[tuple[int, int, int], ...] = tuple(c.colour for c in SCENE_CLASSES)
    patch: int = 9  # scene: pixel neighbourhood side; dense_scene: window side; chips: chip side


@dataclass(frozen=True)
class SpectralDataConfig:
    task: Literal["scene", "dense_scene", "chips", "landcover"] = "scene"
    folders: tuple[str, ...] = ()  # samples-layout folders (inputs/, truth/) of your own data
    generated: int = 4  # generated scenes (or chips per class) to train on
    generated_seed: int = 0  # first seed; validation uses other seeds for chips
    scene_size: int = 145
    # train --data: how to name the bands of GeoTIFFs that do not (predict's --sensor, --wavelengths)
    sensor: str = ""
    wavelengths: str = ""
    # landcover: generated Landsat scenes (0: as many as ``generated``), drawn as often as Sentinel-2's
    landsat_scenes: int = 0
    labelled_fraction: float = 0.05  # scene protocol: share of each class's pixels used for training
    labelled_per_class: int = 0  # or a fixed count per class (overrides the fraction)
    val_pixels: int = 1500
    channel_sampling: Literal["none", "hcs", "per_window"] = "hcs"  # per_window: landcover's, in its data
    brightness: float = 0.2  # training brightness jitter (+/-)
    val_chips_per_class: int = 20


class SpectralPipeline(SpectralFiles, Pipeline):
    spec = SPEC
    # the band average's sums stay in float: land cover's OA on 3 held-out products fell from 99.2 to
    # 82.0% with every operator in INT8, to 95.6% with the weight-carrying ones only
    int8_operators = HEAVY_OPS
    model_config = SpectralModelConfig
    data_config = SpectralDataConfig
    training = "training:SpectralTraining"  # loss, metrics, datasets: training.py, for the harness only

    def __init__(self, model: Any, data: Any):
        super().__init__(model, data)
        self.template = TEMPLATES[data.task](self)  # scene or chips: saved in the checkpoint's config

    def calibration_samples(self) -> dict[str, Any]:
        """Sentinel-2 products for the land-cover model, chips for a chips model, scenes otherwise."""
        by_task = {"landcover": {"kind": "multispectral", "product": "sentinel2"}, "chips": {"kind": "chips"}}
        return by_task.get(self.data_cfg.task, {})

    def int8_window(self, model: nn.Module, common: tuple[int, ...]) -> tuple[int, ...]:
        """The land-cover model's full block (a strip and its halo by a column block and its halo), to
        which smaller blocks are padded; the other models' windows are fixed patches or chips."""
        if self.data_cfg.task != "landcover":
            return common
        return (common[0], *largest_block(model))

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
            "intensity": "surface reflectance as the product's metadata gives it"
            if self.model_cfg.sensors
            else "each cube divided by the 99th percentile of its valid values",
        } | (
            {"sensors": list(self.model_cfg.sensors), "band_names": list(self.model_cfg.band_names)}
            if self.model_cfg.sensors
            else {}
        )

    @classmethod
    def shipped_checkpoint_for(cls, options: Mapping[str, Any]) -> str:
        """Satellite bands go to the land-cover model, which reads them: products, GeoTIFFs given
        ``--sensor`` or ``--wavelengths``, or whose band descriptions name them; the rest to ``scene``."""
        if options.get("sensor") or options.get("wavelengths"):
            return PRODUCT_CHECKPOINT
        source = options.get("input")
        if source is not None:
            path = Path(source)
            if find_products(path) or any(names_satellite_bands(p) for p in find_geotiffs(path)):
                return PRODUCT_CHECKPOINT
        return cls.default_checkpoint_stem

    # -- model -------------------------------------------------------------------------
    def build_model(self) -> nn.Module:
        model = self.model_cfg
        facts = {"wavelengths": tuple(self.wavelengths)}  # an inputs adapter starts from an RGB response
        per_pixel = model.decoder.name != "classifier"  # dense_scene: a map of class logits (unet)
        extra = {"out_channels" if per_pixel else "classes": len(model.classes)}
        return build_composed(model, model.bands, 2, extra, model.patch, facts)

    migrate_model_block = staticmethod(migrate_model_block)  # older configs: model_block.py
    migrate_state = staticmethod(migrate_state)  # older state dicts: model.py

    # -- evaluation ----------------------------------------------------------------------
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

    # -- options and the in-memory core, handed to the template (the files: files.py) ----
    def check_options(self, options: Any) -> None:
        """A bad option fails before any file is read."""
        if hasattr(self.template, "check_options"):  # landcover: product band names, --mask, --bbox
            return self.template.check_options(options)
        if options.sensor or options.wavelengths:
            raise ValueError(
                "--sensor and --wavelengths name a GeoTIFF's bands for the land-cover model (spectral/landcover)"
            )
        band_subset(options.bands, self.model_cfg.bands)

    def channels_for(
        self, bands: int, wavelengths: tuple[float, ...] | None, name: str, subset: str = "all"
    ) -> np.ndarray:
        """Model band index of each input band (-1: not used), keeping ``subset`` (``--bands``)."""
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
        keep = set(band_subset(subset, model_bands).tolist())
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
                logits = model(x) if full else model(x, channel_ids=indices)
            return torch.softmax(logits.float(), 1).cpu().numpy()

        return predict

    def preprocess(self, sample: Sample) -> Sample:
        return self.template.preprocess(sample)

    def infer(self, model: nn.Module, sample: Sample) -> Sample:
        return self.template.infer(model, sample)

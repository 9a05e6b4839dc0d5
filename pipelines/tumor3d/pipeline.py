"""tumor3d: brain-tumour sub-region segmentation from four MRI modalities (after Swin UNETR).

Hatamizadeh et al., "Swin UNETR: Swin Transformers for Semantic Segmentation of Brain Tumors in MRI
Images", BrainLes 2021. Input: T1, T1ce, T2, FLAIR, co-registered and skull-stripped. Output: the
BraTS label volume (1 necrotic / non-enhancing core, 2 oedema, 4 enhancing; 3 with --labels
brats2023) on the input's grid, from three sigmoid regions (WT, TC, ET).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from monai.data import MetaTensor
from monai.transforms import Invertd
from torch import nn

from ..base import IOSpec, Pipeline, Sample, TensorSpec
from ..common.composition import build_composed
from ..common.config import Component
from ..common.inference import flip_tta, sliding_window
from ..common.unfamiliar import smoothness_warning, volume_smoothness
from .dicom_input import load_series_map
from .files import Tumor3DFiles
from .modalities import MODALITIES
from .model import migrate_state
from .model_block import migrate_model_block
from .options import SPEC
from .skull import skull_warning
from .transforms import ENHANCING_LABEL, REGIONS, preprocessing, regions_to_label

OUTPUT_FORMATS = ("auto", "nifti", "dicom-seg", "both")


@dataclass(frozen=True)
class Tumor3DModelConfig:
    backbone: Component = field(default_factory=lambda: Component("hybrid_small", {"drop_path": 0.1}))
    # unet: the U-decoder; input_skip_channels: channels of the full-resolution skip from the input
    decoder: Component = field(default_factory=lambda: Component("unet", {"input_skip_channels": 16}))
    adapter: Component | None = None


@dataclass(frozen=True)
class Tumor3DDataConfig:
    spacing: tuple[float, float, float] = (1.5, 1.5, 1.5)  # model voxel spacing, mm
    roi: tuple[int, int, int] = (64, 64, 64)  # training crop and sliding-window size, voxels
    overlap: float = 0.5  # sliding-window overlap
    sw_batch_size: int = 2
    train_seeds: tuple[int, int] = (0, 80)  # generator seeds [start, stop) for training
    val_seeds: tuple[int, int] = (900, 904)
    generator_spacings: tuple[float, ...] = (1.5,)  # mm grids the generator builds cases on, in turn
    samples_per_case: int = 20  # random crops per case per epoch
    cache_dir: str | None = None  # where generated cases are kept (default ~/.cache/hybridvision)
    workers: int = 2  # processes generating cases
    solid_core_weight: float = 1.0  # how much more often cases with a non-enhancing core are drawn

    def __post_init__(self):
        if any(r % 32 or r < 32 for r in self.roi):
            raise ValueError(f"data.roi {list(self.roi)}: every side must be a multiple of 32 (the encoder's stride)")
        if not 0 <= self.overlap < 1:
            raise ValueError(f"data.overlap must be in [0, 1), got {self.overlap}")
        if any(s <= 0 for s in (*self.spacing, *self.generator_spacings)) or not self.generator_spacings:
            raise ValueError("data.spacing and data.generator_spacings must be positive")
        for name in ("train_seeds", "val_seeds"):
            start, stop = getattr(self, name)
            if stop <= start:
                raise ValueError(f"data.{name} [{start}, {stop}) is empty")


class Tumor3DPipeline(Tumor3DFiles, Pipeline):
    spec = SPEC
    model_config = Tumor3DModelConfig
    data_config = Tumor3DDataConfig
    training = "training:Tumor3DTraining"  # loss, metrics, datasets: training.py, for the harness only
    preprocess_ahead = True  # reorienting, resampling and normalising a volume: ~1 s a case off the GPU's path

    @property
    def io_spec(self) -> IOSpec:
        return IOSpec(
            inputs={"image": TensorSpec(4, 3, MODALITIES, value_range=(-5.0, 5.0))},
            outputs={"pred": TensorSpec(3, 3, REGIONS, value_range=(0.0, 1.0), class_names=REGIONS)},
        )

    def describe(self) -> dict[str, Any]:
        return {
            "labels": "BraTS 2021 (1 necrotic/non-enhancing core, 2 oedema, 4 enhancing); 2023 on request (3)",
            "regions": list(REGIONS),
            "spacing_mm": list(self.data_cfg.spacing),
            "roi": list(self.data_cfg.roi),
        }

    # -- model -------------------------------------------------------------------------
    def build_model(self) -> nn.Module:
        return build_composed(self.model_cfg, len(MODALITIES), 3, {"out_channels": len(REGIONS)})

    migrate_model_block = staticmethod(migrate_model_block)  # older configs: model_block.py
    migrate_state = staticmethod(migrate_state)  # older state dicts: model.py

    def sliding_window(self, model: nn.Module, image: torch.Tensor, settings: dict | None = None) -> torch.Tensor:
        """Gaussian-blended sliding-window logits for (B, 4, *S) of any size, under ``settings``
        (``window_settings``; None: the model's ROI and window batch in fp32)."""
        data = self.data_cfg
        if settings is None:
            return sliding_window(model, image, data.roi, data.sw_batch_size, data.overlap)
        roi, batch = [settings["roi"]] * 3, settings["window_batch"]
        if settings["precision"] == "fp32":
            return sliding_window(model, image, roi, batch, data.overlap)
        with torch.autocast(image.device.type, dtype=torch.bfloat16):
            return sliding_window(model, image, roi, batch, data.overlap).float()

    def window_settings(self, options: Any, device: torch.device | str) -> dict[str, Any]:
        """ROI, windows per call and precision for ``device``: on a CPU the model's own (small windows
        keep memory and the attention's cost low); on CUDA 128^3 windows, 4 a call, in bf16 (2-3x
        faster on an H200 than the shipped settings, within a 6 GB budget); each option overrides."""
        cuda = torch.device(device).type == "cuda"
        data = self.data_cfg
        precision = options.precision if options.precision != "auto" else ("bf16" if cuda else "fp32")
        return {
            "roi": options.roi or (128 if cuda else data.roi[0]),
            "window_batch": options.window_batch or (4 if cuda else data.sw_batch_size),
            "precision": precision,
            "overlap": data.overlap,
        }

    def inference_settings(self, options: Any, device: torch.device | str) -> dict[str, Any]:
        return self.window_settings(options, device)

    # -- options and the in-memory core (the files: files.py) ---------------------------
    def check_options(self, options: Any) -> None:
        if options.labels not in ENHANCING_LABEL:
            raise ValueError(f"--labels must be brats2021 or brats2023, got {options.labels!r}")
        if options.output_format not in OUTPUT_FORMATS:
            raise ValueError(f"--output-format must be {', '.join(OUTPUT_FORMATS)}, got {options.output_format!r}")
        if not 1 <= options.tta_flips <= 8:
            raise ValueError(f"--tta-flips must be 1 to 8, got {options.tta_flips}")
        if options.series_map:
            load_series_map(options.series_map)  # an unreadable map fails before any study is read
        if options.roi and (options.roi % 32 or options.roi < 32):
            raise ValueError(f"--roi {options.roi}: a multiple of 32 (the encoder's stride), or 0")
        if options.window_batch < 0:
            raise ValueError(f"--window-batch must be at least 1 (0: the device's), got {options.window_batch}")
        if options.precision not in ("auto", "fp32", "bf16"):
            raise ValueError(f"--precision must be auto, fp32 or bf16, got {options.precision!r}")

    def preprocess(self, sample: Sample) -> Sample:
        """Reorient, resample to ``data.spacing``, normalise, crop: the transform is kept to invert."""
        transform = preprocessing(self.data_cfg.spacing)
        smooth = volume_smoothness(sample.image)  # on the grid as read: resampling would smooth noise
        warnings = (
            smoothness_warning(smooth, "the volumes' voxels", "brain MRI at 1-2 mm"),
            skull_warning(sample.image, sample.meta["affine"]),  # a head straight from the scanner
        )
        sample.meta["warning"] = "; ".join(w for w in warnings if w) or None  # one line, both when both apply
        image = MetaTensor(torch.from_numpy(sample.image), affine=torch.as_tensor(sample.meta["affine"]))
        sample.meta |= {"transform": transform, "input_shape": sample.image.shape[1:]}
        sample.image = transform({"image": image})["image"]
        return sample

    def infer(self, model: nn.Module, sample: Sample) -> Sample:
        image = sample.image
        device = next(model.parameters()).device
        batch = image.as_tensor()[None].to(device)
        options = self.options_of(sample)
        settings = self.window_settings(options, device)
        if options.tta:  # mean WT/TC/ET, then their variance over the flips
            flips = options.tta_flips
            mean, variance = flip_tta(lambda x: torch.sigmoid(self.sliding_window(model, x, settings)), batch, flips)
            pred = torch.cat([mean, variance], dim=1)[0]
        else:
            pred = torch.sigmoid(self.sliding_window(model, batch, settings))[0]
        # left on the model's device: postprocess inverts the resampling there (MONAI's transforms
        # run on CUDA tensors), and only the result on the input's grid crosses to the CPU
        sample.pred = MetaTensor(pred, meta=image.meta, applied_operations=image.applied_operations)
        return sample

    def postprocess(self, sample: Sample) -> Sample:
        """The region probabilities back on the input's grid (the preprocessing inverted on the
        prediction's device), then on the CPU."""
        invert = Invertd(keys="pred", transform=sample.meta["transform"], orig_keys="image", nearest_interp=False)
        probabilities = invert({"image": sample.image, "pred": sample.pred})["pred"].as_tensor().cpu().numpy()
        if probabilities.shape[1:] != sample.meta["input_shape"]:
            raise RuntimeError(f"inverted prediction {probabilities.shape[1:]} != input {sample.meta['input_shape']}")
        options = self.options_of(sample)
        sample.meta["probabilities"] = probabilities[: len(REGIONS)]
        sample.meta["variance"] = probabilities[len(REGIONS) :] if options.tta else None
        sample.pred = regions_to_label(sample.meta["probabilities"] > 0.5, options.labels)
        return sample

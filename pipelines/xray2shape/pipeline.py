"""xray2shape: two orthogonal radiographs (AP + lateral) to a 3D bone label volume and a mesh (after Swin-X2S).

Liu et al., "Swin-X2S: Reconstructing 3D Shape from 2D Biplanar X-ray with Swin Transformers",
arXiv:2501.05961, 2025. Input: a pair ``<case>_ap.*`` and ``<case>_lat.*`` (PNG, TIFF, DICOM; see
``io`` for reading, spacing, windowing and resizing). Output: ``<case>_seg.nii.gz``, the label
volume on the model's fixed grid (``model.grid`` voxels of ``model.spacing_mm``, RAS, centred at the
world origin, the isocentre of the views), and ``<case>.glb``, one mesh node per label in millimetres
of the same world frame (``common.mesh``). Labels: femur 1 femur, 2 pelvis; spine 1-5 = L1-L5.
Training pairs are DRRs of generated phantoms (``training.py``, ``training_data.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

import numpy as np
import torch
from torch import nn

from ..base import IOSpec, Pipeline, Sample, TensorSpec
from ..common.composition import build_backbone_of, build_decoder_of
from ..common.config import Component
from ..common.unfamiliar import bones_warning
from .files import VIEWS, X2SFiles
from .geometry import ANATOMIES, detector_spacing_mm, grid_affine, image_shape
from .io import prepare_view
from .model import XRAY_DECODERS, BiplanarReconstructor, migrate_state
from .model_block import migrate_model_block
from .options import SPEC, default_stem


@dataclass(frozen=True)
class X2SModelConfig:
    backbone: Component = field(default_factory=lambda: Component("hybrid_tiny", {"drop_path": 0.0}))
    # cross_view (model.py): 3D channels per level, fine to coarse; heads of the cross-view attention
    decoder: Component = field(
        default_factory=lambda: Component("cross_view", {"volume_channels": (8, 16, 32, 48, 64), "attention_heads": 4})
    )
    adapter: Component | None = None
    anatomy: Literal["femur", "spine"] = "femur"
    grid: tuple[int, int, int] = (64, 64, 64)  # output voxels (X, Y, Z); X == Y; multiples of 16
    spacing_mm: float = 2.0  # isotropic voxel size of the output grid

    def __post_init__(self):
        if self.grid[0] != self.grid[1]:
            raise ValueError(f"model.grid {list(self.grid)}: X and Y must be equal (both views share one size)")
        if any(g % 16 or g < 16 for g in self.grid):
            raise ValueError(f"model.grid {list(self.grid)}: every side must be a multiple of 16")
        if self.spacing_mm <= 0:
            raise ValueError(f"model.spacing_mm must be positive, got {self.spacing_mm}")

    @property
    def label_names(self) -> dict[int, str]:
        return dict(ANATOMIES[self.anatomy].label_names)


@dataclass(frozen=True)
class X2SDataConfig:
    pool_size: int = 48  # phantoms kept in memory
    refresh_every: int = 8  # draws between replacing one pooled phantom with a new seed (0: a fixed pool)
    samples_per_epoch: int = 512
    train_seed_start: int = 1_000_000
    val_seeds: tuple[int, int] = (10_000, 10_004)  # [start, stop)
    source_to_isocentre_mm: tuple[float, float] = (900.0, 1100.0)
    magnification: tuple[float, float] = (1.1, 1.3)
    scale_jitter: float = 0.03  # pixel size drawn in [1 - j, 1 + j] x nominal
    photons: tuple[float, float] = (3000.0, 50000.0)  # unattenuated photons per pixel (log-uniform)
    blur_px: tuple[float, float] = (0.0, 1.2)  # detector blur sigma, pixels
    gamma: tuple[float, float] = (0.7, 1.4)  # contrast curve after windowing (log-uniform)
    mirror_probability: float = 0.0  # left-right mirrored phantoms (a left femur from a right one)

    def __post_init__(self):
        if self.pool_size < 1 or self.samples_per_epoch < 1:
            raise ValueError("data.pool_size and data.samples_per_epoch must be at least 1")
        if self.val_seeds[1] <= self.val_seeds[0]:
            raise ValueError(f"data.val_seeds {list(self.val_seeds)} is empty")
        for name in ("source_to_isocentre_mm", "magnification", "photons", "gamma"):
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise ValueError(f"data.{name} must be an increasing pair of positive numbers")


class X2SPipeline(X2SFiles, Pipeline):
    spec = SPEC
    model_config = X2SModelConfig
    data_config = X2SDataConfig
    training = "training:X2STraining"  # loss, metrics, datasets: training.py, for the harness only

    @property
    def class_names(self) -> tuple[str, ...]:
        return ("background", *self.model_cfg.label_names.values())

    @property
    def image_shape(self) -> tuple[int, int]:
        return image_shape(self.model_cfg.grid)

    @property
    def detector_pixel_spacing_mm(self) -> float:
        return detector_spacing_mm(self.model_cfg.spacing_mm)

    @property
    def io_spec(self) -> IOSpec:
        return IOSpec(
            inputs={"image": TensorSpec(2, 2, ("ap", "lateral"), value_range=(0.0, 1.0))},
            outputs={"pred": TensorSpec(len(self.class_names), 3, class_names=self.class_names)},
        )

    def describe(self) -> dict[str, Any]:
        model = self.model_cfg
        return {
            "anatomy": model.anatomy,
            "labels": {str(k): v for k, v in model.label_names.items()},
            "grid": list(model.grid),
            "spacing_mm": model.spacing_mm,
            "field_of_view_mm": [g * model.spacing_mm for g in model.grid],
            "image_shape": list(self.image_shape),
            "detector_pixel_spacing_mm": self.detector_pixel_spacing_mm,
            "views": "channel 0 AP, 1 lateral; rows superior to inferior; AP columns patient right to left, "
            "lateral columns anterior to posterior",
            "output_frame": "RAS, grid centred at the world origin (the views' isocentre)",
        }

    # -- model -------------------------------------------------------------------------
    def build_model(self) -> nn.Module:
        model = self.model_cfg
        backbone = build_backbone_of(model, in_channels=1, spatial_dims=2)
        task = {"grid": model.grid, "classes": len(self.class_names)}
        return BiplanarReconstructor(backbone, build_decoder_of(model, backbone, task, XRAY_DECODERS))

    migrate_model_block = staticmethod(migrate_model_block)  # older configs: model_block.py
    migrate_state = staticmethod(migrate_state)  # older state dicts: model.py

    # -- options and the in-memory core (the files: files.py) ---------------------------
    @classmethod
    def shipped_checkpoint_for(cls, options: Mapping[str, Any]) -> str:
        return default_stem(options.get("anatomy") or cls.default_checkpoint_stem)

    def model_summary(self) -> str:
        return self.model_cfg.anatomy

    def check_options(self, options: Any) -> None:
        if options.pixel_spacing < 0:
            raise ValueError(f"--pixel-spacing must be positive (or 0: from the files), got {options.pixel_spacing}")
        anatomy = options.anatomy
        if anatomy and anatomy not in ANATOMIES:
            raise ValueError(f"--anatomy must be {' or '.join(ANATOMIES)}, got {anatomy!r}")
        if anatomy and anatomy != self.model_cfg.anatomy:
            raise ValueError(
                f"--anatomy {anatomy}: this checkpoint reconstructs the {self.model_cfg.anatomy}; "
                f"leave out --checkpoint to use the shipped {anatomy} model"
            )

    def preprocess(self, sample: Sample) -> Sample:
        """Both views to the model's detector grid, stacked (2, H, W): AP then lateral."""
        override = self.options_of(sample).pixel_spacing or None
        views = sample.image
        images = [prepare_view(views[v], self.image_shape, self.detector_pixel_spacing_mm, override) for v in VIEWS]
        sample.image = torch.from_numpy(np.stack(images))
        return sample

    def infer(self, model: nn.Module, sample: Sample) -> Sample:
        device = next(model.parameters()).device
        logits = model(sample.image[None].to(device))[0]
        sample.pred = logits.argmax(0).to(torch.uint8).cpu().numpy()
        confidence = torch.softmax(logits.float(), 0).max(0).values.cpu().numpy()
        sample.meta["warning"] = bones_warning(sample.pred, confidence, self.model_cfg.label_names)
        return sample

    def postprocess(self, sample: Sample) -> Sample:
        """The labels' place: the model's grid, centred on the views' isocentre, in millimetres."""
        sample.meta["affine"] = grid_affine(self.model_cfg.grid, self.model_cfg.spacing_mm)
        return sample

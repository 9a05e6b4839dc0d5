"""The models ``hybridvision bench superres`` times: spandrel references with random weights, and ours.

Pairs (reference, ours) are measured in the same run; see ``benchmark.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SWINIR_LIGHT = "SwinIR-light (spandrel)"
HAT_REFERENCE = "HAT, hat_small dims (spandrel)"
OURS_X4 = "ours: shipped x4 (hat_light), by luma"
OURS_X4_BANDS = "ours: shipped x4 (hat_light), by bands"
OURS_HAT_SMALL = "ours: hat_small x4"
OURS_DLGSA = "ours: dlgsa_light x4 (DLGSANet body, the x4 head), by luma"
PAIRS = (
    (SWINIR_LIGHT, OURS_X4),
    (SWINIR_LIGHT, OURS_X4_BANDS),
    (SWINIR_LIGHT, OURS_DLGSA),
    (HAT_REFERENCE, OURS_HAT_SMALL),
)
SCALE = 4


def build_reference(name: str, scale: int = SCALE, in_chans: int = 3) -> nn.Module:
    """A spandrel architecture with random weights (nothing is downloaded), in eval mode."""
    with warnings.catch_warnings():  # its attention masks call torch.meshgrid without indexing=
        warnings.filterwarnings("ignore", message="torch.meshgrid", category=UserWarning)
        return reference_model(name, scale, in_chans).eval()


def reference_model(name: str, scale: int, in_chans: int) -> nn.Module:
    if name == SWINIR_LIGHT:
        from spandrel.architectures.SwinIR import SwinIR

        model = SwinIR(
            upscale=scale,
            in_chans=in_chans,
            img_size=64,
            window_size=8,
            img_range=1.0,
            depths=[6, 6, 6, 6],
            embed_dim=60,
            num_heads=[6, 6, 6, 6],
            mlp_ratio=2.0,
            upsampler="pixelshuffledirect",
            resi_connection="1conv",
        )
    elif name == HAT_REFERENCE:
        from spandrel.architectures.HAT import HAT

        model = HAT(
            upscale=scale,
            in_chans=in_chans,
            img_size=64,
            window_size=16,
            compress_ratio=3,
            squeeze_factor=16,
            conv_scale=0.01,
            overlap_ratio=0.5,
            img_range=1.0,
            depths=[6] * 6,
            embed_dim=96,
            num_heads=[6] * 6,
            mlp_ratio=2.0,
            upsampler="pixelshuffle",
            resi_connection="1conv",
        )
    else:
        raise ValueError(f"unknown reference {name!r}")
    return model


def shipped(scale: int) -> Path:
    from hybridvision.pipelines.common.checkpoint import shipped_checkpoints

    for path in shipped_checkpoints():
        if path.parent.name == "superres" and path.stem == f"x{scale}":
            return path
    raise FileNotFoundError(f"shipped superres x{scale} checkpoint not found")


def build_ours(name: str):
    """(pipeline, model) for one of our throughput models."""
    from hybridvision.pipelines.common.checkpoint import load_checkpoint

    if name in (OURS_X4, OURS_X4_BANDS):
        pipeline, model, _ = load_checkpoint(shipped(SCALE))
        return pipeline, model
    from hybridvision.pipelines.common.config import Component
    from hybridvision.pipelines.superres.pipeline import SuperresDataConfig, SuperresModelConfig, SuperresPipeline

    if name == OURS_HAT_SMALL:
        config = SuperresModelConfig(
            backbone=Component("hat_small", {}),
            decoder=Component("pixel_shuffle", {"hidden": 64}),
            scale=SCALE,
            bands=3,
        )
    elif name == OURS_DLGSA:  # the shipped x4's head and band handling on a DLGSANet body (speed only)
        config = SuperresModelConfig(
            backbone=Component("dlgsa_light", {}),
            decoder=Component("pixel_shuffle", {"hidden": 32, "direct": True}),
            scale=SCALE,
            bands=1,
        )
    else:
        raise ValueError(f"unknown model {name!r}")
    pipeline = SuperresPipeline(config, SuperresDataConfig())
    return pipeline, pipeline.build_model().eval()


def upscaler(name: str) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    """``(3, h, w) [0, 1] -> (3, h*4, w*4)`` for a bench model, and its parameter count."""
    if name in (SWINIR_LIGHT, HAT_REFERENCE):
        model = build_reference(name)

        def run(data: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return model(torch.from_numpy(data)[None])[0].clamp(0, 1).numpy()

    else:
        pipeline, model = build_ours(name)
        luma = name in (OURS_X4, OURS_DLGSA)

        def run(data: np.ndarray) -> np.ndarray:
            return pipeline.predict_array(model, data, luma)

    return run, sum(p.numel() for p in model.parameters())


class Interpolate(nn.Module):
    """Identity-like stand-in for the network: nearest-neighbour upscaling by ``scale``.

    It holds one (unused) parameter because ``SuperresPipeline.predict_array`` reads the device
    from the model's parameters.
    """

    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale
        self.anchor = nn.Parameter(torch.zeros(()), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="nearest")

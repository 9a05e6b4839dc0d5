"""``hybridvision samples superres``: the hold-out images, downsampled, in the common samples layout.

``OUT/inputs/<name>.png`` (bicubic-downsampled, antialiased), ``OUT/truth/<name>.png`` (the original,
cropped to a multiple of the scale), ``OUT/manifest.json``. These images are never trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..common.atomic import atomic_outputs, write_json_atomic
from .degrade import bicubic_downsample, crop_to_multiple
from .io import save_pillow
from .training_data import HOLDOUT, load_unit_image, skimage_images


def to_uint8(image: np.ndarray) -> np.ndarray:
    """(H, W, C) in [0, 1] -> (C, H, W) uint8."""
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8).transpose(2, 0, 1)


def write_samples(output: Path, count: int, seed: int, scale: int = 4, progress: Callable[[str], None] = print) -> dict:
    if scale not in (2, 4):
        raise ValueError(f"--scale must be 2 or 4, got {scale}")
    output = Path(output)
    (output / "inputs").mkdir(parents=True, exist_ok=True)
    (output / "truth").mkdir(parents=True, exist_ok=True)
    paths = skimage_images(HOLDOUT)[:count]
    cases = []
    for path in paths:
        progress(f"{path.stem}")
        high = crop_to_multiple(load_unit_image(path), scale)
        truth = to_uint8(high)
        low = bicubic_downsample(torch.from_numpy(truth.astype(np.float32) / 255)[None], scale)[0].numpy()
        low = to_uint8(low.transpose(1, 2, 0))
        mode = "L" if truth.shape[0] == 1 else None
        with atomic_outputs(
            {"in": output / "inputs" / f"{path.stem}.png", "truth": output / "truth" / f"{path.stem}.png"}
        ) as temps:
            save_pillow(low, temps["in"], mode)
            save_pillow(truth, temps["truth"], mode)
        cases.append({"name": f"{path.stem}.png", "truth_size": list(truth.shape[1:]), "source": path.name})
    manifest = {
        "pipeline": "superres",
        "scale": scale,
        "seed": seed,
        "degradation": "bicubic, antialiased",
        "hold_out": list(HOLDOUT),
        "cases": cases,
    }
    write_json_atomic(output / "manifest.json", manifest)
    return manifest

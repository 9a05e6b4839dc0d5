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
from .io import save_pillow, to_uint8
from .training_data import HOLDOUT, load_unit_image, skimage_images


def write_samples(
    output: Path,
    count: int,
    seed: int,
    scale: int = 4,
    domain: str = "photos",
    product: str = "",
    progress: Callable[[str], None] = print,
) -> dict:
    """Hold-out images, downsampled, as predict's inputs and evaluate's truth; or satellite products.

    Args:
        domain: ``photos`` (scikit-image's hold-out photos) or ``radiology`` (pydicom-data's held-out
            clinical images, a domain the shipped models never trained on; see dicom_domain.py).
        product: ``sentinel2`` or ``landsat``: ``count`` small products in their real layout in
            ``OUT/inputs`` (``common/product_samples.py``), to upscale as they are; no truth.
    """
    if product:
        from ..common.product_samples import write_products

        return write_products(Path(output), count, seed, product, "superres", progress)
    if scale not in (2, 4):
        raise ValueError(f"--scale must be 2 or 4, got {scale}")
    if domain == "photos":
        images = [(path.stem, load_unit_image(path)) for path in skimage_images(HOLDOUT)[:count]]
    elif domain == "radiology":
        from .dicom_domain import held_out_images

        images = held_out_images()[:count]
    else:
        raise ValueError(f"--domain must be photos or radiology, got {domain!r}")
    output = Path(output)
    (output / "inputs").mkdir(parents=True, exist_ok=True)
    (output / "truth").mkdir(parents=True, exist_ok=True)
    cases = [write_pair(output, name, image, scale, progress) for name, image in images]
    manifest = {
        "pipeline": "superres",
        "scale": scale,
        "seed": seed,
        "domain": domain,
        "degradation": "bicubic, antialiased",
        "hold_out": [name for name, _ in images],
        "cases": cases,
    }
    write_json_atomic(output / "manifest.json", manifest)
    return manifest


def write_pair(output: Path, name: str, image: np.ndarray, scale: int, progress: Callable[[str], None]) -> dict:
    """``inputs/<name>.png`` (bicubic-downsampled) and ``truth/<name>.png`` of one (H, W, C) image in [0, 1]."""
    progress(name)
    truth = to_uint8(crop_to_multiple(image, scale))
    low = bicubic_downsample(torch.from_numpy(truth.astype(np.float32) / 255)[None], scale)[0].numpy()
    low = to_uint8(low.transpose(1, 2, 0))
    mode = "L" if truth.shape[0] == 1 else None
    with atomic_outputs({"in": output / "inputs" / f"{name}.png", "truth": output / "truth" / f"{name}.png"}) as temps:
        save_pillow(low, temps["in"], mode)
        save_pillow(truth, temps["truth"], mode)
    return {"name": f"{name}.png", "truth_size": list(truth.shape[1:]), "source": name}

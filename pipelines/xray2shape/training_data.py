"""Training pairs for xray2shape, generated on the fly: phantom -> attenuation -> AP + lateral DRRs.

Each case is a bone phantom (``phantoms``) built directly on the model's grid (its shape and spacing,
so labels need no resampling), turned into attenuation (``drr.hu_to_attenuation``) and rendered as
two cone-beam DRRs (``drr.render_views``) on a detector of ``2 Z x 2 X`` pixels: two image pixels per
grid voxel at the isocentre, so the volume fills the detector. Training views are augmented:

- geometry: source-to-isocentre distance and magnification drawn per sample (cone divergence varies),
  pixel size jittered by a few percent (a calibration error); optional left-right mirroring;
- quantum noise: transmitted intensity ``exp(-line integral)`` with Poisson-like noise for a drawn
  photon count per pixel, back to the log domain;
- a detector blur, then the same windowing as real input (``io.normalise_intensity``), then
  a random gamma (contrast curve).

Phantom generation (0.2-0.4 s at 64^3) would dominate a training step, so a dataset keeps a pool of
phantoms in memory, built once, and replaces one pooled phantom with a new seed every
``refresh_every`` draws (new anatomy keeps arriving at a bounded cost). Training seeds count up from
``train_seed_start`` (1,000,000 by default, far from the validation seeds 10,000+ and from the seeds
``hybridvision samples`` uses, 1000+ by default). Validation cases are fixed: held-out seeds, nominal
geometry, noise seeded by the case, no augmentation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, get_worker_info

from .drr import ConeBeamGeometry, hu_to_attenuation, render_views
from .geometry import ANATOMIES, NOMINAL_MAGNIFICATION, NOMINAL_SOURCE_TO_ISOCENTRE_MM, detector_spacing_mm, image_shape
from .io import normalise_intensity


def render_pair(
    mu: torch.Tensor,
    spacing_mm: float,
    detector_shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    source_to_isocentre_mm: float = NOMINAL_SOURCE_TO_ISOCENTRE_MM,
    magnification: float = NOMINAL_MAGNIFICATION,
    scale: float = 1.0,
    photons: float = 20000.0,
    blur_px: float = 0.0,
    gamma: float = 1.0,
) -> torch.Tensor:
    """AP and lateral views of an attenuation volume, noisy and windowed: (2, rows, columns) in [0, 1].

    Args:
        mu: (X, Y, Z) attenuation per mm.
        detector_shape: (rows, columns).
        scale: pixel size factor (1.02: pixels 2% larger than nominal, the anatomy looks 2% smaller).
        photons: unattenuated photons per pixel (quantum noise); 0 for none.
        blur_px: Gaussian detector blur, in pixels (sigma).
        gamma: contrast curve applied after windowing.
    """
    geometry = ConeBeamGeometry(
        source_to_isocentre_mm=source_to_isocentre_mm,
        source_to_detector_mm=source_to_isocentre_mm * magnification,
        detector_shape=detector_shape,
        detector_spacing_mm=detector_spacing_mm(spacing_mm, magnification) * scale,
    )
    views = render_views(mu, spacing_mm, geometry)
    out = []
    for view in ("ap", "lateral"):
        integral = views[view].line_integral
        if photons > 0:
            transmitted = torch.exp(-integral)
            noise = torch.from_numpy(rng.standard_normal(tuple(integral.shape)).astype(np.float32))
            transmitted = (transmitted + noise * torch.sqrt(transmitted / photons)).clamp(min=0.5 / photons)
            integral = -torch.log(transmitted)
        if blur_px > 0.1:
            integral = gaussian_blur(integral, blur_px)
        image = torch.from_numpy(normalise_intensity(integral))
        out.append(image.pow(gamma) if gamma != 1.0 else image)
    return torch.stack(out)


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of a (rows, columns) image, edges replicated."""
    radius = max(1, int(math.ceil(3 * sigma)))
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    x = F.pad(image[None, None], (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1))
    x = F.conv2d(x, kernel.view(1, 1, -1, 1))
    return x[0, 0]


def make_case(anatomy: str, seed: int, grid: tuple[int, int, int], spacing_mm: float) -> dict[str, torch.Tensor]:
    """A phantom on the model grid: ``mu`` (X, Y, Z) float32 attenuation and ``label`` (X, Y, Z) uint8."""
    phantom = ANATOMIES[anatomy].phantom(seed, tuple(grid), spacing_mm)
    return {
        "mu": torch.from_numpy(np.ascontiguousarray(hu_to_attenuation(phantom.hu), dtype=np.float32)),
        "label": torch.from_numpy(phantom.labels.astype(np.uint8)),
    }


class PhantomPairDataset(Dataset):
    """Augmented DRR pairs of a refreshed pool of phantoms; ``samples_per_epoch`` items an epoch.

    Items: ``image`` (2, rows, columns) float32 (AP, lateral) and ``label`` (1, X, Y, Z) int64.

    Args:
        anatomy: "femur" or "spine".
        grid, spacing_mm: the model grid.
        data: the pipeline's data config (pool, refresh and augmentation ranges).
        seed: the run's seed (augmentation draws).
        fixed: replay the same ``samples_per_epoch`` pairs every epoch (a frozen trunk's features
            can then be cached: ``train.feature_cache``).
    """

    def __init__(
        self, anatomy: str, grid: tuple[int, int, int], spacing_mm: float, data: Any, seed: int, fixed: bool = False
    ):
        self.anatomy, self.grid, self.spacing_mm, self.data = anatomy, tuple(grid), spacing_mm, data
        self.fixed = fixed  # item i: the same phantom and draws every epoch, the pool never refreshed
        self.detector_shape = image_shape(self.grid)
        self.seed = seed
        self.rng = np.random.default_rng([seed, 17])
        self.rng_worker: int | None = None  # the data-loader worker the generator was split for
        start = data.train_seed_start
        self.pool = [make_case(anatomy, start + i, self.grid, spacing_mm) for i in range(data.pool_size)]
        self.refreshed = 0  # phantoms made after the pool, by this process
        self.draws = 0

    def _new_case(self) -> dict[str, torch.Tensor]:
        """The next unused training seed (data-loader workers interleave, so none repeats)."""
        worker = get_worker_info()
        workers, index = (worker.num_workers, worker.id) if worker else (1, 0)
        seed = self.data.train_seed_start + self.data.pool_size + self.refreshed * workers + index
        self.refreshed += 1
        return make_case(self.anatomy, seed, self.grid, self.spacing_mm)

    def __len__(self) -> int:
        return self.data.samples_per_epoch

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        worker = get_worker_info()
        if worker is not None and self.rng_worker != worker.id:  # workers start with copies: split the stream
            self.rng, self.rng_worker = np.random.default_rng([self.seed, 17, worker.id + 1]), worker.id
        data, rng = self.data, self.rng
        if self.fixed:
            rng = np.random.default_rng([self.seed, 17, index])
        self.draws += 1
        if data.refresh_every and self.draws % data.refresh_every == 0 and not self.fixed:
            self.pool[int(rng.integers(len(self.pool)))] = self._new_case()
        case = self.pool[int(rng.integers(len(self.pool)))]
        mu, label = case["mu"], case["label"]
        if rng.random() < data.mirror_probability:  # a left side from a right one: flip x
            mu, label = mu.flip(0), label.flip(0)
        image = render_pair(
            mu,
            self.spacing_mm,
            self.detector_shape,
            rng,
            source_to_isocentre_mm=rng.uniform(*data.source_to_isocentre_mm),
            magnification=rng.uniform(*data.magnification),
            scale=1 + rng.uniform(-data.scale_jitter, data.scale_jitter),
            photons=float(np.exp(rng.uniform(*np.log(data.photons)))),
            blur_px=rng.uniform(*data.blur_px),
            gamma=float(np.exp(rng.uniform(*np.log(data.gamma)))),
        )
        return {"image": image, "label": label[None].long()}


class FixedPairDataset(Dataset):
    """Validation: held-out seeds rendered once at the nominal geometry, noise seeded by the case."""

    def __init__(self, anatomy: str, grid: tuple[int, int, int], spacing_mm: float, seeds: range):
        shape = image_shape(tuple(grid))
        self.items = []
        for seed in seeds:
            case = make_case(anatomy, seed, tuple(grid), spacing_mm)
            image = render_pair(case["mu"], spacing_mm, shape, np.random.default_rng(seed))
            self.items.append({"image": image, "label": case["label"][None].long()})

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.items[index]

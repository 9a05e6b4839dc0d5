"""Training data for tumor3d: generated cases, preprocessed like real input, cached on disk.

Each case is made by the generator from its seed, written through the same preprocessing as a
user's scan (orientation, spacing, z-score, brain crop), and kept in a cache folder so later runs
start at once. Training draws random tumour-biased crops with augmentation from the cached cases.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from monai.data import MetaTensor
from torch.utils.data import Dataset

from ..common.atomic import atomic_outputs
from .generator import MODALITIES, GeneratorRanges, generate_case
from .transforms import augmentation, label_to_regions, preprocessing


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hybridvision" / "tumor3d"


def case_tensors(seed: int, ranges: GeneratorRanges, spacing: Sequence[float]) -> dict[str, torch.Tensor]:
    """Generate one case and preprocess it as prediction would: image (4, *S), label (1, *S)."""
    case = generate_case(seed, ranges)
    affine = torch.as_tensor(case.affine, dtype=torch.float64)
    image = torch.from_numpy(np.stack([case.images[m] for m in MODALITIES]).astype(np.float32))
    data = {
        "image": MetaTensor(image, affine=affine),
        "label": MetaTensor(torch.from_numpy(case.label[None].astype(np.float32)), affine=affine),
    }
    out = preprocessing(spacing, keys=("image", "label"))(data)
    return {"image": out["image"].as_tensor().contiguous(), "label": out["label"].as_tensor().to(torch.uint8)}


def cache_key(ranges: GeneratorRanges, spacing: Sequence[float]) -> str:
    text = json.dumps({"ranges": asdict(ranges), "spacing": list(spacing), "version": 1}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _make_cached(args) -> Path:
    seed, ranges, spacing, path = args
    if not path.exists():
        import torch as _torch

        _torch.set_num_threads(1)
        tensors = case_tensors(seed, ranges, spacing)
        with atomic_outputs({"case": path}) as temps:
            _torch.save(tensors, temps["case"])
    return path


def cached_cases(
    seeds: Sequence[int], ranges: GeneratorRanges, spacing: Sequence[float], cache_dir: Path | None, workers: int
) -> list[dict[str, torch.Tensor]]:
    """Preprocessed cases for ``seeds``, generated in parallel the first time, then read back."""
    folder = (cache_dir or default_cache_dir()) / cache_key(ranges, spacing)
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(seed, ranges, tuple(spacing), folder / f"case_{seed}.pt") for seed in seeds]
    if workers > 1 and any(not job[3].exists() for job in jobs):
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            paths = pool.map(_make_cached, jobs)
    else:
        paths = [_make_cached(job) for job in jobs]
    return [torch.load(path, weights_only=True) for path in paths]


def has_solid_core(case: dict[str, torch.Tensor]) -> bool:
    """A tumour core without an enhancing rim (label 1 present, 4 absent), as in lower-grade tumours."""
    label = case["label"]
    return bool((label == 1).any()) and not bool((label == 4).any())


class CropDataset(Dataset):
    """Random augmented crops of cached cases; ``samples_per_case`` crops per case an epoch (drawn
    afresh, or with ``fixed`` the same ones every epoch: a frozen trunk's features can then be cached).

    ``solid_core_weight`` > 1 draws cases whose core has no enhancing rim more often (they are rarer
    and harder: the core must be told from oedema without the bright rim).
    """

    def __init__(
        self,
        cases: list[dict[str, torch.Tensor]],
        roi: Sequence[int],
        samples_per_case: int,
        seed: int,
        solid_core_weight: float = 1.0,
        fixed: bool = False,
    ):
        self.cases = cases
        self.samples_per_case = samples_per_case
        self.transform = augmentation(roi)
        self.transform.set_random_state(seed)
        self.seed, self.fixed = seed, fixed  # fixed: item i is the same augmented crop every epoch
        weights = np.array([solid_core_weight if has_solid_core(c) else 1.0 for c in cases])
        counts = np.maximum(1, np.round(weights / weights.min())).astype(int)
        self.order = np.repeat(np.arange(len(cases)), counts)  # case index of each draw

    def __len__(self) -> int:
        return len(self.order) * self.samples_per_case

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        case = self.cases[self.order[index % len(self.order)]]
        if self.fixed:
            self.transform.set_random_state(seed=(self.seed * 1_000_003 + index) % 2**32)
        out = self.transform({"image": case["image"], "label": case["label"].float()})
        out = out[0] if isinstance(out, list) else out
        return {
            "image": torch.as_tensor(out["image"]).float(),
            "label": label_to_regions(torch.as_tensor(out["label"])),
        }


class WholeCaseDataset(Dataset):
    """Whole preprocessed cases (validation runs sliding-window inference on them)."""

    def __init__(self, cases: list[dict[str, torch.Tensor]]):
        self.cases = cases

    def __len__(self) -> int:
        return len(self.cases)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        case = self.cases[index]
        return {"image": case["image"].float(), "label": label_to_regions(case["label"].float())}

"""Frozen-trunk feature cache for training adapters (``train.feature_cache``).

Where an adapter gives its frozen trunk the input unchanged (``side``, ``per_channel``, ``dvpt``),
the trunk's levels depend on the input alone. With a fixed set of augmented crops per unit (the
task replays them: ``TrainingTask.replays_crops``), each crop's levels are computed once, without
gradient, stored in the run folder in bfloat16 and read back every later epoch: the trunk, by far
the costliest part of a step, then runs once per crop instead of once per step.

The cache is keyed by what decides the features: the trunk's SHA-256 (its class and every
weight) names the folder, and each entry is named by the SHA-256 of the input sample itself
(its shape, dtype and values: the crop and its augmentation). A folder of another trunk is
removed when the run starts; a changed crop or augmentation is simply another key.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

STORED_DTYPE = torch.bfloat16  # halves the cache; the features are rounded alike on every epoch


def trunk_sha256(trunk: torch.nn.Module) -> str:
    """SHA-256 of a module's class and its state (names, shapes, dtypes and values)."""
    digest = hashlib.sha256(f"{type(trunk).__module__}.{type(trunk).__qualname__}".encode())
    for name, tensor in sorted(trunk.state_dict().items()):
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def sample_key(sample: torch.Tensor) -> str:
    """SHA-256 of one input sample: its shape, dtype and values."""
    digest = hashlib.sha256(f"{tuple(sample.shape)}:{sample.dtype}".encode())
    digest.update(sample.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class TrunkFeatureCache:
    """Calls a frozen trunk on the samples it has not seen, reads the others' levels from disk.

    Args:
        folder: the run's cache folder (``RUN/feature_cache``); entries go under the trunk's hash.
        trunk_sha: ``trunk_sha256`` of the trunk it serves.
        limit_bytes: stop storing new entries past this size (the trunk then runs for them each time).
        log: hears one line when the limit is reached.
    """

    def __init__(self, folder: Path, trunk_sha: str, limit_bytes: int, log: Callable[[str], None] = print):
        self.root = Path(folder)
        self.folder = self.root / trunk_sha[:32]
        for other in self.root.glob("*"):
            if other.is_dir() and other != self.folder:  # another trunk's features: stale
                shutil.rmtree(other, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.limit_bytes, self.log = limit_bytes, log
        self.stored_bytes = sum(path.stat().st_size for path in self.folder.glob("*.safetensors"))
        self.trunk_samples = 0  # samples the trunk computed (misses)
        self.cached_samples = 0  # samples read from the cache (hits)
        self.full = False

    def __call__(self, trunk: torch.nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
        keys = [sample_key(sample) for sample in x]
        found: dict[int, list[torch.Tensor]] = {}
        for index, key in enumerate(keys):
            path = self.folder / f"{key}.safetensors"
            if path.exists():
                stored = load_file(path)
                found[index] = [stored[str(level)] for level in range(len(stored))]
        self.cached_samples += len(found)
        missing = [index for index in range(len(keys)) if index not in found]
        if missing:
            with torch.no_grad():
                levels = trunk(x[missing])
            self.trunk_samples += len(missing)
            for position, index in enumerate(missing):
                sample = [level[position].to(STORED_DTYPE).cpu().contiguous() for level in levels]
                found[index] = sample
                self.store(keys[index], sample)
        count = len(found[0])
        return [
            torch.stack([found[i][level] for i in range(len(keys))]).to(x.device, x.dtype) for level in range(count)
        ]

    def store(self, key: str, levels: list[torch.Tensor]) -> None:
        size = sum(level.numel() * level.element_size() for level in levels)
        if self.stored_bytes + size > self.limit_bytes:
            if not self.full:
                self.full = True
                self.log(
                    f"feature cache full at {self.stored_bytes / 2**30:.2f} GB (train.feature_cache_gb): "
                    "further crops run the trunk each time"
                )
            return
        path = self.folder / f"{key}.safetensors"
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        save_file({str(level): tensor for level, tensor in enumerate(levels)}, temporary)
        os.replace(temporary, path)  # a killed run leaves no half-written entry
        self.stored_bytes += size


def cacheable_adapters(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """The adapters in ``model`` whose frozen trunk sees the input unchanged."""
    return (module for module in model.modules() if getattr(module, "trunk_sees_input", False))


def attach_feature_caches(
    model: torch.nn.Module, folder: Path, limit_gb: float, log: Callable[[str], None] = print
) -> list[TrunkFeatureCache]:
    """Give each cacheable adapter in ``model`` its cache under ``folder``; refuse a model without one."""
    adapters = list(cacheable_adapters(model))
    if not adapters:
        raise ValueError(
            "train.feature_cache: no frozen trunk in this model sees its input unchanged "
            "(the side, per_channel and dvpt adapters do; inputs and spatial3d change it first)"
        )
    caches = []
    for index, adapter in enumerate(adapters):
        where = Path(folder) / str(index) if len(adapters) > 1 else Path(folder)
        adapter.trunk_cache = TrunkFeatureCache(where, trunk_sha256(adapter.frozen), int(limit_gb * 2**30), log)
        caches.append(adapter.trunk_cache)
    return caches

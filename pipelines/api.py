"""The Python API: ``load`` a model, ``predict`` an array or a file, get arrays back.

    import hybridvision

    model = hybridvision.load("superres/x2")   # a task (its default model), a shipped name or a checkpoint file
    result = model.predict(image)               # an array or tensor (meta: affine, CRS ...) or a path
    result.array, result.affine, result.warning

Every task predicts in memory: an array becomes a ``Sample`` (``<task>/api.py``: ``to_sample``,
which checks it as a file's reader would; a path goes through the task's own reader) and runs
through the task's ``predict_sample``, the core ``hybridvision predict`` runs between reading and
writing, so the two agree and no file is written (streamed tasks stream their windows into an
array). ``predict_files`` writes a unit's outputs as ``predict`` does, for the demo's downloads.
Options are passed per call, never kept. Nothing heavy is imported until ``load`` is called.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .common.atomic import atomic_outputs
from .errors import InputError


@dataclass
class Prediction:
    """What a model gave for one input.

    Attributes:
        array: tumor3d: labels (X, Y, Z) on the input's grid; xray2shape: labels on the model's grid;
            spectral: class map (H, W), 0 = no data; superres: the image, (H, W) or (H, W, bands).
        affine: voxel to millimetre (tumor3d, xray2shape), else None.
        crs, transform: the georeference of a spectral class map or superres raster (None without one).
        warning: the out-of-distribution warning, None when the input looks familiar.
    """

    array: np.ndarray
    affine: np.ndarray | None = None
    crs: Any = None
    transform: Any = None
    warning: str | None = None


class Predictor:
    """A loaded model and its pipeline; ``predict`` runs one input (see the module docstring)."""

    def __init__(self, pipeline, model, metadata: dict, checkpoint: Path):
        self.pipeline, self.model, self.metadata, self.checkpoint = pipeline, model, metadata, checkpoint
        self.task = importlib.import_module(f"{__package__}.{pipeline.name}.api")

    def __repr__(self) -> str:
        return f"Predictor({self.pipeline.name}, {self.checkpoint.name})"

    def predict(self, data: Any, meta: Mapping[str, Any] | None = None, **options: Any) -> Prediction:
        """``data``: a path as ``hybridvision predict`` takes it (a file, or a case's folder), or an
        array as the task's ``to_sample`` (or ``to_files``) describes; ``options``: ``predict``'s
        (``bands="first-half"``), for this call only: one loaded model serves any option set."""
        chosen = self.pipeline.make_options(**options)
        tensor_device = getattr(data, "device", None) if type(data).__module__.startswith("torch") else None
        if tensor_device is not None:  # a tensor in, a tensor out, on its device
            data = data.detach().cpu().numpy()
        source = Path(data) if isinstance(data, (str, os.PathLike)) else None
        if source is not None and not source.exists():
            raise InputError(f"{source}: not found")
        if source is not None:
            sample = self.pipeline.read(self.one_unit(source, chosen))
        else:
            sample = self.task.to_sample(data, dict(meta or {}))
        try:
            result = self.task.to_prediction(self.pipeline.predict_sample(self.model, sample, chosen))
        finally:
            sample.close()
        result.warning = sample.meta.get("warning")
        if tensor_device is not None:
            import torch

            result.array = torch.as_tensor(result.array, device=tensor_device)
        return result

    def predict_batch(
        self, items: list[Any], metas: list[Mapping[str, Any]] | None = None, **options: Any
    ) -> list[Prediction]:
        """``predict`` of each of ``items`` (arrays, tensors or paths), with ``metas[i]`` for item i,
        under one option set."""
        metas = metas if metas is not None else [None] * len(items)
        if len(metas) != len(items):
            raise InputError(f"{len(items)} items but {len(metas)} metas")
        return [self.predict(item, meta, **options) for item, meta in zip(items, metas)]

    def predict_files(self, source: Path, output_dir: Path, **options: Any) -> tuple[dict[str, Path], str | None]:
        """The one unit at ``source`` (a file, or a case's folder) predicted into ``output_dir`` as
        ``hybridvision predict`` writes it; returns ``({name: path}, warning)``. A writer's
        ``PartialOutput`` (a DICOM-SEG that could not be made; the labels kept) propagates."""
        chosen = self.pipeline.make_options(**options)
        unit = self.one_unit(Path(source), chosen)
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        paths = {name: output_dir / name for name in self.pipeline.output_names(unit, chosen)}
        with atomic_outputs(paths) as temporaries:
            warning = self.pipeline.predict_unit(self.model, unit, temporaries, options=chosen)
        return paths, warning

    def one_unit(self, source: Path, options: Any):
        units = self.pipeline.discover_units(source, options)
        if len(units) != 1:
            raise InputError(f"{source.name}: expected one {self.pipeline.name} input, found {len(units)}")
        if units[0].error:
            raise InputError(units[0].error)
        return units[0]


def load(task_or_checkpoint: str, device: str = "cpu") -> Predictor:
    """A task's default model (``"tumor3d"``), a shipped one (``"superres/x4"``) or a checkpoint file."""
    from .common.checkpoint import default_checkpoint, load_checkpoint, resolve_checkpoint
    from .registry import PIPELINES

    if task_or_checkpoint in PIPELINES.names():
        path = default_checkpoint(task_or_checkpoint)
    else:
        path = resolve_checkpoint(task_or_checkpoint)
    pipeline, model, metadata = load_checkpoint(path, device=device)
    return Predictor(pipeline, model, metadata, Path(path))

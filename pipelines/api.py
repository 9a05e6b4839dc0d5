"""The Python API: ``load`` a model, ``predict`` an array or a file, get arrays back.

    from hybridvision.pipelines.api import load

    model = load("superres/x2")      # a task (its default model), a shipped name or a checkpoint file
    result = model.predict(image)    # an array (meta: affine, CRS ... where the task keeps them) or a path
    result.array, result.affine, result.warning

An array takes the same path as ``hybridvision predict``: it is written as the task's own file
into a temporary folder (``<task>/api.py``: ``to_files``), predicted, and the outputs read back
(``from_files``), so the API and the command line always agree. Nothing heavy is imported until
``load`` is called.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .errors import PartialOutput


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
        array as the task's ``to_files`` describes; ``options``: ``predict``'s (``bands="first-half"``)."""
        from .base import InputError

        self.pipeline.configure_prediction(**options)
        with tempfile.TemporaryDirectory(prefix="hybridvision-api-") as folder:
            folder = Path(folder)
            if isinstance(data, (str, os.PathLike)):
                source = Path(data)
                if not source.exists():
                    raise InputError(f"{source}: not found")
            else:
                source = self.task.to_files(np.asarray(data), dict(meta or {}), folder / "input")
            units = self.pipeline.discover_units(source)
            if len(units) != 1:
                raise InputError(f"{source.name}: expected one {self.pipeline.name} input, found {len(units)}")
            (folder / "output").mkdir()
            paths = {name: folder / "output" / name for name in self.pipeline.output_names(units[0])}
            try:
                warning = self.pipeline.predict_unit(self.model, units[0], paths)
            except PartialOutput as partial:  # the main output is there (a DICOM-SEG is not): say so
                warning, paths = str(partial), {**paths, **partial.extra}
            result = self.task.from_files(paths)
        result.warning = warning
        return result


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

"""spectral's files: handed to the template the checkpoint's data.task chose (templates.py)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any, Mapping

from ..base import Sample, Streaming, Unit
from .landcover import LandcoverTemplate


class SpectralFiles:
    """spectral's files: discovery, output names, read, write; the in-memory core
    (preprocess, infer, postprocess) is in ``pipeline.py``."""

    def discover_units(self, input_path: Path, options: Any = None) -> list[Unit]:
        if isinstance(self.template, LandcoverTemplate):  # products: the options choose bands, grid and area
            return self.template.discover_units(input_path, options or self.default_options())
        return self.template.discover_units(input_path)

    def output_names(self, unit: Unit, options: Any = None) -> list[str]:
        return self.template.output_names(unit)

    def finish_batch(self, output_dir: Path, results: list) -> None:
        finish = getattr(self.template, "finish_batch", None)
        if finish is not None:
            finish(output_dir, results)

    def read(self, unit: Unit) -> Sample:
        return self.template.read(unit)

    def output_sink(self, sample: Sample, paths: Mapping[str, Path]):
        return self.template.output_sink(sample, paths) if isinstance(self.template, Streaming) else nullcontext(None)

    def write(self, sample: Sample, paths: Mapping[str, Path]) -> None:
        self.template.write(sample, paths)

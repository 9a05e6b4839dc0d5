"""superres's files: pictures and rasters in, streamed by tile into the same format out."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..base import Sample, Streaming, Unit
from ..common.inference import Window, tiles
from .io import SUFFIXES, ImageSink, open_image, output_name

GDAL_CACHE_BYTES = 64 * 2**20


class SuperresFiles(Streaming):
    """superres's files: discovery, output names, read, the window plan and the sinks (the windows
    are written as they are predicted); the in-memory core is in ``pipeline.py``."""

    def discover_units(self, input_path: Path, options: Any = None) -> list[Unit]:
        files = [input_path] if input_path.is_file() else sorted(p for p in input_path.iterdir() if p.is_file())
        return [Unit(p.name, (p,)) for p in files if p.suffix.lower() in SUFFIXES or input_path.is_file()]

    def output_names(self, unit: Unit, options: Any = None) -> list[str]:
        return [output_name(unit.files[0])]

    def read(self, unit: Unit) -> Sample:
        return Sample(open_image(unit.files[0]), {"name": unit.name})

    def plan(self, sample: Sample) -> list[Window]:
        options, source = sample.options, sample.image
        return tiles(source.height, source.width, options.tile, options.overlap, self.window)

    def read_window(self, sample: Sample, window: Window) -> tuple[np.ndarray, np.ndarray]:
        return sample.image.read(*window.context)

    @contextmanager
    def file_sink(self, sample: Sample, paths: Mapping[str, Path]):
        import rasterio

        # GDAL keeps written blocks in a cache of 5% of RAM by default: bounded here so a huge
        # raster streams in flat memory (the value is in bytes)
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
            sink = ImageSink(sample.image, paths[output_name(sample.image.path)], self.model_cfg.scale)
            with self.image_sink(sample, sink) as put:
                yield put

    @contextmanager
    def array_sink(self, sample: Sample):
        """The upscaled image in memory, in the input's data type: ``sample.pred`` (bands, H*s, W*s)."""
        sink = ImageSink(sample.image, None, self.model_cfg.scale)
        with self.image_sink(sample, sink) as put:
            yield put
        sample.pred = sink.pixels

    @contextmanager
    def image_sink(self, sample: Sample, sink: ImageSink):
        scale = self.model_cfg.scale
        try:
            yield lambda window, out: sink.write(*out, window.core[0] * scale, window.core[1] * scale)
        finally:
            sink.close()

"""superres's files: pictures and rasters in, streamed by tile into the same format out."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..base import Sample, Streaming, Unit
from ..common.inference import Window, tiles
from ..common.products import find_products, open_product
from ..common.rasters import AreaRaster, area_window, parse_area
from ..common.stac import raster_time, write_item
from ..errors import InputError
from .io import RASTER_SUFFIXES, SUFFIXES, ImageSink, open_image, output_name, product_image

GDAL_CACHE_BYTES = 64 * 2**20


def product_units(path: Path, options: Any) -> list[Unit]:
    """A product's units: one per resolution group of the chosen bands (default: Sentinel-2's 10 m
    bands, Landsat's SR_B2-SR_B7); a product that cannot be read is one failing unit."""
    try:
        product = open_product(path)
        names = [n.strip() for n in options.bands.split(",") if n.strip()] or DEFAULT_BANDS[product.sensor]
        groups = product.groups(names)
    except InputError as error:
        return [Unit(path.name, (path,), error=str(error), extra={"product": True})]
    finest = min(groups)  # --window counts pixels of the finest band chosen
    return [
        Unit(
            f"{product.id}_{resolution:g}m",
            (path,),
            extra={"product": True, "bands": [b.name for b in bands], "pixel": finest},
        )
        for resolution, bands in groups.items()
    ]


def cropped(source, unit: Unit):
    """``source`` reduced to the unit's area of interest (``--bbox`` / ``--window``), if it has one."""
    if "area" in unit.extra:
        try:
            window = area_window(source.raster, unit.extra["area"], unit.name, unit.extra.get("pixel"))
        except Exception:
            source.close()
            raise
        source.raster = AreaRaster(source.raster, window)
    return source


DEFAULT_BANDS = {"sentinel2": ["B02", "B03", "B04", "B08"], "landsat": [f"SR_B{n}" for n in range(2, 8)]}


class SuperresFiles(Streaming):
    """superres's files: discovery, output names, read, the window plan and the sinks (the windows
    are written as they are predicted); the in-memory core is in ``pipeline.py``."""

    def discover_units(self, input_path: Path, options: Any = None) -> list[Unit]:
        """Pictures and rasters, and satellite products (``common/products.py``): a product is a unit
        per resolution group of the bands ``--bands`` asks for (``<product>_10m``)."""
        options = options or self.default_options()
        area = parse_area(options.bbox, options.window)
        products = find_products(input_path)
        units = [unit for product in products for unit in product_units(product, options)]
        if not (products and input_path in products):
            files = [input_path] if input_path.is_file() else sorted(p for p in input_path.iterdir() if p.is_file())
            pictures = [
                p for p in files if p not in products and (p.suffix.lower() in SUFFIXES or input_path.is_file())
            ]
            units += [Unit(p.name, (p,)) for p in pictures]
        for unit in units if area else ():
            unit.extra["area"] = area  # read crops to it
        return units

    def output_names(self, unit: Unit, options: Any = None) -> list[str]:
        if "product" in unit.extra:  # a Cloud-Optimised GeoTIFF and its STAC Item
            stem = f"{unit.name}_x{self.model_cfg.scale}"
            return [f"{stem}.tif", f"{stem}.json"]
        if unit.files[0].suffix.lower() in RASTER_SUFFIXES:  # a GeoTIFF out: its STAC Item beside it
            return [output_name(unit.files[0]), f"{unit.files[0].stem}.json"]
        return [output_name(unit.files[0])]

    def read(self, unit: Unit) -> Sample:
        if "product" not in unit.extra:
            meta = {"name": unit.name, "output": output_name(unit.files[0])}
            if unit.files[0].suffix.lower() in RASTER_SUFFIXES:
                file = unit.files[0]
                meta |= {"source": {"id": file.name, "datetime": raster_time(file), "file": file}, "bands": ()}
            return Sample(cropped(open_image(unit.files[0]), unit), meta)
        product = open_product(unit.files[0])
        bands = [product.band(name) for name in unit.extra["bands"]]
        output = f"{unit.name}_x{self.model_cfg.scale}.tif"
        source = {"id": product.id, "datetime": product.datetime}
        meta = {"name": unit.name, "output": output, "source": source, "bands": unit.extra["bands"]}
        return Sample(cropped(product_image(product, bands), unit), meta)

    def plan(self, sample: Sample) -> list[Window]:
        options, source = sample.options, sample.image
        return tiles(source.height, source.width, options.tile, options.overlap, self.window)

    def read_window(self, sample: Sample, window: Window) -> tuple[np.ndarray, np.ndarray]:
        return sample.image.read(*window.context)

    @contextmanager
    def file_sink(self, sample: Sample, paths: Mapping[str, Path]):
        output = sample.meta["output"]
        # GDAL keeps written blocks in a cache of 5% of RAM by default: bounded here so a huge
        # raster streams in flat memory (the value is in bytes); a PNG never loads GDAL
        with gdal_cache(GDAL_CACHE_BYTES) if Path(output).suffix.lower() in RASTER_SUFFIXES else nullcontext():
            sink = ImageSink(sample.image, paths[output], self.model_cfg.scale, sample.options.png_compression)
            with self.image_sink(sample, sink) as put:
                yield put
        if "source" in sample.meta:  # a GeoTIFF's or a product's output: its STAC Item beside it
            item = paths[Path(output).stem + ".json"]
            title = f"{sample.name} x{self.model_cfg.scale}" + (
                ": " + ", ".join(sample.meta["bands"]) if sample.meta["bands"] else ""
            )
            write_item(item, output, sink.grid, sample.meta["source"], self.checkpoint, ("data",), title)

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
        except BaseException:
            sink.abort()  # nothing half-written is translated or kept
            raise
        sink.close()


def gdal_cache(size: int):
    """rasterio's environment with GDAL's block cache bounded to ``size`` bytes."""
    import rasterio

    return rasterio.Env(GDAL_CACHEMAX=size)

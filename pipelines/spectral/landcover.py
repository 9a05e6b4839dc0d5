"""The land-cover template (``data.task: landcover``): Sentinel-2 L2A and Landsat 8/9 products
classified pixel by pixel by a fully convolutional, wavelength-aware model.

A unit is a product (``common/products.py``) or a multi-band GeoTIFF of reflectance whose bands
are named by its band descriptions, ``--sensor`` or ``--wavelengths`` (``landcover_geotiff.py``,
read on its own grid). A product's bands come to one grid (``common/product_grid.py``:
10 m for Sentinel-2, 30 m for Landsat, ``--resolution`` to choose; ``--mask`` picks which quality
flags are holes) and are read in full-width strips with a halo of the model's receptive field, each
strip classified in column blocks, so memory is one block whatever the tile's size. Each product
band goes to the model band of the same name (the checkpoint's ``band_names``); a product of a
sensor the checkpoint does not declare is refused. Outputs, each a Cloud-Optimised GeoTIFF with a
STAC Item: ``<product>_classes.tif`` (colour table, category names in its ``.aux.xml``, 0 = no data,
cloud or hole) and ``<product>_confidence.tif`` (the winning class's softmax, percent, 0 = none);
``<product>_classes.png`` is a preview with a legend and the area of each class.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from ..base import InputError, Sample, Streaming, Unit
from ..common.inference import Window, strips
from ..common.product_grid import ProductGrid
from ..common.products import find_products, open_product
from ..common.rasters import AreaRaster, RasterSink, area_window, parse_area
from ..common.stac import raster_time, write_item
from .io import Georeference
from .landcover_geotiff import SENSOR_BANDS, find_geotiffs, geotiff_source, is_geotiff, sensor_of
from .writers import SceneWriter, write_category_names

STRIP_ROWS = 256
BLOCK_COLUMNS = 512  # columns classified at once: memory is one block of features (1024: +180 MB, no faster)


def largest_block(model: nn.Module) -> tuple[int, int]:
    """Rows and columns of the largest block the model is given: a strip and a column block, each
    with the halo of its receptive field on both sides."""
    halo = model.receptive_field // 2
    return STRIP_ROWS + 2 * halo, BLOCK_COLUMNS + 2 * halo


def class_probabilities(model: nn.Module, x: torch.Tensor, channels: torch.Tensor, tta: bool) -> torch.Tensor:
    """(classes, H, W) softmax of one block; with ``tta`` the mean over its 8 flips and rotations
    (each turned back), which a per-pixel network allows at any block shape."""
    if not tta:
        return torch.softmax(model(x, channel_ids=channels)[0].float(), 0)
    total = None
    for turns in range(4):
        for flip in (False, True):
            view = torch.rot90(x, turns, (2, 3))
            view = view.flip(3) if flip else view
            out = torch.softmax(model(view, channel_ids=channels)[0].float(), 0)
            out = torch.rot90(out.flip(2) if flip else out, -turns, (1, 2))
            total = out if total is None else total + out
    return total / 8


def entropy_percent(probabilities: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """(H, W) uint8: each pixel's entropy of the averaged classes, in percent of the most there can
    be (1 where the views agree completely; 0 where there is no class)."""
    p = np.clip(probabilities, 1e-12, 1)
    entropy = -(p * np.log(p)).sum(0) / np.log(len(p))
    percent = np.clip(np.round(entropy * 100), 1, 100).astype(np.uint8)
    percent[empty] = 0
    return percent


class ProductScene:
    """A product's (or a GeoTIFF's) grid as the scene writer sees it: a raster read by window, its size and georef."""

    def __init__(self, raster):
        self.raster, self.path = raster, None
        self.height, self.width = raster.height, raster.width
        self.georef = Georeference(raster.crs, raster.transform)

    def close(self) -> None:
        self.raster.close()


def product_bands(band_names: tuple[str, ...], option: str) -> list[str] | None:
    """The band names ``--bands`` keeps (None: every band the model reads)."""
    if option.strip().lower() in ("", "all"):
        return None
    names = [n.strip() for n in option.split(",") if n.strip()]
    unknown = [n for n in names if n.upper() not in band_names]
    if unknown:
        raise ValueError(f"--bands: {', '.join(unknown)} not among the model's bands ({', '.join(band_names)})")
    return [n.upper() for n in names]


class LandcoverTemplate(Streaming):
    """A product per unit, classified into a georeferenced class map and a confidence map."""

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def check_options(self, options: Any) -> None:
        product_bands(tuple(self.pipeline.model_cfg.band_names), options.bands)
        parse_area(options.bbox, options.window)
        if options.mask not in ("none", "nodata", "clouds"):
            raise ValueError(f"--mask must be none, nodata or clouds, got {options.mask!r}")
        if options.sensor and options.sensor not in SENSOR_BANDS:
            raise ValueError(f"--sensor must be {' or '.join(SENSOR_BANDS)}, got {options.sensor!r}")

    def discover_units(self, input_path: Path, options: Any) -> list[Unit]:
        products = find_products(input_path)
        folders = [p for p in products if p.is_dir()]  # a Landsat folder's own GeoTIFFs are not units
        geotiffs = [] if input_path in products else find_geotiffs(input_path)
        geotiffs = [p for p in geotiffs if not any(p.is_relative_to(folder) for folder in folders)]
        if not products and not geotiffs:
            raise InputError(
                f"{input_path.name}: no Sentinel-2 L2A or Landsat 8/9 Collection 2 Level-2 product and no "
                "GeoTIFF; this model reads products (a .SAFE folder or .SAFE.zip, a Landsat folder or .tar) "
                "and multi-band GeoTIFFs of reflectance, or a folder of them"
            )
        extra = {"options": options}
        return [Unit(path.name.split(".")[0], (path,), extra=extra) for path in [*products, *geotiffs]]

    def output_names(self, unit: Unit) -> list[str]:
        classes, maps = f"{unit.name}_classes", [f"{unit.name}_confidence"]
        if getattr(unit.extra.get("options"), "tta", False):
            maps.append(f"{unit.name}_entropy")
        names = [f"{classes}.tif", f"{classes}.tif.aux.xml", f"{classes}.png", f"{classes}.json"]
        return names + [f"{stem}{suffix}" for stem in maps for suffix in (".tif", ".json")]

    def read(self, unit: Unit) -> Sample:
        options, path = unit.extra["options"], unit.files[0]
        if is_geotiff(path):
            raster, names, origin = self.open_geotiff(path, options)
        else:
            raster, names, origin = self.open_product(path, options)
        area = parse_area(options.bbox, options.window)
        if area:
            try:
                raster = AreaRaster(raster, area_window(raster, area, path.name))
            except Exception:
                raster.close()
                raise
        meta = {"name": unit.name, "file": path.name, "bands": names, "origin": origin}
        return Sample(ProductScene(raster), meta)

    def check_sensor(self, file: str, sensor: str, what: str) -> None:
        readable = self.pipeline.model_cfg.sensors
        if sensor not in readable:
            raise InputError(f"{file}: a {sensor} {what}; this model reads {', '.join(readable) or 'no'} {what}s")

    def open_product(self, path: Path, options: Any):
        """The product's bands the model reads (``--bands`` of them) on one grid."""
        config = self.pipeline.model_cfg
        product = open_product(path)
        self.check_sensor(path.name, product.sensor, "product")
        wanted = product_bands(tuple(config.band_names), options.bands)
        bands = [b for b in product.bands if b.name in config.band_names and (wanted is None or b.name in wanted)]
        if not bands:
            raise InputError(f"{path.name}: none of the bands asked for is in this {product.sensor} product")
        raster = ProductGrid(product, bands, options.resolution, options.mask)
        origin = {"id": product.id, "datetime": product.datetime, "file": product.path}
        return raster, [b.name for b in bands], origin

    def open_geotiff(self, path: Path, options: Any):
        """The GeoTIFF's bands, named (``landcover_geotiff``), as reflectance on its own grid;
        ``--bands`` reads the named ones only (as channels the model leaves out)."""
        config = self.pipeline.model_cfg
        if options.resolution:
            raise InputError(f"{path.name}: --resolution applies to products; a GeoTIFF is read on its own grid")
        model = dict(zip(config.band_names, config.wavelengths))
        wanted = product_bands(tuple(config.band_names), options.bands)
        raster, names = geotiff_source(path, options.sensor, options.wavelengths, model, wanted)
        try:
            self.check_sensor(path.name, sensor_of(names), "GeoTIFF")
        except InputError:
            raster.close()
            raise
        origin = {"id": path.name.split(".")[0], "datetime": raster_time(path), "file": path}
        return raster, names, origin

    def preprocess(self, sample: Sample) -> Sample:
        """The model band of each input band, by name (an array from the Python API names its bands)."""
        names = tuple(self.pipeline.model_cfg.band_names)
        if "bands" not in sample.meta:  # an array: reflectance, its band names given beside it
            given = sample.meta.get("band_names")
            if not given:
                raise InputError(f"{sample.name}: give band_names= (the products' own: B02, SR_B4) with the array")
            unknown = [n for n in given if n not in names]
            if unknown:
                raise InputError(
                    f"{sample.name}: bands {', '.join(unknown)} are not among the model's ({', '.join(names)})"
                )
            sample.meta["bands"] = list(given)
        sample.meta["channels"] = np.array([names.index(n) for n in sample.meta["bands"]])
        return sample

    # -- the streaming template -------------------------------------------------------------
    def window_predictor(self, model: nn.Module, sample: Sample):
        sample.meta["halo"] = model.receptive_field // 2  # largest_block's
        device = next(model.parameters()).device
        channels = torch.as_tensor(sample.meta["channels"], device=device)
        tta = bool(getattr(sample.options, "tta", False))

        def classify(read_back: tuple[np.ndarray, np.ndarray], window: Window) -> tuple[np.ndarray, np.ndarray]:
            data, masked = read_back
            data[:, masked] = np.nan  # a flagged pixel is a hole in every band
            rows, columns = window.core_in_context
            probabilities = np.empty(
                (len(self.pipeline.model_cfg.classes), rows.stop - rows.start, data.shape[2]), np.float32
            )
            halo = sample.meta["halo"]
            for left in range(0, data.shape[2], BLOCK_COLUMNS):
                right = min(left + BLOCK_COLUMNS, data.shape[2])
                lo, hi = max(0, left - halo), min(data.shape[2], right + halo)
                x = torch.from_numpy(np.ascontiguousarray(data[None, :, :, lo:hi])).to(device)
                block = class_probabilities(model, x, channels, tta)[:, rows, left - lo : right - lo]
                probabilities[:, :, left:right] = block.cpu().numpy()
            classes = (probabilities.argmax(0) + 1).astype(np.uint8)
            confidence = np.clip(np.round(probabilities.max(0) * 100), 1, 100).astype(np.uint8)
            empty = np.isnan(data[:, rows]).all(0)
            classes[empty], confidence[empty] = 0, 0
            if not tta:
                return classes, confidence
            return classes, confidence, entropy_percent(probabilities, empty)

        return classify

    def plan(self, sample: Sample) -> list[Window]:
        return strips(sample.image.height, sample.image.width, STRIP_ROWS, sample.meta["halo"])

    def read_window(self, sample: Sample, window: Window) -> tuple[np.ndarray, np.ndarray]:
        top, left, rows, columns = window.context
        data, holes = sample.image.raster.read(top, left, rows, columns)
        if holes.ndim == 3:  # an array's per-band holes (the product grid flags whole pixels apart)
            data, holes = np.where(holes, np.nan, data).astype(np.float32), np.zeros(holes.shape[1:], bool)
        return data, holes

    @contextmanager
    def file_sink(self, sample: Sample, paths: Mapping[str, Path]):
        config, name, scene = self.pipeline.model_cfg, sample.name, sample.image
        writer = SceneWriter(scene, paths[f"{name}_classes.tif"], config.classes, config.colours)
        profile = dict(count=1, height=scene.height, width=scene.width, dtype="uint8", nodata=0)
        georef = scene.georef
        stems = [s for s in (f"{name}_confidence", f"{name}_entropy") if f"{s}.tif" in paths]
        maps = [
            RasterSink(paths[f"{s}.tif"], cog="average", crs=georef.crs, transform=georef.transform, **profile)
            for s in stems
        ]
        try:
            with writer:
                yield lambda window, out: self.put(writer, maps, window, out)
            for sink in maps:
                sink.close()
        except BaseException:
            for sink in maps:
                sink.abort()
            raise
        if not writer.counts[1:].any():  # nothing to classify: say why, write nothing
            mask = getattr(sample.options, "mask", "clouds")
            raise InputError(
                f"{sample.meta['file']}: no pixel to classify "
                f"(every one is no data, or cloud or shadow under --mask {mask})"
            )
        writer.preview(paths[f"{name}_classes.png"], config.colours)
        write_category_names(paths[f"{name}_classes.tif.aux.xml"], ("no data", *config.classes))
        grid = {"crs": georef.crs, "transform": georef.transform, "width": scene.width, "height": scene.height}
        origin = sample.meta["origin"]
        bands = ", ".join(sample.meta["bands"])
        titles = {
            f"{name}_classes": f"{name}: land cover from {bands}",
            f"{name}_confidence": f"{name}: confidence of the land cover class, percent",
            f"{name}_entropy": f"{name}: entropy over 8 flips and rotations, percent of its maximum",
        }
        for stem in (f"{name}_classes", *stems):
            roles = ("data", "classification") if stem.endswith("_classes") else ("data",)
            write_item(
                paths[f"{stem}.json"], f"{stem}.tif", grid, origin, self.pipeline.checkpoint, roles, titles[stem]
            )

    @staticmethod
    def put(writer: SceneWriter, maps: list[RasterSink], window: Window, out) -> None:
        classes, *percent = out
        writer.write(window.core[0], window.core[0] + window.core[2], classes)
        for sink, values in zip(maps, percent):
            sink.write(values[None], window.core[0], 0)

    @contextmanager
    def array_sink(self, sample: Sample):
        """The class map in ``sample.pred`` (H, W) uint8 and the confidence in ``meta["confidence"]``."""
        scene = sample.image
        writer = SceneWriter(scene, None, self.pipeline.model_cfg.classes)
        confidence = RasterSink(None, count=1, height=scene.height, width=scene.width, dtype="uint8")
        with writer:
            yield lambda window, out: self.put(writer, [confidence], window, out)
        sample.pred, sample.meta["confidence"] = writer.classes, confidence.pixels[0]

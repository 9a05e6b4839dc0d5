"""spectral's templates: what a unit is, what it writes, how it trains; chosen by ``data.task``.

- ``scene``: a cube per file; every pixel classified from the ``patch`` x ``patch`` neighbourhood
  around it, strip by strip; ``<scene>_classes.tif`` (the input's CRS and transform, 0 = no data)
  and ``<scene>_classes.png`` (colours and a legend).
- ``dense_scene``: the same files, classified a strip at a time by a per-pixel network (a
  pretrained 2D encoder and a ``unet`` decoder), trained on windows with sparse labels (windows.py).
- ``chips``: a folder of multi-band chips is one unit; ``predictions.csv`` (class, probabilities).

The checkpoint carries ``data.task``, so ``hybridvision predict spectral`` stays one command and
the pipeline's hooks hold no ``task`` branches: they hand over to the template.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

import numpy as np
from torch import nn

from ..base import InputError, Sample, Streaming, Unit, is_ground_truth
from ..common.holes import fill_holes
from ..common.inference import Window, strips
from ..common.products import find_products, open_product
from ..common.stac import raster_time, write_item
from ..common.unfamiliar import smoothness_warning
from .chips import CHIP_SUFFIXES, classify_chips, gather_predictions, write_predictions
from .io import CUBE_SUFFIXES
from .landcover import LandcoverTemplate
from .scene import classify_strip, open_scene, read_strip, scene_statistics, spectral_smoothness
from .windows import classify_dense
from .writers import SceneWriter, write_category_names

STRIP_ROWS = 16  # rows classified per strip: memory is one strip of the scene whatever its size


class BandClassifier(Protocol):
    """What a template asks of its pipeline (``SpectralPipeline``), named here so that the
    pipeline, which chooses its template, is not imported back."""

    model_cfg: Any
    data_cfg: Any
    checkpoint: dict[str, str] | None  # name and SHA-256 for the outputs' STAC Items

    def channels_for(
        self, bands: int, wavelengths: tuple[float, ...] | None, name: str, subset: str = "all"
    ) -> np.ndarray: ...

    def predictor(self, model: nn.Module, channels: np.ndarray) -> Callable[[np.ndarray], np.ndarray]: ...


def is_class_map(path: Path) -> bool:
    """Class maps beside cubes (``x_classes.tif``, ``x_gt.mat``) are not inputs."""
    stem = path.name.split(".")[0].lower()
    return stem.endswith("_classes") or is_ground_truth(path)


def product_refusal(path: Path) -> str:
    """Why a satellite product is not classified by a hyperspectral scene model: it never saw the
    product's bands (matched by nearby wavelengths only, it would classify bands it does not know)."""
    try:
        product = open_product(path)
    except InputError as error:
        return str(error)
    sensor = {"sentinel2": "Sentinel-2", "landsat": "Landsat 8/9 OLI"}[product.sensor]
    bands = ", ".join(band.name for band in product.bands)
    return (
        f"{path.name}: a {sensor} product ({bands}); this model reads 128-band imaging-spectrometer scenes: "
        "use --checkpoint spectral/landcover (the default for products), which reads Sentinel-2 and Landsat bands"
    )


class SceneTemplate(Streaming):
    """A scene per file, classified pixel by pixel into a georeferenced class map."""

    def __init__(self, pipeline: BandClassifier):
        self.pipeline = pipeline

    def discover_units(self, input_path: Path) -> list[Unit]:
        products = find_products(input_path)
        refused = [Unit(p.name, (p,), error=product_refusal(p)) for p in products]
        if input_path in products:
            return refused
        if input_path.is_file():
            return [Unit(input_path.name.split(".")[0], (input_path,))]
        cubes = [
            p
            for p in sorted(input_path.iterdir())
            if p.is_file() and p.suffix.lower() in CUBE_SUFFIXES and not is_class_map(p)
        ]
        return refused + [Unit(p.name.split(".")[0], (p,)) for p in cubes if p not in products]

    def output_names(self, unit: Unit) -> list[str]:
        names = [f"{unit.name}_classes.tif", f"{unit.name}_classes.png", f"{unit.name}_classes.json"]
        return [*names, f"{unit.name}_classes.tif.aux.xml"]  # the class names, where GDAL and QGIS look

    def read(self, unit: Unit) -> Sample:
        return Sample(open_scene(unit.files[0]), {"name": unit.name, "file": unit.files[0].name})

    def preprocess(self, sample: Sample) -> Sample:
        """The model band of each input band (matched by count or wavelength, kept by ``--bands``),
        and the scene's intensity scale from the bands used; a dead band is a missing band."""
        source, file = sample.image, sample.meta["file"]
        channels = self.pipeline.channels_for(source.bands, source.wavelengths, file, sample.options.bands)
        scale, channels = scene_statistics(source, channels)
        if not (channels >= 0).any():
            raise InputError(f"{file}: every band the model would use is constant (dead, empty or all NaN)")
        sample.meta |= {"scale": scale, "channels": channels}
        smooth = spectral_smoothness(sample.image, channels)  # a noise cube: a warning
        sample.meta["warning"] = smoothness_warning(smooth, "the spectra's bands", "imaging spectrometers")
        return sample

    def window_predictor(self, model: nn.Module, sample: Sample):
        """A strip (with its halo) -> the class of each of its core pixels (0 where a hole)."""
        return partial(self.classify, self.pipeline.predictor(model, sample.meta["channels"]), sample.meta)

    def classify(self, predict, meta: dict, read_back: tuple[np.ndarray, np.ndarray], strip: Window) -> np.ndarray:
        data, holes = read_back
        halo = self.halo
        holes = holes & (meta["channels"] >= 0)[:, None, None]  # a band the model does not read drops no pixel
        filled = fill_holes(data, holes, halo)  # a hole in a patch takes its neighbours' values
        probabilities = self.probabilities(filled / np.float32(meta["scale"]), predict, meta)
        classes = (probabilities.argmax(-1) + 1).astype(np.uint8)
        classes[holes[:, halo : halo + strip.core[2]].any(0)] = 0  # no class where the pixel is a hole
        return classes

    def probabilities(self, data: np.ndarray, predict, meta: dict) -> np.ndarray:
        """(bands, rows + 2 halo, W) normalised -> (rows, W, classes), a patch per pixel."""
        return classify_strip(data, self.halo, self.pipeline.model_cfg.patch, predict)

    # -- the streaming template: strips of STRIP_ROWS rows, into the class map ---------------------
    @property
    def halo(self) -> int:
        return self.pipeline.model_cfg.patch // 2

    @property
    def strip_rows(self) -> int:
        return STRIP_ROWS

    def plan(self, sample: Sample) -> list[Window]:
        return strips(sample.image.height, sample.image.width, self.strip_rows, self.halo)

    def read_window(self, sample: Sample, window: Window) -> tuple[np.ndarray, np.ndarray]:
        return read_strip(sample.image, window, self.halo)

    @contextmanager
    def file_sink(self, sample: Sample, paths: Mapping[str, Path]):
        config = self.pipeline.model_cfg
        writer = SceneWriter(sample.image, paths[f"{sample.name}_classes.tif"], config.classes, config.colours)
        with writer:
            yield lambda strip, classes: writer.write(strip.core[0], strip.core[0] + strip.core[2], classes)
        writer.preview(paths[f"{sample.name}_classes.png"], config.colours)
        write_category_names(paths[f"{sample.name}_classes.tif.aux.xml"], ("no data", *config.classes))
        source, georef = sample.image, sample.image.georef
        grid = {"crs": georef.crs, "transform": georef.transform, "width": source.width, "height": source.height}
        when = (
            raster_time(source.path)
            if source.path is not None and source.path.suffix.lower() in (".tif", ".tiff")
            else None
        )
        origin = {"id": sample.meta["file"], "datetime": when, "file": source.path}
        item, title = paths[f"{sample.name}_classes.json"], f"{sample.name}: classes, " + ", ".join(config.classes)
        write_item(
            item,
            f"{sample.name}_classes.tif",
            grid,
            origin,
            self.pipeline.checkpoint,
            ("data", "classification"),
            title,
        )

    @contextmanager
    def array_sink(self, sample: Sample):
        """The class map in memory: ``sample.pred`` (H, W) uint8."""
        writer = SceneWriter(sample.image, None, self.pipeline.model_cfg.classes)
        with writer:
            yield lambda strip, classes: writer.write(strip.core[0], strip.core[0] + strip.core[2], classes)
        sample.pred = writer.classes


class DenseSceneTemplate(SceneTemplate):
    """A scene per file, classified a strip at a time by a per-pixel network: a strip of half a
    window (``model.patch``) with a quarter window of context above and below; trained on windows
    around sparse labelled pixels."""

    @property
    def halo(self) -> int:
        return self.pipeline.model_cfg.patch // 4

    @property
    def strip_rows(self) -> int:
        return self.pipeline.model_cfg.patch - 2 * self.halo

    def window_predictor(self, model: nn.Module, sample: Sample):
        sample.meta["multiple"] = input_multiple(model)
        return super().window_predictor(model, sample)

    def probabilities(self, data: np.ndarray, predict, meta: dict) -> np.ndarray:
        return classify_dense(data, self.halo, meta["multiple"], predict)


def input_multiple(model: nn.Module) -> int:
    """What a window's sides must divide by: the backbone's largest reduction. An INT8 file has no
    backbone to ask, and needs none: it pads every window to the one it was quantised for."""
    backbone = getattr(model, "backbone", None)
    return 1 if backbone is None else max(info.reduction for info in backbone.feature_info)


class ChipsTemplate:
    """Each chip is a unit (so a killed run resumes chip by chip) writing ``<chip>.csv``, its row;
    ``finish_batch`` gathers every row, and the failed chips' errors, into ``predictions.csv``."""

    def __init__(self, pipeline: BandClassifier):
        self.pipeline = pipeline

    def discover_units(self, input_path: Path) -> list[Unit]:
        files = [input_path] if input_path.is_file() else sorted(p for p in input_path.iterdir() if p.is_file())
        return [Unit(p.name, (p,)) for p in files if p.suffix.lower() in CHIP_SUFFIXES and not is_ground_truth(p)]

    def output_names(self, unit: Unit) -> list[str]:
        return [f"{unit.name}.csv"]

    def read(self, unit: Unit) -> Sample:
        return Sample(unit.files, {"name": unit.name})

    def preprocess(self, sample: Sample) -> Sample:
        if not isinstance(sample.image, (tuple, list)):
            raise InputError("a chips model classifies chip files: give predict a chip's or a folder's path")
        return sample

    def infer(self, model: nn.Module, sample: Sample) -> Sample:
        """pred: the chip's row (its class and probabilities); a chip that cannot be read fails its unit."""
        (row,) = classify_chips(sample.image, self.pipeline, model, sample.options.bands)
        if "error" in row:
            raise InputError(row["error"])
        sample.pred = [row]
        return sample

    def write(self, sample: Sample, paths: Mapping[str, Path]) -> None:
        write_predictions(sample.pred, self.pipeline.model_cfg.classes, paths[f"{sample.name}.csv"])

    def finish_batch(self, output_dir: Path, results: list) -> None:
        gather_predictions(results, self.pipeline.model_cfg.classes, output_dir)


TEMPLATES = {
    "scene": SceneTemplate,
    "dense_scene": DenseSceneTemplate,
    "chips": ChipsTemplate,
    "landcover": LandcoverTemplate,
}

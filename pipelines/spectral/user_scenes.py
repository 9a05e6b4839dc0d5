"""Your labelled scenes for training (``train spectral --data DIR``): each input read as ``predict``
reads it, its class map ``DIR/truth/<unit>_classes.tif`` (1..K the model's classes in order, 0 =
unlabelled, as a layer digitised in QGIS and exported comes out), or labelled polygons
``<unit>_classes.gpkg`` / ``.geojson`` (``polygon_labels.py``), checked against it: the same
size and, where both are georeferenced, the same CRS and transform; no value beyond the model's
classes; at least one labelled pixel. A bad one is one line naming it, and it is skipped.

Land cover: a product (its bands on one grid, clouds masked as ``predict`` masks them) or a GeoTIFF
named as ``predict`` names it, placed on the model's band table (NaN where the input has no
band): ``(cube, labels)`` with 0-based labels, ``IGNORE`` where unlabelled or without data.
Hyperspectral scenes: ``(normalised cube, labels)`` as ``training_data.folder_scenes`` gives.
"""

from __future__ import annotations

import numpy as np

from ..base import InputError
from ..common.user_data import LabelledUnit
from .io import Georeference, read_class_map, read_cube
from .patches import normalise
from .polygon_labels import POLYGON_SUFFIXES, polygon_labels
from .windows import IGNORE


def checked_labels(
    item: LabelledUnit, height: int, width: int, georef: Georeference, class_names: tuple[str, ...]
) -> np.ndarray:
    """The unit's class map (0 = unlabelled), or an ``InputError`` naming what is wrong; labelled
    polygons (``polygon_labels``) are burnt onto the input's grid."""
    name, classes = item.truth.name, len(class_names)
    if item.truth.suffix.lower() in POLYGON_SUFFIXES:
        labels = polygon_labels(item.truth, height, width, georef.crs, georef.transform, class_names)
        if not labels.any():
            raise InputError(f"{name}: no polygon covers a pixel's centre of its input")
        return labels
    labels, truth_georef = read_class_map(item.truth)
    if labels.shape != (height, width):
        raise InputError(f"{name}: {labels.shape[1]}x{labels.shape[0]} pixels, its input {width}x{height}")
    if truth_georef.crs is not None and georef.crs is not None:
        differs = truth_georef.differs_from(georef)
        if differs:
            raise InputError(f"{name}: on another grid than its input ({differs})")
    if labels.max() > classes:
        raise InputError(f"{name}: class value {labels.max()}, beyond the model's {classes} classes (0 = unlabelled)")
    if not labels.any():
        raise InputError(f"{name}: no labelled pixel (0 everywhere)")
    return labels


def landcover_scene(pipeline, item: LabelledUnit) -> tuple[np.ndarray, np.ndarray]:
    """A product or GeoTIFF on the model's band table, and its 0-based labels."""
    sample = pipeline.preprocess(pipeline.read(item.unit))
    scene = sample.image
    try:
        data, holes = scene.raster.read(0, 0, scene.height, scene.width)
    finally:
        scene.close()
    data = np.where(holes, np.nan, data) if holes.ndim == 3 else np.where(holes[None], np.nan, data)
    config = pipeline.model_cfg
    labels = checked_labels(item, scene.height, scene.width, scene.georef, tuple(config.classes)) - 1
    cube = np.full((len(config.band_names), scene.height, scene.width), np.nan, np.float32)
    cube[sample.meta["channels"]] = data
    labels[np.isnan(cube).all(0)] = -1  # a cloud or no data: nothing to learn there
    labels[labels < 0] = IGNORE
    if (labels == IGNORE).all():
        raise InputError(f"{item.truth.name}: every labelled pixel is cloud, shadow or no data in the input")
    return cube, labels


def hyperspectral_scene(pipeline, item: LabelledUnit) -> tuple[np.ndarray, np.ndarray]:
    """A cube with its band count the model's, normalised, and its class map (0 = unlabelled)."""
    cube = read_cube(item.unit.files[0])
    bands = pipeline.model_cfg.bands
    if len(cube.data) != bands:
        raise InputError(f"{item.unit.files[0].name}: {len(cube.data)} bands; the model reads {bands}")
    labels = checked_labels(item, *cube.data.shape[1:], cube.georef, tuple(pipeline.model_cfg.classes))
    return normalise(cube.data, cube.valid), labels

"""Training and validation sets of the spectral pipeline, from the generator and/or your folders.

Scenes: each generated scene (seeds ``generated_seed``, +1, ...) and each cube in ``folders``
(samples layout: ``inputs/<scene>.*`` with ``truth/<scene>_classes.tif``, or a .mat that carries
its ground truth) is split per class: ``labelled_fraction`` (or ``labelled_per_class``) for
training, validation drawn from the rest. Chips: ``generated`` chips per class from training
seeds, validation chips from other seeds.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from ..base import InputError
from . import generator
from .data import Chips, LabelledScene, PixelPatches, stratified_split
from .io import CUBE_SUFFIXES, read_class_map, read_cube
from .library import SENTINEL2, imaging_spectrometer
from .patches import normalise

VAL_SEED_OFFSET = 1_000_000


def generated_scene(size: int, bands: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A generated scene as it would be read from its file: normalised cube and class map."""
    rendered = generator.scene(size, imaging_spectrometer(bands), seed)
    values = generator.to_file_values(rendered)
    return normalise(values.astype(np.float32), rendered.valid), rendered.labels.astype(np.int64)


def folder_scenes(folder: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(normalised cube, class map) for every cube with ground truth in a samples-layout folder."""
    scenes = []
    for path in sorted((folder / "inputs").iterdir()):
        if path.suffix.lower() not in CUBE_SUFFIXES:
            continue
        cube = read_cube(path)
        truth = folder / "truth" / f"{path.name.split('.')[0]}_classes.tif"
        labels = read_class_map(truth)[0] if truth.exists() else cube.ground_truth
        if labels is None:
            raise InputError(f"{path.name}: no ground truth ({truth.name} or a map inside the .mat)")
        scenes.append((normalise(cube.data, cube.valid), labels))
    return scenes


@functools.lru_cache(maxsize=1)  # training and validation split the same scenes: built once
def labelled_scenes(data, bands: int, seed: int) -> tuple[LabelledScene, ...]:
    """The scenes of ``data`` (a frozen data config), each split per class into train and rest."""
    sources = [generated_scene(data.scene_size, bands, data.generated_seed + i) for i in range(data.generated)]
    for folder in data.folders:
        sources += folder_scenes(Path(folder))
    rng = np.random.default_rng(seed)
    scenes = []
    for cube, labels in sources:
        if len(cube) != bands:
            raise InputError(f"training cube has {len(cube)} bands; model.bands is {bands}")
        train, rest = stratified_split(labels, data.labelled_fraction, data.labelled_per_class, rng)
        scenes.append(LabelledScene(cube, labels, train, rest))
    return tuple(scenes)


def generated_chips(per_class: int, seed: int, side: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 13, side, side) normalised chips and their 0-based labels, ``per_class`` of each class."""
    chips, labels = [], []
    for label, kind in enumerate(generator.CHIP_CLASSES):
        for i in range(per_class):
            reflectance = generator.chip(kind, side, seed * 100_000 + label * 10_000 + i, SENTINEL2)
            values = np.round(reflectance * generator.REFLECTANCE_SCALE).astype(np.float32)
            chips.append(normalise(values))
            labels.append(label)
    return np.stack(chips), np.array(labels)


class TrainingPixels(PixelPatches):
    """The training pixels, and the split they come from as a record of the run."""

    def run_records(self) -> dict[str, dict]:
        """``split.json``: the training pixels of each scene (row, column), in the order loaded."""
        split = [{"scene": i, "train_pixels": scene.train.tolist()} for i, scene in enumerate(self.scenes)]
        return {"split.json": {"note": "scenes: generated seeds first, then data.folders in order", "scenes": split}}


def scene_train_dataset(pipeline, seed: int) -> TrainingPixels:
    scenes = labelled_scenes(pipeline.data_cfg, pipeline.model_cfg.bands, seed)
    return TrainingPixels(list(scenes), "train", pipeline.model_cfg.patch, pipeline.data_cfg.brightness, seed=seed)


def scene_val_dataset(pipeline, seed: int) -> PixelPatches:
    scenes = labelled_scenes(pipeline.data_cfg, pipeline.model_cfg.bands, seed)
    limit = pipeline.data_cfg.val_pixels
    return PixelPatches(list(scenes), "rest", pipeline.model_cfg.patch, limit=limit, seed=seed + 1)


def chips_train_dataset(pipeline, seed: int) -> Chips:
    data = pipeline.data_cfg
    chips, labels = generated_chips(data.generated, data.generated_seed, pipeline.model_cfg.patch)
    return Chips(chips, labels, data.brightness, seed)


def chips_val_dataset(pipeline, seed: int) -> Chips:
    data = pipeline.data_cfg
    seed = data.generated_seed + VAL_SEED_OFFSET
    return Chips(*generated_chips(data.val_chips_per_class, seed, pipeline.model_cfg.patch))

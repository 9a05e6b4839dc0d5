"""Training and validation sets of the spectral pipeline, from the generator and/or your folders.

Scenes: each generated scene (seeds ``generated_seed``, +1, ...) and each cube in ``folders``
(samples layout: ``inputs/<scene>.*`` with ``truth/<scene>_classes.tif``, or a .mat that carries
its ground truth) is split per class: ``labelled_fraction`` (or ``labelled_per_class``) for
training, validation drawn from the rest. Chips: ``generated`` chips per class from training
seeds, validation chips from other seeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..base import InputError
from ..common.atomic import write_json_atomic
from . import generator
from .cube_io import CUBE_SUFFIXES, read_class_map, read_cube
from .data import Chips, LabelledScene, PixelPatches, normalise, stratified_split
from .library import SENTINEL2, imaging_spectrometer

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


def labelled_scenes(pipeline, seed: int) -> list[LabelledScene]:
    data, model = pipeline.data_cfg, pipeline.model_cfg
    sources = [generated_scene(data.scene_size, model.bands, data.generated_seed + i) for i in range(data.generated)]
    for folder in data.folders:
        sources += folder_scenes(Path(folder))
    rng = np.random.default_rng(seed)
    scenes = []
    for cube, labels in sources:
        if len(cube) != model.bands:
            raise InputError(f"training cube has {len(cube)} bands; model.bands is {model.bands}")
        train, rest = stratified_split(labels, data.labelled_fraction, data.labelled_per_class, rng)
        scenes.append(LabelledScene(cube, labels, train, rest))
    return scenes


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


def save_split(scenes: list[LabelledScene], path: Path) -> None:
    """The training pixels of each scene (row, column), in the order scenes were loaded."""
    split = [{"scene": i, "train_pixels": scene.train.tolist()} for i, scene in enumerate(scenes)]
    write_json_atomic(path, {"note": "scenes: generated seeds first, then data.folders in order", "scenes": split})


def scene_train_dataset(pipeline, seed: int) -> PixelPatches:
    pipeline.scenes = labelled_scenes(pipeline, seed)  # kept so validation uses the same split
    if pipeline.run_dir is not None:
        save_split(pipeline.scenes, pipeline.run_dir / "split.json")
    return PixelPatches(pipeline.scenes, "train", pipeline.model_cfg.patch, pipeline.data_cfg.brightness, seed=seed)


def scene_val_dataset(pipeline, seed: int) -> PixelPatches:
    scenes = getattr(pipeline, "scenes", None) or labelled_scenes(pipeline, seed)
    limit = pipeline.data_cfg.val_pixels
    return PixelPatches(scenes, "rest", pipeline.model_cfg.patch, limit=limit, seed=seed + 1)


def chips_train_dataset(pipeline, seed: int) -> Chips:
    data = pipeline.data_cfg
    chips, labels = generated_chips(data.generated, data.generated_seed, pipeline.model_cfg.patch)
    return Chips(chips, labels, data.brightness, seed)


def chips_val_dataset(pipeline, seed: int) -> Chips:
    data = pipeline.data_cfg
    seed = data.generated_seed + VAL_SEED_OFFSET
    return Chips(*generated_chips(data.val_chips_per_class, seed, pipeline.model_cfg.patch))

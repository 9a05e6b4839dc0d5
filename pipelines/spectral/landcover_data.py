"""Training data of the land-cover template: generated Sentinel-2 and Landsat scenes (``multispectral``)
on the model's band table, windows cut from them with every pure pixel labelled.

Each scene fills only its sensor's rows of the model's bands (the others are NaN: missing), and
every training window keeps a random subset of those, drawn per window (Hierarchical Channel
Sampling, Bao et al. 2024, over the bands the window's sensor has: first how many, uniformly, then
which), or, as often, all of them or the four 10 m Sentinel-2 bands: so one model reads either
sensor, any subset of its bands, and what a cloud mask leaves.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch.utils.data import Dataset

from .data import as_item
from .multispectral import SENSORS, on_grid, scene
from .windows import IGNORE

VAL_SEED_OFFSET = 1_000_000
LANDSAT_SEED_OFFSET = 500_000  # Landsat scenes never share a layout with a Sentinel-2 one
TEN_METRE_BANDS = ("B02", "B03", "B04", "B08")


def scene_rows(band_names: tuple[str, ...], sensor_key: str) -> np.ndarray:
    """The model band (row) of each of the sensor's bands, in the sensor's order."""
    names = SENSORS[sensor_key].names
    missing = [n for n in names if n not in band_names]
    if missing:
        raise ValueError(f"the model's bands lack {sensor_key}'s {', '.join(missing)}")
    return np.array([band_names.index(n) for n in names])


def generated_scenes(model, data, validation: bool) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """(cube on the model's band table, NaN where absent; 0-based labels, IGNORE where unlabelled)
    for ``data.generated`` scenes of each of the model's sensors (a quarter as many for validation)."""
    counts = tuple(scene_counts(model, data, validation).values())
    first = data.generated_seed + validation * VAL_SEED_OFFSET
    return generated(tuple(model.band_names), tuple(model.sensors), counts, first, data.scene_size)


def scene_counts(model, data, validation: bool) -> dict[str, int]:
    """Generated scenes per sensor: ``data.generated``, Landsat's ``data.landsat_scenes`` where set
    (a 30 m scene of the same ground has a ninth of the pixels); a quarter as many for validation."""
    counts = {
        key: data.landsat_scenes if key == "landsat" and data.landsat_scenes else data.generated
        for key in model.sensors
    }
    return {key: max(1, count // 4) if validation else count for key, count in counts.items()}


def sensor_weights(model, data) -> np.ndarray:
    """Each training scene's chance of giving a window: every sensor as often, however many scenes it has."""
    counts = scene_counts(model, data, validation=False).values()
    return np.concatenate([np.full(count, 1 / (count * len(counts))) for count in counts])


@functools.lru_cache(maxsize=2)  # built once per run, for training and validation
def generated(band_names: tuple[str, ...], sensors: tuple[str, ...], counts: tuple[int, ...], first: int, extent: int):
    scenes = []
    for sensor_index, (key, count) in enumerate(zip(sensors, counts)):
        sensor = SENSORS[key]
        rows = scene_rows(band_names, key)
        multiple = max(sensor.resolutions) // sensor.grid  # whole coarse pixels
        side = extent * 10 // sensor.grid // multiple * multiple  # the same ground extent for every sensor
        for i in range(count):
            rendered = scene(sensor, side, first + i + sensor_index * LANDSAT_SEED_OFFSET)
            cube = np.full((len(band_names), side, side), np.nan, np.float32)
            cube[rows] = on_grid(rendered)
            labels = rendered.labels.astype(np.int64) - 1
            labels[labels < 0] = IGNORE
            scenes.append((cube, labels))
    return tuple(scenes)


def keep_bands(cube: np.ndarray, rng: np.random.Generator, band_names: tuple[str, ...]) -> np.ndarray:
    """The window with some of its bands made missing (NaN): all of them, the 10 m four, or an HCS draw."""
    present = np.flatnonzero(~np.isnan(cube).all((1, 2)))
    draw = rng.uniform()
    if draw < 0.35:
        return cube
    if draw < 0.5:
        keep = [i for i in present if band_names[i] in TEN_METRE_BANDS]
        keep = keep or present
    else:
        keep = rng.choice(present, int(rng.integers(1, len(present) + 1)), replace=False)
    out = np.full_like(cube, np.nan)
    out[keep] = cube[keep]
    return out


class LandcoverWindows(Dataset):
    """Random windows of the scenes: flipped, rotated, brightened by up to ``brightness``, band subsets.

    Args:
        length: windows per epoch (each drawn afresh).
    """

    def __init__(
        self, scenes, window: int, brightness: float, band_names, length: int = 1024, seed: int = 0, weights=None
    ):
        self.scenes, self.brightness, self.length = scenes, brightness, length
        self.weights = weights  # each scene's chance of a window; None: all alike
        self.window = min(window, *(labels.shape[0] for _, labels in scenes))  # one size: windows batch together
        self.band_names = tuple(band_names)
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        count = len(self.scenes)
        pick = self.rng.integers(count) if self.weights is None else self.rng.choice(count, p=self.weights)
        cube, labels = self.scenes[pick]
        window = self.window
        top, left = self.rng.integers(0, np.array(labels.shape) - window + 1)
        image = cube[:, top : top + window, left : left + window]
        label = labels[top : top + window, left : left + window]
        turns, flip = int(self.rng.integers(4)), bool(self.rng.integers(2))
        image, label = np.rot90(image, turns, (1, 2)), np.rot90(label, turns)
        if flip:
            image, label = image[:, :, ::-1], label[:, ::-1]
        image = keep_bands(
            image * np.float32(self.rng.uniform(1 - self.brightness, 1 + self.brightness)), self.rng, self.band_names
        )
        return as_item(image, label)


class LandcoverTiles(Dataset):
    """Validation: every scene cut into windows, all bands, every pure pixel labelled."""

    def __init__(self, scenes, window: int):
        self.items = []
        side = min(window, *(labels.shape[0] for _, labels in scenes))
        for cube, labels in scenes:
            for top in range(0, labels.shape[0] - side + 1, side):
                for left in range(0, labels.shape[1] - side + 1, side):
                    tile = labels[top : top + side, left : left + side]
                    if (tile != IGNORE).any():
                        self.items.append((cube[:, top : top + side, left : left + side], tile))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return as_item(*self.items[index])

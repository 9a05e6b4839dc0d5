"""Training on your own labelled folder (``hybridvision train --data DIR``), the same for every task.

The folder is laid out as ``samples`` writes it and ``evaluate`` reads it: ``DIR/inputs/`` holds
the units as ``predict`` takes them and ``DIR/truth/`` their labels, named after the unit (a task
says how: ``<unit>_seg.nii.gz``, ``<unit>_classes.tif`` ...); where ``DIR/inputs`` is absent the
units are read from DIR itself (a BraTS-style folder, its ``_seg`` file beside the modalities).
A unit without its truth, or that cannot be read, is reported in one line and skipped; training
goes on while at least two units remain (one to train on, one to validate on), else it stops
before its first step.

Classes of your own (spectral): ``DIR/classes.json`` names them in label order; the model gets
them (and a head learnt anew where their count differs from a checkpoint's).

The split: ``DIR/units_split.json`` (``{"train": [unit, ...], "val": [...]}``) where present,
else a seeded share (``train.val_fraction``, at least one unit) for validation. The run folder
records it in ``data_split.json``.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generic, Iterable, TypeVar

from ..errors import InputError
from ..units import Unit

T = TypeVar("T")
SPLIT_FILE = "units_split.json"


@dataclass(frozen=True)
class LabelledUnit:
    """A unit of the user's folder and the file of its truth."""

    unit: Unit
    truth: Path

    @property
    def name(self) -> str:
        return self.unit.name


def say(line: str) -> None:
    """A line about the user's data, on stderr beside the training's progress."""
    print(line, file=sys.stderr, flush=True)


def inputs_folder(data_dir: Path) -> Path:
    if not data_dir.is_dir():
        raise InputError(f"--data {data_dir}: not a folder")
    inputs = data_dir / "inputs"
    return inputs if inputs.is_dir() else data_dir


def pair_with_truth(
    data_dir: Path, units: Iterable[Unit], truth_names: Callable[[Unit], list[Path]], expected: str
) -> list[LabelledUnit]:
    """Each readable unit with the first of its candidate truth files that exists; the others said and skipped.

    ``expected``: how the truth is named, for the line that says it is missing (``truth/<unit>_seg.nii.gz``)."""
    paired = []
    for unit in units:
        if unit.error:
            say(f"skipped {unit.name}: {unit.error}")
            continue
        truth = next((p for p in truth_names(unit) if p.is_file()), None)
        if truth is None:
            say(f"skipped {unit.name}: no truth ({expected.replace('<unit>', unit.name)})")
            continue
        paired.append(LabelledUnit(unit, truth))
    return paired


def split_names(
    data_dir: Path, names: list[str], val_fraction: float, seed: int, split_path: Path | None = None
) -> tuple[list[str], list[str]]:
    """(train, validation) unit names, by ``split_path`` (default ``DIR/units_split.json``) or a seeded share.

    Units the split names in neither list are left out (a few-label run trains on some of them)."""
    split_path = split_path or data_dir / SPLIT_FILE
    if split_path.is_file():
        try:
            split = json.loads(split_path.read_text())
            train, val = [str(n) for n in split["train"]], [str(n) for n in split["val"]]
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(f"{split_path}: not a {{'train': [...], 'val': [...]}} JSON object ({error})") from None
        for name in sorted(set(train + val) - set(names)):
            say(f"{SPLIT_FILE}: {name} is not a usable unit of {data_dir.name}; left out")
        train, val = [n for n in train if n in names], [n for n in val if n in names]
    else:
        order = sorted(names)
        random.Random(seed).shuffle(order)
        count = min(len(order) - 1, max(1, round(val_fraction * len(order))))
        val, train = sorted(order[:count]), sorted(order[count:])
    if not train or not val:
        raise InputError(
            f"--data {data_dir}: {len(train)} unit(s) to train on and {len(val)} to validate on; "
            "both need at least one (the lines above say which units were skipped)"
        )
    return train, val


def named_in(split_path: Path) -> set[str] | None:
    """Every unit a split file names (None where it cannot be read: ``split_names`` says why)."""
    try:
        split = json.loads(split_path.read_text())
        return {str(n) for n in [*split["train"], *split["val"]]}
    except (ValueError, KeyError, TypeError):
        return None


@dataclass
class UserData(Generic[T]):
    """The user's units, loaded and split (``load_user_data``)."""

    train: list[T]
    val: list[T]
    record: dict  # data_split.json


def load_user_data(
    data_dir: Path,
    units: Iterable[Unit],
    truth_names: Callable[[Unit], list[Path]],
    expected: str,
    load: Callable[[LabelledUnit], T],
    val_fraction: float,
    seed: int,
    split_file: Path | None = None,
) -> UserData[T]:
    """The units paired with their truth, each loaded (a bad one said and skipped), then split."""
    if split_file is not None and not split_file.is_file():
        raise InputError(f"train.split_file {split_file}: not found")
    split = split_file or data_dir / SPLIT_FILE
    wanted = named_in(split) if split.is_file() else None  # a split file's units only: the others are not read
    loaded: dict[str, T] = {}
    for item in pair_with_truth(data_dir, units, truth_names, expected):
        if wanted is not None and item.name not in wanted:
            continue
        try:
            loaded[item.name] = load(item)
        except InputError as error:
            say(f"skipped {item.name}: {str(error).splitlines()[0]}")
    train, val = split_names(data_dir, list(loaded), val_fraction, seed, split_file)
    how = str(split) if split.is_file() else f"a seeded share ({val_fraction:g} to validate)"
    record = {"data": str(data_dir), "split_by": how, "train": train, "val": val}
    say(f"--data {data_dir.name}: {len(train)} units to train on, {len(val)} to validate on")
    return UserData([loaded[n] for n in train], [loaded[n] for n in val], record)


CLASSES_FILE = "classes.json"
# distinct colours for classes of your own (Okabe-Ito, then a few more), the legend's when classes.json gives none
PALETTE = ((0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233), (213, 94, 0),
           (240, 228, 66), (0, 0, 0), (120, 120, 120), (160, 80, 40), (100, 200, 100), (150, 50, 200))  # fmt: skip


def own_classes(data_dir: Path, model: Any) -> tuple[tuple[str, ...], tuple[tuple[int, int, int], ...]] | None:
    """``DIR/classes.json``: your class names in label order (1..K), as a list or as
    ``{"classes": [...], "colours": [[r, g, b], ...]}``; None where absent or the model's own."""
    path = data_dir / CLASSES_FILE
    if not path.is_file():
        return None
    if not hasattr(model, "classes"):
        raise InputError(f"{path}: this task's classes are fixed by its model; leave {CLASSES_FILE} out")
    try:
        raw = json.loads(path.read_text())
        names = raw["classes"] if isinstance(raw, dict) else raw
        names = tuple(str(n) for n in names)
        colours = raw.get("colours") if isinstance(raw, dict) else None
        colours = tuple(tuple(int(v) for v in c) for c in colours) if colours else None
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(
            f"{path}: a list of class names, or {{'classes': [...], 'colours': [...]}} ({error})"
        ) from None
    if not names or len(set(names)) < len(names):
        raise InputError(f"{path}: class names must be given, each once")
    if colours is not None and (len(colours) != len(names) or any(len(c) != 3 for c in colours)):
        raise InputError(f"{path}: one [r, g, b] colour per class ({len(names)})")
    if names == tuple(model.classes):
        return None
    return names, colours or tuple(PALETTE[i % len(PALETTE)] for i in range(len(names)))

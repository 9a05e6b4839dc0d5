"""Chips: each file one multi-band patch, classified whole; results in one CSV for the folder."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..base import InputError
from .io import read_cube
from .patches import normalise

CHIP_SUFFIXES = (".tif", ".tiff", ".npy")


def load_chip(path: Path, side: int) -> tuple[np.ndarray, tuple[float, ...] | None]:
    """A normalised (bands, side, side) chip; other sizes are resized (bilinear)."""
    import torch
    import torch.nn.functional as F

    cube = read_cube(path)
    data = normalise(cube.data, cube.valid)
    if data.shape[1:] != (side, side):
        resized = F.interpolate(torch.from_numpy(data)[None], size=(side, side), mode="bilinear", align_corners=False)
        data = resized[0].numpy()
    return data, cube.wavelengths


def classify_chips(files, pipeline, model, subset: str = "all") -> list[dict]:
    """One row per file: class and probabilities, or the error that stopped it (the rest go on);
    ``subset``: ``--bands``."""
    rows = []
    for path in files:
        try:
            chip, wavelengths = load_chip(path, pipeline.model_cfg.patch)
            channels = pipeline.channels_for(len(chip), wavelengths, path.name, subset)
            probabilities = pipeline.predictor(model, channels)(chip[None])[0]
            best = pipeline.model_cfg.classes[int(probabilities.argmax())]
            rows.append({"file": path.name, "class": best, "probabilities": probabilities})
        except InputError as error:
            rows.append({"file": path.name, "error": str(error)})
    return rows


def write_predictions(rows: list[dict], classes: tuple[str, ...], path: Path) -> None:
    """``file, class, p_<class>..., error`` (probabilities to 4 decimals)."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "class", *(f"p_{c}" for c in classes), "error"])
        for row in rows:
            if "error" in row:
                writer.writerow([row["file"], "", *([""] * len(classes)), row["error"]])
            else:
                writer.writerow([row["file"], row["class"], *(f"{p:.4f}" for p in row["probabilities"]), ""])


def gather_predictions(results: list, classes: tuple[str, ...], output_dir: Path) -> None:
    """``predictions.csv`` from the batch's per-chip CSVs, in input order; a failed chip's row holds
    its error (``results``: the batch report's unit results)."""
    from ..common.atomic import atomic_outputs

    header = ["file", "class", *(f"p_{c}" for c in classes), "error"]
    final = output_dir / "predictions.csv"
    with atomic_outputs({"csv": final}) as temps, open(temps["csv"], "w", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        for result in results:
            if result.status == "failed":
                writer.writerow({"file": result.name, "error": result.error})
            elif result.outputs:
                with open(output_dir / result.outputs[0], newline="") as row_file:
                    writer.writerows(csv.DictReader(row_file))


def read_labels(path: Path, column: str = "label") -> dict[str, str]:
    """file -> class from a CSV with a ``file`` column and ``column`` (labels.csv or predictions.csv)."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "file" not in reader.fieldnames or column not in reader.fieldnames:
            raise InputError(f"{path.name}: expected columns 'file' and '{column}'")
        return {row["file"]: row[column] for row in reader if row.get(column)}

"""superres's work for ``bench batch``: the shipped ``superres/x2`` on crops of a real photograph
(scikit-image's astronaut), one unit each (``bench/batch_bench.py`` times the engines)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

from ..batch_bench import compare_engines


def write_units(folder: Path, count: int, side: int, prefix: str = "unit") -> Path:
    """``count`` PNG crops of ``side`` pixels, ``<prefix>000.png`` on."""
    from skimage import data, io

    folder.mkdir(parents=True, exist_ok=True)
    image = data.astronaut()
    for index in range(count):
        top, left = (index * 37) % (512 - side), (index * 53) % (512 - side)
        io.imsave(
            folder / f"{prefix}{index:03d}.png", image[top : top + side, left : left + side], check_contrast=False
        )
    return folder


def run(units: int = 12, side: int = 128, log: Callable[[str], None] = print) -> dict[str, Any]:
    """``units`` crops of ``side`` pixels through each engine."""
    with tempfile.TemporaryDirectory(prefix="hybridvision-batch-units-") as scratch:
        inputs = write_units(Path(scratch) / "in", units, side)
        return compare_engines("superres/x2", inputs, log) | {"side": side}

"""A colour preview of a class map with a legend, as PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

NO_CLASS_COLOUR = (0, 0, 0)


def colourise(classes: np.ndarray, colours: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """(H, W) labels 0..K -> (H, W, 3) uint8; 0 (unlabelled / no data) is black."""
    table = np.array([NO_CLASS_COLOUR, *colours], np.uint8)
    return table[np.clip(classes, 0, len(colours))]


def write_preview(classes: np.ndarray, names: tuple[str, ...], colours, path: Path, areas: dict | None = None) -> None:
    """The colour map (nearest-neighbour enlarged to at least 256 px) and a legend to its right."""
    image = Image.fromarray(colourise(classes, colours))
    factor = max(1, int(np.ceil(256 / max(classes.shape))))
    image = image.resize((image.width * factor, image.height * factor), Image.NEAREST)
    row = 16
    legend_width = 10 + 14 + 6 + 7 * max(len(n) + (12 if areas else 0) for n in names)
    canvas = Image.new("RGB", (image.width + legend_width, max(image.height, row * len(names) + 10)), "white")
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for index, (name, colour) in enumerate(zip(names, colours)):
        top = 5 + index * row
        draw.rectangle([image.width + 10, top, image.width + 22, top + 12], fill=tuple(colour), outline="black")
        text = f"{name} ({areas[name]})" if areas and name in areas else name
        draw.text((image.width + 28, top), text, fill="black")
    canvas.save(path, format="PNG")

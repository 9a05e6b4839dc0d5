"""A colour preview of a class map with a legend, as PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..common.holes import checkerboard

NO_CLASS_COLOUR = (0, 0, 0, 0)  # transparent: no data, or no label
NO_DATA_LEGEND = "no data (a hole in a band: nodata or NaN)"


def colourise(classes: np.ndarray, colours: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """(H, W) labels 0..K -> (H, W, 4) uint8 RGBA; 0 (no data / unlabelled) is transparent."""
    table = np.array([NO_CLASS_COLOUR, *[(*colour, 255) for colour in colours]], np.uint8)
    return table[np.clip(classes, 0, len(colours))]


def write_preview(classes: np.ndarray, names: tuple[str, ...], colours, path: Path, areas: dict | None = None) -> None:
    """The colour map (nearest-neighbour enlarged to at least 256 px; class 0 transparent) and a
    legend to its right, whose last entry is the no-data swatch."""
    image = Image.fromarray(colourise(classes, colours), "RGBA")
    factor = max(1, int(np.ceil(256 / max(classes.shape))))
    image = image.resize((image.width * factor, image.height * factor), Image.NEAREST)
    row = 16
    entries = len(names) + 1
    legend_width = 10 + 14 + 6 + 7 * max(len(NO_DATA_LEGEND), *(len(n) + (12 if areas else 0) for n in names))
    canvas = Image.new(
        "RGBA", (image.width + legend_width, max(image.height, row * entries + 10)), (255, 255, 255, 255)
    )
    canvas.paste(Image.new("RGBA", image.size, (0, 0, 0, 0)), (0, 0))  # the map's holes stay see-through
    canvas.alpha_composite(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for index, (name, colour) in enumerate(zip(names, colours)):
        top = 5 + index * row
        draw.rectangle([image.width + 10, top, image.width + 22, top + 12], fill=tuple(colour), outline="black")
        text = f"{name} ({areas[name]})" if areas and name in areas else name
        draw.text((image.width + 28, top), text, fill="black")
    top = 5 + len(names) * row
    canvas.paste(Image.fromarray(checkerboard(13, 13, cell=4)), (image.width + 10, top))
    draw.rectangle([image.width + 10, top, image.width + 22, top + 12], outline="black")
    draw.text((image.width + 28, top), NO_DATA_LEGEND, fill="black")
    canvas.save(path, format="PNG")

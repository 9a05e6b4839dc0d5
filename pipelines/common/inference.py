"""Inference over inputs larger than one forward pass, in one place for every task.

Rasters stream: a planner cuts the image into windows, each window's *context* (its core plus a
margin) is read, predicted, and only its *core* is written, so memory is one window whatever the
raster size. ``tiles`` (super-resolution: origins on the attention-window grid) and ``strips``
(scene classification: full-width rows with a halo) are the planners; ``stream`` is the loop.
Volumes go through MONAI's Gaussian-blended sliding window (``sliding_window``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch

Box = tuple[int, int, int, int]  # top, left, height, width


@dataclass(frozen=True)
class Window:
    """``core``: the box this window writes; ``context``: the box it reads (the core plus a margin,
    clipped to the image)."""

    core: Box
    context: Box

    @property
    def core_in_context(self) -> tuple[slice, slice]:
        """Rows and columns of the core inside the context that was read."""
        top, left = self.core[0] - self.context[0], self.core[1] - self.context[1]
        return slice(top, top + self.core[2]), slice(left, left + self.core[3])

    @property
    def margins(self) -> tuple[int, int]:
        """Rows of context read above and below the core (fewer than planned at the image border)."""
        return self.core[0] - self.context[0], (self.context[0] + self.context[2]) - (self.core[0] + self.core[2])


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def context_of(core: Box, margin: int, height: int, width: int) -> Box:
    top, left, core_h, core_w = core
    in_top, in_left = max(0, top - margin), max(0, left - margin)
    in_bottom, in_right = min(height, top + core_h + margin), min(width, left + core_w + margin)
    return in_top, in_left, in_bottom - in_top, in_right - in_left


def tiles(height: int, width: int, tile: int, overlap: int, multiple: int = 1) -> list[Window]:
    """Core tiles covering the image whose origins and margins are multiples of ``multiple`` (an
    attention window: each tile then sees the windows the whole image would), each read with
    ``overlap`` (rounded up to ``multiple``) pixels of context on every side; ``tile`` bounds the
    context's side."""
    margin = round_up(overlap, multiple)
    core = max(multiple, (tile - 2 * margin) // multiple * multiple)
    return [
        Window(box, context_of(box, margin, height, width))
        for box in (
            (top, left, min(core, height - top), min(core, width - left))
            for top in range(0, height, core)
            for left in range(0, width, core)
        )
    ]


def strips(height: int, width: int, rows: int, halo: int) -> list[Window]:
    """Full-width strips of ``rows`` rows, each read with ``halo`` rows of context above and below."""
    windows = []
    for top in range(0, height, rows):
        core = (top, 0, min(rows, height - top), width)
        windows.append(Window(core, context_of(core, halo, height, width)))
    return windows


def stream(
    windows: Sequence[Window],
    read: Callable[[Window], Any],
    predict: Callable[[Any, Window], Any],
    write: Callable[[Window, Any], None],
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """For each window: read its context, predict its core, write it."""
    for index, window in enumerate(windows):
        write(window, predict(read(window), window))
        if progress is not None:
            progress(index + 1, len(windows))


def sliding_window(
    model: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    roi: Sequence[int],
    batch: int = 1,
    overlap: float = 0.5,
) -> torch.Tensor:
    """Gaussian-blended sliding-window output of a (B, C, *S) volume of any size (MONAI)."""
    from monai.inferers import sliding_window_inference

    return sliding_window_inference(
        image, list(roi), batch, model, overlap=overlap, mode="gaussian", padding_mode="constant"
    )


def flip_combinations(spatial_dims: int) -> list[tuple[int, ...]]:
    """Every subset of the spatial axes of a (B, C, *S) tensor, the identity first, singles next."""
    from itertools import combinations

    axes = range(2, 2 + spatial_dims)
    return [combo for size in range(spatial_dims + 1) for combo in combinations(axes, size)]


def flip_tta(predict: Callable[[torch.Tensor], torch.Tensor], image: torch.Tensor, flips: int):
    """Test-time augmentation by flips: the mean and the per-voxel variance of ``predict`` over the
    first ``flips`` of ``flip_combinations`` (each output flipped back before averaging).

    Args:
        predict: (B, C, *S) -> (B, K, *S) probabilities.
        flips: 1 to 2 ** spatial dims (8 for volumes).

    Returns:
        ``(mean, variance)``, each (B, K, *S).
    """
    combos = flip_combinations(image.ndim - 2)
    if not 1 <= flips <= len(combos):
        raise ValueError(f"--tta-flips must be 1 to {len(combos)}, got {flips}")
    total = squares = None
    for axes in combos[:flips]:
        out = predict(image.flip(axes) if axes else image)
        out = out.flip(axes) if axes else out
        total = out if total is None else total + out
        squares = out.square() if squares is None else squares + out.square()
    mean = total / flips
    return mean, (squares / flips - mean.square()).clamp(min=0)

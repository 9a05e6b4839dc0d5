"""Out-of-distribution checks: a warning when an input is far from anything a model learned from.

A model gives an answer for any array of the right shape; these checks say when not to trust it.
Each task sets ``sample.meta["warning"]`` from a statistic with a documented threshold (README,
"Out-of-distribution warnings"); ``predict`` puts it in ``report.json`` and the demo shows it.

- **Neighbour correlation** (tumor3d volumes, spectral cubes): images of the world are smooth, so
  a voxel correlates with the next one along each axis (MRI: above 0.8 at 1-2 mm), and a spectrum
  with the next band (imaging spectrometers: above 0.9). Noise, a shuffled or corrupted file, a
  cube whose bands are not in wavelength order gives about 0.
- **Fragmentation and confidence** (xray2shape): a bone reconstructed from views the model knows is
  one piece, called with confidence; from radiographs of another anatomy it falls apart (the share
  of a bone outside its largest piece) or the model is unsure (its mean top-class probability over
  the voxels it calls bone).
"""

from __future__ import annotations

import numpy as np

SMOOTH_BELOW = 0.3  # neighbour correlation under this: not an image of the kind the model learned from
FRAGMENTED_ABOVE = 0.10  # share of a bone outside its largest connected piece
UNSURE_BELOW = 0.86  # mean top-class probability over the voxels called bone
PAIRS = 500_000  # neighbour pairs enough for a correlation to two decimals; more only costs time


def neighbour_correlation(data: np.ndarray, axis: int, mask: np.ndarray | None = None) -> float:
    """Pearson correlation of each element with the next one along ``axis`` (where both are in
    ``mask``, same shape as ``data``); 1.0 when there is too little to tell (fewer than 16 pairs or
    no variation)."""
    data = np.asarray(data, np.float64)
    first = np.take(data, np.arange(data.shape[axis] - 1), axis=axis)
    second = np.take(data, np.arange(1, data.shape[axis]), axis=axis)
    if mask is not None:
        keep = np.take(mask, np.arange(mask.shape[axis] - 1), axis=axis) & np.take(
            mask, np.arange(1, mask.shape[axis]), axis=axis
        )
        first, second = first[keep], second[keep]
    first, second = first.ravel(), second.ravel()
    if first.size > PAIRS:
        step = first.size // PAIRS + 1
        first, second = first[::step], second[::step]
    if first.size < 16 or first.std() == 0 or second.std() == 0:
        return 1.0
    return float(np.corrcoef(first, second)[0, 1])


def volume_smoothness(volumes: np.ndarray) -> float:
    """The least smooth channel of (C, X, Y, Z) volumes: each channel's neighbour correlation along
    the three axes (averaged), over the foreground (voxels not 0 in some channel: background is 0
    after normalisation)."""
    foreground = (volumes != 0).any(0)
    return min(
        float(np.mean([neighbour_correlation(channel, axis, foreground) for axis in range(3)])) for channel in volumes
    )


def fragmented_share(label: np.ndarray, value: int) -> float:
    """The share of ``label == value`` voxels outside its largest 26-connected piece (0: one piece
    or none)."""
    from scipy import ndimage

    mask = label == value
    if not mask.any():
        return 0.0
    pieces, count = ndimage.label(mask, structure=np.ones((3, 3, 3)))
    if count < 2:
        return 0.0
    sizes = np.bincount(pieces.ravel())[1:]
    return float(1.0 - sizes.max() / sizes.sum())


def smoothness_warning(correlation: float, what: str, expected: str) -> str | None:
    """The warning for a neighbour correlation under ``SMOOTH_BELOW`` (None above it)."""
    if correlation >= SMOOTH_BELOW:
        return None
    return (
        f"{what} correlate {correlation:.2f} with their neighbours ({expected} above {SMOOTH_BELOW}): "
        "this looks like noise or a corrupted file, not what the model learned from; do not trust the result"
    )


def bones_warning(label: np.ndarray, confidence: np.ndarray, names: dict[int, str]) -> str | None:
    """The warning for a reconstruction in pieces or called without confidence (None otherwise).

    label: the predicted labels; confidence: each voxel's top-class probability; names: bone labels.
    """
    bone = label > 0
    if not bone.any():
        return "no bone was reconstructed: are these radiographs of the model's anatomy?"
    pieces = {name: fragmented_share(label, value) for value, name in names.items()}
    worst = max(pieces, key=pieces.get)
    sure = float(confidence[bone].mean())
    if pieces[worst] <= FRAGMENTED_ABOVE and sure >= UNSURE_BELOW:
        return None
    return (
        f"the {worst} came out in pieces ({100 * pieces[worst]:.0f}% outside its largest piece; familiar views "
        f"stay under {100 * FRAGMENTED_ABOVE:.0f}%) and the model's confidence in the bone is {sure:.2f} (familiar "
        f"views: {UNSURE_BELOW} or more): these views may not show the model's anatomy; do not trust the result"
    )

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


def neighbour_pairs(shape: tuple[int, ...], axis: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Where the element-and-next pairs along ``axis`` are (both in ``mask``, if given): indices into
    the array less its last slice along ``axis``, every k-th pair in C order so at most ``PAIRS``."""
    first = tuple(slice(0, -1) if a == axis else slice(None) for a in range(len(shape)))
    second = tuple(slice(1, None) if a == axis else slice(None) for a in range(len(shape)))
    pair_shape = tuple(n - (a == axis) for a, n in enumerate(shape))
    if mask is None:  # every pair: the sampled indices alone, never all of them
        count = int(np.prod(pair_shape))
        flat = np.arange(0, count, count // PAIRS + 1 if count > PAIRS else 1)
    else:
        flat = np.flatnonzero(mask[first] & mask[second])
        if flat.size > PAIRS:
            flat = flat[:: flat.size // PAIRS + 1]
    return np.unravel_index(flat, pair_shape)


def pair_correlation(data: np.ndarray, axis: int, pairs: tuple[np.ndarray, ...]) -> float:
    """Pearson correlation of ``data`` at ``pairs`` (``neighbour_pairs``) with the next element along
    ``axis``; 1.0 when there is too little to tell (fewer than 16 pairs or no variation)."""
    data = np.asarray(data)
    following = tuple(index + 1 if a == axis else index for a, index in enumerate(pairs))
    first, second = data[pairs].astype(np.float64), data[following].astype(np.float64)
    if first.size < 16 or first.std() == 0 or second.std() == 0:
        return 1.0
    return float(np.corrcoef(first, second)[0, 1])


def neighbour_correlation(data: np.ndarray, axis: int, mask: np.ndarray | None = None) -> float:
    """Pearson correlation of each element with the next one along ``axis`` (where both are in
    ``mask``, same shape as ``data``); 1.0 when there is too little to tell (fewer than 16 pairs or
    no variation)."""
    return pair_correlation(data, axis, neighbour_pairs(np.shape(data), axis, mask))


def volume_smoothness(volumes: np.ndarray) -> float:
    """The least smooth channel of (C, X, Y, Z) volumes: each channel's neighbour correlation along
    the three axes (averaged), over the foreground (voxels not 0 in some channel: background is 0
    after normalisation). The pairs are found once for all channels: only the sampled ones are read."""
    foreground = (volumes != 0).any(0)
    pairs = [neighbour_pairs(foreground.shape, axis, foreground) for axis in range(3)]
    return min(
        float(np.mean([pair_correlation(channel, axis, pairs[axis]) for axis in range(3)])) for channel in volumes
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

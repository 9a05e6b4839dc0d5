"""The skull warning: a tumor3d input that holds a whole head rather than a skull-stripped brain.

Every tumor3d model learned from skull-stripped brains (zero outside the brain, as BraTS ships
them). A study straight from the scanner still holds scalp, skull, face and neck, which no model
saw. The check runs on the volumes as read, subsampled to about 3 mm (0.06 s for 4 x 240 x 240 x
155 voxels of 1 mm):

1. The foreground: voxels whose magnitude is above a tenth of their modality's 99th percentile and
   above the air's noise (``noise_floor``) in two modalities or more; its largest piece, holes
   filled (a skull band that the field of view cuts open is closed on its faces first).
2. Depth: each foreground voxel's distance in mm from the foreground's surface. A cut by the field
   of view is not a surface, so a cropped head is measured from its real surface only.
3. The T1-weighted depth profile over the upper half of the foreground (the cranium, not the face
   and neck): the median of T1 and of T1ce in 3 mm shells of depth, in units of the foreground's
   10th-to-90th percentile range. On a head the outer 12 mm hold the scalp, whose fat is among
   the brightest tissue on T1, and the 12-30 mm beneath it the skull and CSF, dark: the profile
   falls. On a stripped brain it rises from the cortex's surface inward (CSF, grey, white matter).

It warns when the fall (the brightest outer shell minus the darkest shell beneath, the mean of T1
and T1ce) is ``FALL_ABOVE`` or more, or the foreground is larger than a brain (``VOLUME_ABOVE_ML``).
Measured by ``skull_bench.py`` (README, "Out-of-distribution warnings"): 181 generated cases (2 mm
and 1 mm grids, shifted ranges, z-scored, the DICOM route) fall -0.07 to 0.16 and hold 1,482 to
2,437 mL: no warning; 96 variants of two heads with skull (pydeface's mean head, the SRI24 atlas)
fall 0.39 to 1.00: all warned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

GRID_MM = 3.0  # the check's grid: fine enough for a 5 mm scalp, coarse enough to take 0.06 s
LEVEL = 0.1  # foreground: above this share of the modality's 99th percentile
NOISE_TIMES = 5.0  # and above the air's noise (``noise_floor``)
VOTES = 2  # in two modalities at least: haze in one (ghosting, a template's blur) does not count
SHELL_MM = 3.0  # the depth profile's step
OUTER_MM = 12.0  # a head's scalp lies within 12 mm of its surface
DEEPEST_MM = 30.0  # and its skull and the CSF under it within 30 mm
FALL_ABOVE = 0.25  # generated brains: 0.16 at most; heads: 0.39 at least (README)
VOLUME_ABOVE_ML = 3000.0  # generated brains: 2,437 mL at most (MNI152, up to 10% larger per axis)
T1_WEIGHTED = (0, 1)  # t1 and t1ce (MODALITIES' order): fat is bright on both
MIN_SHELL_VOXELS = 20  # fewer: too few for a median


@dataclass(frozen=True)
class HeadSigns:
    """What the check measured: the foreground's volume and the T1-weighted fall (NaN: too small
    to tell)."""

    volume_ml: float
    fall: float

    @property
    def is_head(self) -> bool:
        return self.fall >= FALL_ABOVE or self.volume_ml > VOLUME_ABOVE_ML


def voxel_sizes(affine: np.ndarray) -> np.ndarray:
    """The voxel's size in mm along each array axis (the affine's column lengths; 1 if 0)."""
    sizes = np.sqrt((np.asarray(affine, np.float64)[:3, :3] ** 2).sum(0))
    return np.where(sizes > 0, sizes, 1.0)


def noise_floor(channel: np.ndarray) -> float:
    """A level the air's noise stays under, from the field of view's faces: their lowest value plus
    ``NOISE_TIMES`` the distance from it to their 25th percentile. Around a head the faces are
    mostly air, even where the field of view cuts the head (Rayleigh noise of scale s: 0 + 5 x
    0.76 s, 1 voxel in 1,400 over it); around a stripped brain, zeros or a constant (that value)."""
    faces = np.concatenate([np.moveaxis(channel, axis, 0)[side].ravel() for axis in range(3) for side in (0, -1)])
    lowest = float(faces.min())
    return lowest + NOISE_TIMES * (float(np.percentile(faces, 25)) - lowest)


def foreground(volumes: np.ndarray) -> np.ndarray:
    """The largest piece of voxels that are above ``LEVEL`` of their channel's 99th percentile and
    above its noise floor in ``VOTES`` channels or more, filled."""
    votes = np.zeros(volumes.shape[1:], np.int8)
    for channel in np.abs(volumes):  # magnitudes: a z-scored brain's dark tissue is negative
        votes += channel > max(LEVEL * np.percentile(channel, 99), noise_floor(channel))
    mask = votes >= min(VOTES, len(volumes))
    pieces, count = ndimage.label(mask)
    if count == 0:
        return mask
    sizes = np.bincount(pieces.ravel())
    sizes[0] = 0
    mask = pieces == sizes.argmax()
    for axis in range(3):  # close, on the field of view's faces, a skull band the crop left open
        for side in (0, -1):
            face = [slice(None)] * 3
            face[axis] = side
            mask[tuple(face)] = ndimage.binary_fill_holes(mask[tuple(face)])
    return ndimage.binary_fill_holes(mask)


def upper_half(mask: np.ndarray, superior: np.ndarray) -> np.ndarray:
    """Voxels above the foreground's median height (``superior``: mm up per voxel step along each
    axis): a head's cranium, whatever its face and neck hold."""
    x, y, z = (np.arange(n) * up for n, up in zip(mask.shape, superior))
    height = x[:, None, None] + y[None, :, None] + z[None, None, :]
    return height > np.median(height[mask])


def depth_profile(channel: np.ndarray, shells: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The median of ``channel`` in each shell of ``mask`` (NaN where a shell is nearly empty),
    in units of the mask's 10th-to-90th percentile range (so that scale and offset do not count)."""
    values, index = channel[mask], shells[mask]
    count = int(DEEPEST_MM // SHELL_MM)
    profile = np.full(count, np.nan)
    if values.size < MIN_SHELL_VOXELS:
        return profile
    low, high = np.percentile(values, (10, 90))
    for shell in range(count):
        inside = values[index == shell]
        if inside.size >= MIN_SHELL_VOXELS:
            profile[shell] = (np.median(inside) - low) / max(float(high - low), 1e-12)
    return profile


def head_signs(image: np.ndarray, affine: np.ndarray) -> HeadSigns:
    """Measure (C, X, Y, Z) volumes (C >= 2: T1 and T1ce first) whose voxel-to-mm affine is ``affine``."""
    sizes = voxel_sizes(affine)
    step = [max(1, int(GRID_MM / size + 0.5)) for size in sizes]
    volumes = np.asarray(image[:, :: step[0], :: step[1], :: step[2]], np.float32)
    grid_mm = sizes * step
    mask = foreground(volumes)
    volume_ml = float(mask.sum() * np.prod(grid_mm) / 1000.0)
    if not mask.any():
        return HeadSigns(volume_ml, float("nan"))
    pad = 2  # the field of view's edge is no surface: the mask goes on past it
    depth = ndimage.distance_transform_edt(np.pad(mask, pad, mode="edge"), sampling=grid_mm)
    depth = depth[pad:-pad, pad:-pad, pad:-pad]
    shells = np.ceil(depth / SHELL_MM).astype(np.int32) - 1  # (0, 3] mm is shell 0
    outer = int(OUTER_MM // SHELL_MM)
    upper = mask & upper_half(mask, np.asarray(affine, np.float64)[2, :3] * step)
    falls = []
    for channel in T1_WEIGHTED[: len(volumes)]:
        profile = depth_profile(volumes[channel], shells, upper)
        above, beneath = profile[:outer], profile[outer:]
        if np.isfinite(above).any() and np.isfinite(beneath).any():
            falls.append(float(np.nanmax(above) - np.nanmin(beneath)))
    return HeadSigns(volume_ml, float(np.mean(falls)) if falls else float("nan"))


def skull_warning(image: np.ndarray, affine: np.ndarray) -> str | None:
    """The one-line warning for a head that was not skull-stripped (None for a brain)."""
    signs = head_signs(image, affine)
    if not signs.is_head:
        return None
    seen = []
    if signs.fall >= FALL_ABOVE:
        seen.append(
            f"on T1 a bright layer lies over a dark one at its surface, as scalp over skull (a fall of "
            f"{signs.fall:.2f}, stripped brains under {FALL_ABOVE})"
        )
    if signs.volume_ml > VOLUME_ABOVE_ML:
        seen.append(f"{signs.volume_ml:,.0f} mL of tissue (brains under {VOLUME_ABOVE_ML:,.0f})")
    return (
        f"this looks like a head, not a skull-stripped brain: {', and '.join(seen)}. The models learned from "
        "skull-stripped brains: strip the skull first (HD-BET, SynthStrip) or do not trust the result"
    )

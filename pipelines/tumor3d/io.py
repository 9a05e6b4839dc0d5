"""BraTS-style cases on disk: discovery by file name, reading with checks, writing labels.

Accepted names, ``.nii`` or ``.nii.gz``, in a folder per case or in one flat folder:
BraTS 2021 ``<case>_t1``, ``<case>_t1ce``, ``<case>_t2``, ``<case>_flair``; BraTS 2023
``<case>-t1n``, ``<case>-t1c``, ``<case>-t2w``, ``<case>-t2f``. Ground truth beside them
(``_seg``, ``-seg``) is ignored. The modalities must be co-registered (same shape and affine) and
skull-stripped (zero outside the brain).
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from ..base import InputError, Unit, is_ground_truth
from ..common.discovery import Roles
from ..common.discovery import discover_cases as discover_grouped
from ..common.volumes import load_nifti, save_nifti
from .modalities import MODALITIES

SUFFIXES = {  # modality -> name endings, longest first so "_t1ce" is not read as "_t1"
    "t1ce": ("_t1ce", "-t1c"),
    "flair": ("_flair", "-t2f"),
    "t1": ("_t1", "-t1n"),
    "t2": ("_t2", "-t2w"),
}
AFFINE_TOLERANCE_MM = 1e-3


def strip_nifti(name: str) -> str | None:
    for ending in (".nii.gz", ".nii"):
        if name.lower().endswith(ending):
            return name[: -len(ending)]
    return None


def parse_name(path: Path) -> tuple[str, str] | None:
    """``(case id, modality)`` for a modality file name, None for anything else."""
    stem = strip_nifti(path.name)
    if stem is None:
        return None
    lowered = stem.lower()
    if lowered.endswith(("_prob", "-prob")):  # our own probability outputs
        return None
    for modality, endings in SUFFIXES.items():
        for ending in endings:
            if lowered.endswith(ending):
                return stem[: -len(ending)], modality
    return None


def is_modality_candidate(path: Path) -> bool:
    """A NIfTI file that could be a modality: not ground truth, not our own probability map."""
    stem = strip_nifti(path.name)
    return stem is not None and not is_ground_truth(path) and not stem.lower().endswith(("_prob", "-prob"))


def missing_modalities(case: str, missing: list[str], present: list[str]) -> str:
    return f"case {case}: missing {', '.join(missing)} (found {', '.join(present) or 'none'})"


MODALITY_ROLES = Roles(
    names=MODALITIES,
    noun="modality",
    parse=parse_name,
    candidate=is_modality_candidate,
    unnamed=lambda path: (
        f"{path.name}: not a BraTS modality name (expected _t1, _t1ce, _t2, _flair or -t1n, -t1c, -t2w, -t2f)"
    ),
    missing=missing_modalities,
    stem=lambda path: strip_nifti(path.name) or path.name,
)


def discover_cases(input_path: Path) -> list[Unit]:
    """Group NIfTI files under ``input_path`` into cases of four modalities.

    A case with missing or repeated modalities, or a NIfTI file whose name is not a modality, is
    still returned as a unit carrying an ``error``, so the batch reports it and goes on.
    """
    return discover_grouped(input_path, MODALITY_ROLES)


def read_case(unit: Unit) -> dict:
    """Load and check a case: (4, X, Y, Z) float32 image, the affine and header of the input.

    Raises:
        InputError: missing/unreadable files, not 3D, shape or affine mismatch, NaN/Inf, empty brain.
    """
    if unit.error:
        raise InputError(unit.error)
    paths = unit.extra["roles"]
    images = {m: load_nifti(p) for m, p in paths.items()}
    arrays = {}
    for modality in MODALITIES:
        data = images[modality].get_fdata(dtype=np.float32)  # decoded once, in load_nifti
        if data.ndim == 4 and data.shape[3] == 1:
            data = data[..., 0]
        if data.ndim != 3:
            raise InputError(
                f"case {unit.name}: {paths[modality].name} is {data.ndim}D with shape {data.shape}; need 3D"
            )
        if not np.isfinite(data).all():
            raise InputError(f"case {unit.name}: {paths[modality].name} contains NaN or Inf values")
        arrays[modality] = data
    shapes = {m: a.shape for m, a in arrays.items()}
    reference = odd_one_out(
        unit.name, paths, shapes, lambda a, b: a == b, lambda odd, ref: f"has shape {odd}, the other modalities {ref}"
    )
    odd_one_out(
        unit.name,
        paths,
        {m: images[m].affine for m in MODALITIES},
        lambda a, b: np.allclose(a, b, atol=AFFINE_TOLERANCE_MM),
        lambda odd, ref: "has a different affine from the other modalities (not co-registered)",
    )
    header = images[reference].header
    affine = images[reference].affine
    arrays = [arrays[m] for m in MODALITIES]
    image = np.stack(arrays)
    if not (image != 0).any():
        raise InputError(f"case {unit.name}: the brain mask is empty (every voxel is zero)")
    return {"image": image, "affine": affine.copy(), "header": header.copy(), "name": unit.name}


def odd_one_out(case: str, paths: dict, values: dict, same, explain) -> str:
    """Check that all modalities agree on a value; name the file(s) that differ from the majority.

    Returns a modality holding the majority value.
    """
    groups: list[list[str]] = []
    for modality, value in values.items():
        group = next((g for g in groups if same(values[g[0]], value)), None)
        group.append(modality) if group else groups.append([modality])
    majority = max(groups, key=len)
    odd = [m for g in groups if g is not majority for m in g]
    if odd:
        names = ", ".join(paths[m].name for m in odd)
        raise InputError(f"case {case}: {names} {explain(values[odd[0]], values[majority[0]])}")
    return majority[0]


DESCRIPTION = "hybridvision tumor3d"


def write_probabilities(path: Path, probabilities: np.ndarray, affine: np.ndarray, header: nib.Nifti1Header) -> None:
    """(3, X, Y, Z) WT/TC/ET probabilities as a 4D float32 NIfTI (X, Y, Z, 3) on the input's grid."""
    save_nifti(path, np.moveaxis(probabilities, 0, -1).astype(np.float32), affine, header, DESCRIPTION)


def write_label(path: Path, label: np.ndarray, affine: np.ndarray, header: nib.Nifti1Header) -> None:
    """A uint8 label NIfTI on the input's grid, with its affine and qform/sform codes."""
    save_nifti(path, label.astype(np.uint8), affine, header, DESCRIPTION)

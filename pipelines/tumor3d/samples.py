"""``hybridvision samples tumor3d``: generated BraTS-format cases in the common samples layout.

``OUT/inputs/<case>/<case>_{t1,t1ce,t2,flair}.nii.gz`` (what predict takes),
``OUT/truth/<case>_seg.nii.gz`` (named as predict names its outputs) and ``OUT/manifest.json``.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np

from ..common.atomic import atomic_outputs, write_json_atomic
from ..common.volumes import save_nifti
from .generator import MODALITIES, GeneratorRanges, generate_case

BRATS2023_NAMES = {"t1": "t1n", "t1ce": "t1c", "t2": "t2w", "flair": "t2f"}


def write_samples(
    output: Path,
    count: int,
    seed: int,
    labels: str = "brats2021",
    shifted: bool = False,
    spacing: float = 1.0,
    dicom: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> dict:
    """Generate ``count`` cases from seeds ``seed .. seed + count - 1``.

    Args:
        labels: brats2021 (files ``<case>_t1``..., enhancing 4) or brats2023 (``<case>-t1n``..., enhancing 3).
        shifted: contrast, noise and bias outside the training ranges (robustness checks).
        spacing: the generator's working grid in mm (1.0 as BraTS; coarser is faster).
        dicom: write each case's inputs as a DICOM study (``dicom_samples.py``) in ``inputs/<case>/``.
    """
    if labels not in ("brats2021", "brats2023"):
        raise ValueError(f"--labels must be brats2021 or brats2023, got {labels!r}")
    ranges = GeneratorRanges(working_spacing=spacing)
    ranges = ranges.shifted() if shifted else ranges
    output = Path(output)
    cases = []
    for index in range(count):
        case_seed = seed + index
        name = f"HV{'S' if shifted else ''}_{case_seed:05d}"
        progress(f"case {index + 1}/{count}: {name}")
        case = generate_case(case_seed, ranges)
        folder = output / "inputs" / name
        folder.mkdir(parents=True, exist_ok=True)
        (output / "truth").mkdir(parents=True, exist_ok=True)
        if labels == "brats2021":
            files = {m: folder / f"{name}_{m}.nii.gz" for m in MODALITIES}
        else:
            files = {m: folder / f"{name}-{BRATS2023_NAMES[m]}.nii.gz" for m in MODALITIES}
        label = case.label.copy()
        if labels == "brats2023":
            label[label == 4] = 3
        if dicom:
            write_study_atomically(case, folder, case_seed)
            files = {}
        finals = {**files, "seg": output / "truth" / f"{name}_seg.nii.gz"}
        with atomic_outputs(finals) as temps:
            for modality in files:
                save_nifti(temps[modality], case.images[modality], case.affine)
            save_nifti(temps["seg"], label.astype(np.uint8), case.affine)
        cases.append({"name": name, **case.parameters})
    manifest = {
        "pipeline": "tumor3d",
        "generator": "hybridvision.pipelines.tumor3d.generator (MNI152 anatomy from nilearn)",
        "seeds": [seed, seed + count - 1],
        "labels": labels,
        "shifted": shifted,
        "format": "dicom" if dicom else "nifti",
        "ranges": asdict(ranges),
        "cases": cases,
    }
    write_json_atomic(output / "manifest.json", manifest)
    return manifest


def write_study_atomically(case, folder: Path, seed: int) -> None:
    """The case as a DICOM study in ``folder``, written beside it first and renamed when complete."""
    import shutil

    from .dicom_samples import write_dicom_study

    partial = folder.with_name(f".partial-{folder.name}")
    shutil.rmtree(partial, ignore_errors=True)
    rng = np.random.default_rng(seed)
    write_dicom_study(case.images, {m: case.affine for m in MODALITIES}, partial, rng)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)

"""The tumor3d tab's DICOM route: a study's files, or a .zip of them, in; the same viewer out, and
a DICOM-SEG to download beside the label NIfTI.

Files are recognised by their content, as ``predict`` does, so their names and folders do not
matter: each is stored under a numbered name, and a .zip is unpacked the same way (never by its
member paths, so no member can land outside the request's folder).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

from hybridvision.pipelines.errors import InputError

from .shared import predict_folder, request_folder, shows_errors, uploaded_path
from .tumor3d_tab import checkpoint, present
from .uploads import sniff

MAX_UNPACKED = 4 * 1024**3  # a .zip that claims more is refused before unpacking (a zip bomb)
MAX_MEMBERS = 50_000


def unpack(archive: Path, into: Path, start: int) -> int:
    """The archive's files as ``into/<n>``, numbered from ``start``; returns the next number."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [member for member in bundle.infolist() if not member.is_dir()]
            if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED:
                raise InputError(
                    f"{archive.name}: unpacks to over {MAX_UNPACKED} bytes or {MAX_MEMBERS} files; "
                    "upload the study's series instead"
                )
            for member in members:
                with bundle.open(member) as source, open(into / f"{start:06d}", "wb") as target:
                    shutil.copyfileobj(source, target)
                start += 1
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise InputError(f"{archive.name}: not a readable .zip ({error})") from None
    return start


def gather_study(uploads: list[Any], folder: Path) -> Path:
    """The uploaded files (archives unpacked) in one folder, under numbered names. The folder, which
    names the outputs, is a lone .zip's name or ``dicom-study``."""
    from hybridvision.pipelines.common.safe_names import safe_file_name

    paths = [path for path in (uploaded_path(upload) for upload in uploads or []) if path is not None]
    archives = {path for path in paths if sniff(path) == "ZIP archive"}
    lone_zip = len(paths) == 1 and paths[0] in archives
    study = folder / (safe_file_name(paths[0].stem) if lone_zip else "dicom-study")
    study.mkdir(parents=True)
    number = 0
    for path in paths:
        if path in archives:
            number = unpack(path, study, number)
        else:
            shutil.copy(path, study / f"{number:06d}")
            number += 1
    if not number:
        raise InputError("no DICOM files: upload a study's files (all four MR series) or one .zip of them")
    return study


@shows_errors
def segment_dicom(
    uploads: list[Any],
    plane: str = "axial",
    progress: Any = None,
    model: str | None = None,
    window: float = 100.0,
    level: float = 50.0,
):
    """Segment the one study among ``uploads``; returns the viewer's outputs (as ``segment``) and the
    DICOM-SEG's path."""
    import nibabel as nib

    from hybridvision.pipelines.tumor3d.dicom_input import discover_studies, read_modality

    folder = request_folder("tumor3d-dicom")
    report = progress or (lambda *args, **kwargs: None)
    report(0.05, desc="reading the DICOM study")
    study = gather_study(uploads, folder / "input")
    units = discover_studies(study)
    if not units:
        raise InputError("none of the uploaded files is a DICOM file (NIfTI files go in the four boxes above)")
    if len(units) > 1:
        raise InputError(f"the files hold {len(units)} DICOM studies; upload one study at a time")
    if units[0].error:  # a refused study (tilt, a gap, a missing series...): its one line
        raise InputError(units[0].error)
    report(0.15, desc="segmenting (sliding window on the CPU)")
    notes: dict = {}
    outputs = predict_folder(checkpoint(model), study, folder / "output", notes, output_format="both")
    label_path = next(p for p in outputs if p.name.endswith(".nii.gz"))
    seg_path = next((p for p in outputs if p.suffix == ".dcm"), None)  # None: the study could not carry one
    plan = units[0].extra["dicom"]  # the viewer shows the FLAIR series, on the label's (T1ce) grid
    flair = nib.Nifti1Image(read_modality(plan, "flair"), plan["grids"]["t1ce"].matrix)
    shown = present(label_path, flair, folder / "output", notes, plane, window, level, report)
    series = "; ".join(units[0].extra["summary"])  # which series became which modality
    return (*shown[:-1], f"{shown[-1]}\n\nSeries used: {series}", seg_path and str(seg_path))

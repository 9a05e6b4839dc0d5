"""A generated case written as a DICOM study, as an MR scanner exports one: four classic
single-frame series plus a localiser, random file names without extensions in nested folders,
acquisition tags a real T1, T1ce, T2 and FLAIR carry. For ``samples tumor3d --dicom`` and tests.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Mapping

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from .modalities import MODALITIES

# SeriesDescription and (TR, TE, TI) ms as scanners label these acquisitions
ACQUISITIONS = {
    "t1": ("T1 SE AX", (500.0, 12.0, None)),
    "t1ce": ("T1 SE AX POST GD", (500.0, 12.0, None)),
    "t2": ("T2 TSE AX", (4000.0, 100.0, None)),
    "flair": ("FLAIR AX", (9000.0, 120.0, 2500.0)),
}
RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])


def write_dicom_study(
    volumes: Mapping[str, np.ndarray],
    affines: Mapping[str, np.ndarray],
    folder: Path,
    rng: np.random.Generator,
    slice_axis: int = 2,
    descriptions: Mapping[str, str] | None = None,
    localiser: bool = True,
) -> dict[str, list[Path]]:
    """Write each modality's (X, Y, Z) int16 volume (RAS ``affines``) as one series under ``folder``.

    Args:
        slice_axis: the volume axis the slices cut across (2 for the file's own slices; 0 or 1 for an
            acquisition in another plane).
        descriptions: SeriesDescription per modality (default: ``ACQUISITIONS``'s).

    Returns:
        The files written, per modality, in slice order.
    """
    study = {
        "StudyInstanceUID": generate_uid(),
        "FrameOfReferenceUID": generate_uid(),
        "PatientID": f"GEN{rng.integers(10**6):06d}",
        "StudyID": "1",
        "AccessionNumber": "",
    }
    written = {}
    for number, modality in enumerate(MODALITIES, start=2):
        description = (descriptions or {}).get(modality, ACQUISITIONS[modality][0])
        series_folder = Path(folder) / f"{rng.integers(16**8):08x}" / f"{rng.integers(16**6):06x}"
        written[modality] = write_series(
            volumes[modality],
            affines[modality],
            series_folder,
            rng,
            slice_axis,
            study,
            number,
            description,
            ACQUISITIONS[modality][1],
            contrast=modality == "t1ce",
        )
    if localiser:
        volume = volumes["t1"][:, :, :: max(1, volumes["t1"].shape[2] // 3)][:, :, :3]
        write_series(
            volume,
            affines["t1"],
            Path(folder) / "loc",
            rng,
            2,
            study,
            1,
            "3-plane loc",
            (8.0, 4.0, None),
            localiser=True,
        )
    return written


def write_series(
    volume, affine, folder, rng, slice_axis, study, number, description, timing, contrast=False, localiser=False
) -> list[Path]:
    """One classic single-frame MR series; returns its files in slice order."""
    order = [a for a in range(3) if a != slice_axis] + [slice_axis]
    volume = np.transpose(np.asarray(volume), order)  # (columns, rows, slices)
    lps = RAS_TO_LPS @ np.asarray(affine, dtype=np.float64)[:, order + [3]]
    spacing = np.linalg.norm(lps[:3, :3], axis=0)
    series_uid = generate_uid()
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(volume.shape[2]):
        position = lps[:3, 3] + index * lps[:3, 2]
        dataset = mr_slice(volume[:, :, index].T, study, series_uid, number, description, timing, index)
        dataset.ImageOrientationPatient = [
            round(float(v), 8) for v in (*lps[:3, 0] / spacing[0], *lps[:3, 1] / spacing[1])
        ]
        dataset.ImagePositionPatient = [round(float(v), 5) for v in position]
        dataset.PixelSpacing = [round(float(spacing[1]), 6), round(float(spacing[0]), 6)]
        dataset.SliceThickness = round(float(spacing[2]), 6)
        dataset.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER" if localiser else "OTHER"]
        if contrast:
            dataset.ContrastBolusAgent = "gadobutrol"
        path = folder / f"{rng.integers(16**12):012x}"
        dataset.save_as(path, enforce_file_format=True)
        files.append(path)
    return files


def mr_slice(pixels: np.ndarray, study, series_uid, number, description, timing, index) -> FileDataset:
    """The attributes of one MR image (patient, study, series, frame of reference, image, pixels)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    now = datetime.datetime(2026, 1, 1, 12, 0)
    dataset.SOPClassUID, dataset.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
    dataset.PatientName, dataset.PatientID = "Generated^Case", study["PatientID"]
    dataset.PatientBirthDate, dataset.PatientSex = "", "O"
    for key in ("StudyInstanceUID", "FrameOfReferenceUID", "StudyID", "AccessionNumber"):
        setattr(dataset, key, study[key])
    dataset.StudyDate = dataset.SeriesDate = now.strftime("%Y%m%d")
    dataset.StudyTime = dataset.SeriesTime = now.strftime("%H%M%S")
    dataset.ReferringPhysicianName = ""
    dataset.Modality, dataset.Manufacturer = "MR", "hybridvision generator"
    dataset.SeriesInstanceUID, dataset.SeriesNumber, dataset.InstanceNumber = series_uid, number, index + 1
    dataset.SeriesDescription = dataset.ProtocolName = description
    dataset.PositionReferenceIndicator = ""
    repetition, echo, inversion = timing
    dataset.ScanningSequence = ["IR", "SE"] if inversion else ["SE"]
    # the MR Image module's other Type 1 and 2 attributes, as a 2D spin-echo acquisition fills them
    dataset.SequenceVariant, dataset.ScanOptions, dataset.MRAcquisitionType = ["NONE"], "", "2D"
    dataset.EchoTrainLength = 16 if repetition > 2000 else 1  # turbo spin echo for T2 and FLAIR
    dataset.BodyPartExamined, dataset.PatientPosition = "HEAD", "HFS"  # unpaired: no Laterality; head first, supine
    dataset.RepetitionTime, dataset.EchoTime = repetition, echo
    if inversion:
        dataset.InversionTime = inversion
    dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, "MONOCHROME2"
    dataset.Rows, dataset.Columns = pixels.shape
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 16, 16, 15, 1
    dataset.PixelData = np.ascontiguousarray(pixels, dtype=np.int16).tobytes()
    return dataset


def rewrite_tags(files: list[Path], **tags) -> None:
    """Change tags in written files (tests: a tilted or broken series from a good one)."""
    for path in files:
        dataset = pydicom.dcmread(path)
        for key, value in tags.items():
            setattr(dataset, key, value(dataset) if callable(value) else value)
        dataset.save_as(path)

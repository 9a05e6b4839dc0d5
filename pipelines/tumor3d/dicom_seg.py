"""The label volume as a DICOM Segmentation (highdicom), referencing the source T1ce series, so
OHIF, 3D Slicer and a PACS show it over the images it came from.

One segment per BraTS label, with SNOMED CT coded terms; one binary frame per source slice and
segment that holds any voxel (frame k of a segment lies on the k-th source slice in slice order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes

from ..errors import PartialOutput, one_line
from .io import write_label
from .transforms import ENHANCING_LABEL

# (segment label, SNOMED CT property type) in segment-number order; label values come from the convention
SEGMENTS = (
    ("necrotic and non-enhancing tumour core", codes.SCT.Necrosis),
    ("peritumoral oedema", codes.SCT.Edema),
    ("enhancing tumour", codes.SCT.Neoplasm),
)
SERIES_NUMBER = 9901
# Type 2 attributes of the Patient and General Study modules that highdicom copies from the source:
# anonymisers often drop them (absent, not empty); the standard allows them empty
PATIENT_AND_STUDY_TYPE2 = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "StudyID",
    "AccessionNumber",
)


def label_values(convention: str) -> tuple[int, int, int]:
    """BraTS label values of the three segments: 1, 2 and 4 (2021) or 3 (2023)."""
    return (1, 2, ENHANCING_LABEL[convention])


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"hybridvision {version('hybridvision')}"
    except PackageNotFoundError:
        return "hybridvision (not installed)"


def with_type2_present(dataset: pydicom.Dataset) -> pydicom.Dataset:
    """``dataset`` with every absent patient and study Type 2 attribute present and empty."""
    for keyword in PATIENT_AND_STUDY_TYPE2:
        if keyword not in dataset:
            setattr(dataset, keyword, "")
    return dataset


def write_dicom_seg(path: Path, label: np.ndarray, sources: Sequence[Path], convention: str) -> None:
    """Write ``label`` (X, Y, Z) = (column, row, slice) on the grid of ``sources`` (slice order).

    Args:
        sources: the T1ce files, ordered as the label's slices.
        convention: brats2021 or brats2023, the label values of ``label``.
    """
    datasets = [with_type2_present(pydicom.dcmread(p, stop_before_pixels=True)) for p in sources]
    if any(dataset.get("SliceThickness") in (None, "") for dataset in datasets):  # a SEG would be invalid
        raise ValueError("the T1ce series has no SliceThickness, which a DICOM-SEG's pixel measures need")
    version = software_version()
    frames = np.transpose(label, (2, 1, 0))  # (slices, rows, columns)
    masks = np.stack([frames == value for value in label_values(convention)], axis=-1)
    algorithm = hd.AlgorithmIdentificationSequence(
        name="hybridvision tumor3d", family=codes.DCM.ArtificialIntelligence, version=version
    )
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=name,
            segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
            segmented_property_type=property_type,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algorithm,
        )
        for number, (name, property_type) in enumerate(SEGMENTS, start=1)
    ]
    segmentation = hd.seg.Segmentation(
        source_images=datasets,
        pixel_array=masks.astype(np.uint8),
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="hybridvision",
        manufacturer_model_name="tumor3d",
        software_versions=version,
        device_serial_number="none",
        series_description="hybridvision tumor3d",
        omit_empty_frames=bool(masks.any()),  # a study with no tumour still gets its (empty) frames
    )
    segmentation.save_as(path)


def write_seg_keeping_label(
    paths: Mapping[str, Path], name: str, label: np.ndarray, meta: Mapping[str, Any], convention: str
) -> None:
    """``name``'s DICOM-SEG; when the source study cannot carry one, ``PartialOutput``, with the label
    NIfTI written beside it if it was not asked for: a segmentation is never lost to its DICOM copy.

    Args:
        paths: the unit's output paths by name (``<name>_seg.dcm`` among them).
        meta: the sample's meta: ``source`` (the T1ce files), ``affine`` and ``header``.
    """
    seg_path, nifti_name = paths[f"{name}_seg.dcm"], f"{name}_seg.nii.gz"
    try:
        write_dicom_seg(seg_path, label, meta["source"], convention)
    except Exception as error:  # highdicom's checks of the source study: the labels must outlive them
        seg_path.unlink(missing_ok=True)
        fallback = {}
        if nifti_name not in paths:
            fallback[nifti_name] = seg_path.with_name(seg_path.name.removesuffix("_seg.dcm") + "_seg.nii.gz")
            write_label(fallback[nifti_name], label, meta["affine"], meta["header"])
        reason = f"{type(error).__name__}: {one_line(error)}"
        message = f"case {name}: no DICOM-SEG ({reason}); its labels are in {nifti_name}"
        raise PartialOutput(message, fallback) from error


def read_dicom_seg(path: Path, sources: Sequence[Path], convention: str) -> np.ndarray:
    """A DICOM-SEG back as a label volume on the grid of ``sources`` (the check of ``write_dicom_seg``)."""
    seg = pydicom.dcmread(path)
    slice_of = {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID): k for k, p in enumerate(sources)}
    first = pydicom.dcmread(sources[0], stop_before_pixels=True)
    label = np.zeros((int(first.Columns), int(first.Rows), len(sources)), np.uint8)
    values = label_values(convention)
    pixels = seg.pixel_array.reshape(-1, int(seg.Rows), int(seg.Columns))
    for frame, groups in zip(pixels, seg.PerFrameFunctionalGroupsSequence):
        source = groups.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        segment = int(groups.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        label[:, :, slice_of[str(source)]][frame.T > 0] = values[segment - 1]
    return label

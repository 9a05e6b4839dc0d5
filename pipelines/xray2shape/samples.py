"""``hybridvision samples xray2shape``: generated biplanar cases in the common samples layout.

``OUT/inputs/<case>_ap.png`` and ``OUT/inputs/<case>_lat.png`` (what predict takes), ``OUT/truth/<case>_seg.nii.gz``
(named as predict names its outputs), with ``--with-volume`` also ``OUT/truth/<case>_ct.nii.gz`` (the
phantom in HU), and ``OUT/manifest.json`` (geometry, pixel spacing and clinical ground truth per case).

Views are cone-beam DRRs of the phantom at the nominal geometry (source 1000 mm from the isocentre,
magnification 1.2), on a detector of two pixels per 2 mm at the isocentre (1.2 mm pixels; femur
128 x 128, spine 224 x 128), with quantum noise. Pixels are 16-bit, proportional to the line integral
(bone bright, as radiographs are shown): ``value = line integral / scale * 65535``, the scale per
view in the manifest; the pixel spacing is also in each PNG's ``pixel_spacing_mm`` text chunk.
``write_dicom_view`` writes a view as a DICOM DX image instead (tested on its own).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..common.atomic import atomic_outputs, write_json_atomic
from ..common.volumes import save_nifti
from .drr import ConeBeamGeometry, hu_to_attenuation, render_views
from .geometry import (
    ANATOMIES,
    NOMINAL_MAGNIFICATION,
    NOMINAL_SOURCE_TO_ISOCENTRE_MM,
    PIXELS_PER_VOXEL,
    detector_spacing_mm,
)
from .io import PNG_SPACING_KEY

VIEW_FILES = {"ap": "ap", "lateral": "lat"}
REFERENCE_SPACING_MM = 2.0  # the detector has PIXELS_PER_VOXEL pixels per this many mm at the isocentre
NOMINAL_PHOTONS = 20000.0


def write_png16(path: Path, pixels: np.ndarray, pixel_spacing_mm: float) -> None:
    """A 16-bit grey PNG with the pixel spacing in a ``pixel_spacing_mm`` text chunk."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(PNG_SPACING_KEY, f"{pixel_spacing_mm:.6g}")
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint16)).save(path, format="PNG", pnginfo=info)


def write_dicom_view(
    path: Path,
    pixels: np.ndarray,
    pixel_spacing_mm: float,
    view: str = "AP",
    photometric: str = "MONOCHROME2",
) -> None:
    """Write a view (bone bright, 16-bit) as a DICOM DX image with pydicom.

    Args:
        pixels: (rows, columns) values, larger = more attenuation; stored as uint16.
        pixel_spacing_mm: written as PixelSpacing and ImagerPixelSpacing.
        view: ViewPosition ("AP", "LL" for a left lateral).
        photometric: MONOCHROME2 (stored as given) or MONOCHROME1 (stored inverted: low values bright).
    """
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(f"photometric must be MONOCHROME1 or MONOCHROME2, got {photometric!r}")
    stored = np.clip(np.rint(pixels), 0, 65535).astype(np.uint16)
    if photometric == "MONOCHROME1":
        stored = (65535 - stored.astype(np.int32)).astype(np.uint16)
    sop_class = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID, dataset.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID = generate_uid(), generate_uid()
    dataset.Modality, dataset.ViewPosition = "DX", view
    dataset.PatientName, dataset.PatientID = "Phantom^hybridvision", "xray2shape"
    dataset.Rows, dataset.Columns = stored.shape
    dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, photometric
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 16, 16, 15, 0
    spacing = [f"{pixel_spacing_mm:.6g}"] * 2
    dataset.PixelSpacing, dataset.ImagerPixelSpacing = spacing, spacing
    dataset.PixelData = stored.tobytes()
    if int(pydicom.__version__.split(".")[0]) >= 3:
        dataset.save_as(str(path), enforce_file_format=True)
    else:  # pragma: no cover - pydicom 2
        dataset.is_little_endian, dataset.is_implicit_VR = True, False
        dataset.save_as(str(path), write_like_original=False)


def render_sample_views(
    hu: np.ndarray, spacing_mm: float, field_of_view_mm: tuple[float, float, float], rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], float]:
    """Noisy line integrals of both views at the nominal geometry, and the detector pixel spacing."""
    rows = round(PIXELS_PER_VOXEL * field_of_view_mm[2] / REFERENCE_SPACING_MM)
    columns = round(PIXELS_PER_VOXEL * field_of_view_mm[0] / REFERENCE_SPACING_MM)
    pixel = detector_spacing_mm(REFERENCE_SPACING_MM)
    geometry = ConeBeamGeometry(
        NOMINAL_SOURCE_TO_ISOCENTRE_MM, NOMINAL_SOURCE_TO_ISOCENTRE_MM * NOMINAL_MAGNIFICATION, (rows, columns), pixel
    )
    views = render_views(torch.from_numpy(hu_to_attenuation(hu)), spacing_mm, geometry)
    out = {}
    for view, drr in views.items():
        transmitted = drr.radiograph.numpy().astype(np.float64)
        noisy = transmitted + rng.standard_normal(transmitted.shape) * np.sqrt(transmitted / NOMINAL_PHOTONS)
        out[view] = -np.log(np.clip(noisy, 0.5 / NOMINAL_PHOTONS, None))
    return out, pixel


def write_samples(
    output: Path,
    count: int,
    seed: int,
    anatomy: str = "femur",
    with_volume: bool = False,
    spacing: float = 2.0,
    progress: Callable[[str], None] = lambda message: None,
) -> dict:
    """Generate ``count`` cases from seeds ``seed .. seed + count - 1``.

    Args:
        anatomy: femur (right proximal femur + pelvis, 128 mm cube) or spine (L1-L5, 128 x 128 x 224 mm).
        with_volume: also write the phantom in HU (``truth/<case>_ct.nii.gz``).
        spacing: voxel size of the phantoms (and of the truth labels), mm; the views do not change size.
    """
    if anatomy not in ANATOMIES:
        raise ValueError(f"--anatomy must be femur or spine, got {anatomy!r}")
    if spacing <= 0:
        raise ValueError(f"--spacing must be positive, got {spacing}")
    kind = ANATOMIES[anatomy]
    shape = tuple(max(8, round(f / spacing)) for f in kind.field_of_view_mm)
    output = Path(output)
    (output / "inputs").mkdir(parents=True, exist_ok=True)
    (output / "truth").mkdir(parents=True, exist_ok=True)
    cases = []
    for index in range(count):
        case_seed = seed + index
        name = f"{anatomy}_{case_seed:05d}"
        progress(f"case {index + 1}/{count}: {name}")
        phantom = kind.phantom(case_seed, shape, spacing)
        views, pixel = render_sample_views(phantom.hu, spacing, kind.field_of_view_mm, np.random.default_rng(case_seed))
        finals = {view: output / "inputs" / f"{name}_{suffix}.png" for view, suffix in VIEW_FILES.items()}
        finals["seg"] = output / "truth" / f"{name}_seg.nii.gz"
        if with_volume:
            finals["ct"] = output / "truth" / f"{name}_ct.nii.gz"
        scales = {}
        with atomic_outputs(finals) as temps:
            for view, integral in views.items():
                scales[view] = float(max(integral.max(), 1e-6))
                write_png16(temps[view], np.rint(integral.clip(0) / scales[view] * 65535), pixel)
            save_nifti(temps["seg"], phantom.labels.astype(np.uint8), phantom.affine)
            if with_volume:
                save_nifti(temps["ct"], np.rint(phantom.hu).astype(np.int16), phantom.affine)
        clinical = {
            key: value
            for key, value in vars(phantom).items()
            if key not in ("hu", "labels", "label_names", "spacing_mm", "parameters")
        }
        cases.append(
            {
                "name": name,
                "seed": case_seed,
                "pixel_spacing_mm": pixel,
                "line_integral_scale": scales,
                **clinical,
                "parameters": phantom.parameters,
            }
        )
    manifest = {
        "pipeline": "xray2shape",
        "anatomy": anatomy,
        "generator": f"hybridvision.pipelines.xray2shape.phantoms.{kind.phantom.__name__} + drr (cone beam)",
        "seeds": [seed, seed + count - 1],
        "spacing_mm": spacing,
        "shape": list(shape),
        "field_of_view_mm": list(kind.field_of_view_mm),
        "labels": {str(k): v for k, v in kind.label_names.items()},
        "geometry": {
            "source_to_isocentre_mm": NOMINAL_SOURCE_TO_ISOCENTRE_MM,
            "source_to_detector_mm": NOMINAL_SOURCE_TO_ISOCENTRE_MM * NOMINAL_MAGNIFICATION,
            "detector_pixel_spacing_mm": pixel,
            "photons_per_pixel": NOMINAL_PHOTONS,
        },
        "views": (
            "rows superior to inferior; AP: rays anterior to posterior, columns patient right to left; "
            "lateral: rays right to left, columns anterior to posterior"
        ),
        "intensity": "16-bit, line integral / line_integral_scale * 65535 (bone bright)",
        "cases": cases,
    }
    write_json_atomic(output / "manifest.json", manifest)
    return manifest

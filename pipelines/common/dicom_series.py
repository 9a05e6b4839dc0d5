"""DICOM studies as scanners export them: files found by content (any name, any depth, no extension
needed), grouped by StudyInstanceUID and SeriesInstanceUID, and a classic single-frame series read
as one volume with its RAS affine after its geometry is checked.

Geometry comes from the headers alone: slices are ordered by ImagePositionPatient along the slice
normal (the cross product of ImageOrientationPatient's row and column directions) and the slice
spacing is measured from those positions, never taken from SliceThickness. A series is refused,
with the reason, for gantry tilt (positions stacked more than 0.5 degrees off the normal), slice
spacing that varies by more than 1% of the median and more than 0.01 mm, a missing slice, slices
sharing a position, mixed orientations or image sizes, and enhanced multi-frame objects.

Volumes are (X, Y, Z) = (column, row, slice) arrays; the affine maps those indices to RAS mm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_modality_lut

from ..base import InputError
from ..errors import one_line
from .volumes import refuse_oversized

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
TILT_LIMIT_DEGREES = 0.5
SPACING_TOLERANCE = (0.01, 0.01)  # (share of the median gap, mm): a gap must break both to be refused
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
ENHANCED_CLASSES = {  # multi-frame objects with per-frame functional groups
    "1.2.840.10008.5.1.4.1.1.4.1": "Enhanced MR",
    "1.2.840.10008.5.1.4.1.1.2.1": "Enhanced CT",
    "1.2.840.10008.5.1.4.1.1.4.4": "Legacy Converted Enhanced MR",
}


@dataclass
class Series:
    """One series' headers (pixels are read later, by ``read_volume``)."""

    study_uid: str
    uid: str
    number: int
    description: str
    protocol: str
    modality: str
    image_type: tuple[str, ...]
    sop_class: str
    frame_of_reference: str
    frames: int  # NumberOfFrames of a multi-frame object, else 1
    acquisition: dict[str, object]  # repetition, echo and inversion times, scanning sequence, contrast agent
    files: list[Path] = field(default_factory=list)
    headers: list[pydicom.Dataset] = field(default_factory=list, repr=False)

    @property
    def label(self) -> str:
        """How messages name it: ``series 7 'T1 AX POST'``."""
        return f"series {self.number} '{self.description or self.protocol or self.uid[-8:]}'"

    @property
    def text(self) -> str:
        """Description and protocol, lower case, separators as spaces (what name heuristics read)."""
        raw = f"{self.description} {self.protocol}".lower()
        return " ".join(raw.replace("_", " ").replace("-", " ").replace("/", " ").replace(".", " ").split())


@dataclass(frozen=True)
class Grid:
    """A series' voxel grid: shape (columns, rows, slices), the RAS affine, and its files in slice order."""

    shape: tuple[int, int, int]
    affine: tuple[tuple[float, ...], ...]
    files: tuple[Path, ...]

    @property
    def matrix(self) -> np.ndarray:
        return np.array(self.affine, dtype=np.float64)

    def same_as(self, other: "Grid") -> bool:
        return self.shape == other.shape and np.allclose(self.matrix, other.matrix, atol=1e-3)


def read_header(path: Path) -> pydicom.Dataset | None:
    """The header of a DICOM file, None for a file that is not DICOM (no ``DICM`` preamble).

    Raises:
        InputError: a DICOM file whose header cannot be parsed (truncated, corrupt).
    """
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        return None
    except Exception as error:  # pydicom raises many types for a broken header
        raise InputError(f"{path.name}: unreadable DICOM header ({one_line(error)})") from error
    # pydicom stops quietly where a file ends: a cut header lacks what every (image) object has
    image_class = "Image Storage" in getattr(header.get("SOPClassUID"), "name", "")
    if "SOPClassUID" not in header or (image_class and "Rows" not in header):
        raise InputError(f"{path.name}: unreadable DICOM header (truncated: it ends before its image attributes)")
    return header


def scan(folder: Path) -> tuple[dict[str, dict[str, Series]], list[tuple[Path, str]]]:
    """Every DICOM image file under ``folder``, by study then series, and the broken files found.

    Files that are not DICOM (no preamble) and DICOM objects without pixels (reports, DICOMDIR)
    are passed over. Returns ``(studies, broken)``: ``broken`` lists ``(path, reason)``.
    """
    studies: dict[str, dict[str, Series]] = {}
    broken: list[tuple[Path, str]] = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith(".")):
        try:
            header = read_header(path)
        except InputError as error:
            broken.append((path, str(error)))
            continue
        if header is None or "Rows" not in header or "SeriesInstanceUID" not in header:
            continue
        series = studies.setdefault(str(header.get("StudyInstanceUID", "")), {}).get(str(header.SeriesInstanceUID))
        if series is None:
            series = series_of(header)
            studies[series.study_uid][series.uid] = series
        series.files.append(path)
        series.headers.append(header)
    return studies, broken


def series_of(header: pydicom.Dataset) -> Series:
    def number(keyword: str) -> float | None:
        value = header.get(keyword)
        try:
            return float(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    return Series(
        study_uid=str(header.get("StudyInstanceUID", "")),
        uid=str(header.SeriesInstanceUID),
        number=int(header.get("SeriesNumber") or 0),
        description=str(header.get("SeriesDescription", "")).strip(),
        protocol=str(header.get("ProtocolName", "")).strip(),
        modality=str(header.get("Modality", "")),
        image_type=tuple(str(v).upper() for v in (header.get("ImageType") or ())),
        sop_class=str(header.get("SOPClassUID", "")),
        frame_of_reference=str(header.get("FrameOfReferenceUID", "")),
        frames=int(header.get("NumberOfFrames") or 1),
        acquisition={
            "repetition_ms": number("RepetitionTime"),
            "echo_ms": number("EchoTime"),
            "inversion_ms": number("InversionTime"),
            "sequence": " ".join(str(v) for v in (header.get("ScanningSequence") or ())).upper(),
            "contrast": str(header.get("ContrastBolusAgent", "")).strip(),
        },
    )


def why_not_an_acquisition(series: Series) -> str | None:
    """Why a series is no original acquisition to segment (localiser, derived, secondary capture)."""
    if "LOCALIZER" in series.image_type or any(w in series.text for w in ("localizer", "localiser", "scout", "survey")):
        return "a localiser"
    if series.image_type[:1] == ("DERIVED",):
        return "derived (ImageType DERIVED)"
    if series.sop_class.startswith(SECONDARY_CAPTURE_PREFIX):
        return "a secondary capture"
    return None


def grid_of(series: Series) -> Grid:
    """Check a series' geometry and order its slices.

    Raises:
        InputError: one line naming the series and what is wrong with it.
    """

    def refuse(reason: str) -> InputError:
        return InputError(f"{series.label}: {reason}")

    if series.frames > 1 or series.sop_class in ENHANCED_CLASSES:
        kind = ENHANCED_CLASSES.get(series.sop_class, "multi-frame")
        raise refuse(f"an {kind} object ({series.frames} frames) this reader cannot read; export classic single frames")
    missing = [
        k for k in ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing") if k not in series.headers[0]
    ]
    if missing:
        raise refuse(f"no {', '.join(missing)} in its headers")
    orientations = np.array([[float(v) for v in h.ImageOrientationPatient] for h in series.headers])
    if np.abs(orientations - orientations[0]).max() > 1e-4:
        raise refuse("mixed slice orientations inside one series")
    sizes = {(int(h.Rows), int(h.Columns), *(round(float(v), 4) for v in h.PixelSpacing)) for h in series.headers}
    if len(sizes) > 1:
        raise refuse("mixed image sizes or pixel spacings inside one series")
    if len(series.headers) < 2:
        raise refuse("a single slice, not a volume")
    row, column = orientations[0, :3], orientations[0, 3:]
    normal = np.cross(row, column)
    positions = np.array([[float(v) for v in h.ImagePositionPatient] for h in series.headers])
    order = np.argsort(positions @ normal, kind="stable")
    positions = positions[order]
    gaps = np.diff(positions @ normal)
    check_spacing(gaps, refuse)
    stack = positions[-1] - positions[0]
    tilt = np.degrees(np.arccos(min(1.0, abs(float(stack @ normal)) / float(np.linalg.norm(stack)))))
    if tilt > TILT_LIMIT_DEGREES:
        raise refuse(
            f"gantry tilt or sheared slices: stacked {tilt:.1f} degrees off the slice normal "
            f"(limit {TILT_LIMIT_DEGREES})"
        )
    row_spacing, column_spacing = (float(v) for v in series.headers[0].PixelSpacing)
    lps = np.eye(4)
    lps[:3, 0] = row * column_spacing  # along a row: the column index grows
    lps[:3, 1] = column * row_spacing
    lps[:3, 2] = stack / (len(positions) - 1)
    lps[:3, 3] = positions[0]
    rows, columns = int(series.headers[0].Rows), int(series.headers[0].Columns)
    refuse_oversized(series.label, (columns, rows, len(positions)))
    affine = LPS_TO_RAS @ lps
    return Grid((columns, rows, len(positions)), tuple(map(tuple, affine)), tuple(series.files[i] for i in order))


def check_spacing(gaps: np.ndarray, refuse) -> None:
    """Refuse slices sharing a position, a missing slice and varying spacing (``gaps``: mm along the normal)."""
    if (gaps < 1e-3).any():
        raise refuse(
            f"{int((gaps < 1e-3).sum()) + 1} slices share a position (several echoes, phases or times in one series?)"
        )
    median = float(np.median(gaps))
    largest = int(np.argmax(gaps))
    if gaps[largest] > 1.5 * median:
        raise refuse(
            f"a missing slice: a {gaps[largest]:.2f} mm gap after slice {largest + 1}, the others {median:.2f} mm"
        )
    off = np.abs(gaps - median)
    if ((off > SPACING_TOLERANCE[0] * median) & (off > SPACING_TOLERANCE[1])).any():
        raise refuse(f"slice spacing varies from {gaps.min():.3f} to {gaps.max():.3f} mm (limit 1% and 0.01 mm)")


def read_volume(grid: Grid, label: str) -> np.ndarray:
    """The (X, Y, Z) float32 volume of a checked series, in scanner units (modality LUT applied).

    Raises:
        InputError: a slice whose pixels cannot be decoded (truncated file), or of the wrong size.
    """
    columns, rows, _ = grid.shape
    slices = []
    for path in grid.files:
        try:
            dataset = pydicom.dcmread(path)
            pixels = apply_modality_lut(dataset.pixel_array, dataset)
        except Exception as error:  # truncated or corrupt pixel data, an unknown compression
            raise InputError(f"{path.name} in {label}: unreadable pixel data ({one_line(error)})") from error
        if pixels.shape != (rows, columns):
            raise InputError(f"{path.name} in {label}: {pixels.shape} pixels, the series {rows} x {columns}")
        slices.append(np.asarray(pixels, dtype=np.float32).T)
    return np.stack(slices, axis=-1)


def resample_onto(volume: np.ndarray, source: np.ndarray, target: Grid) -> np.ndarray:
    """``volume`` (on the grid with affine ``source``) sampled on ``target`` (linear; 0 outside)."""
    from scipy.ndimage import affine_transform

    mapping = np.linalg.inv(source) @ target.matrix  # target voxel -> source voxel
    return affine_transform(volume, mapping[:3, :3], mapping[:3, 3], output_shape=target.shape, order=1, cval=0.0)

"""Reading radiographs (PNG, TIFF, DICOM, 2D NIfTI) and preparing them for the model.

Reading (``read_radiograph``) gives a 2D float image in which larger values mean more attenuation
(bone bright), as radiographs are displayed, and the pixel spacing when the file says it:

- PNG (8 or 16 bit, grey or colour, which is averaged to grey): spacing from a ``pixel_spacing_mm``
  text chunk (written by ``hybridvision samples xray2shape``); the physical-resolution chunk is not read
  (most writers fill it with a screen resolution).
- TIFF: spacing from the resolution tags only when their unit is the centimetre (an inch-based 72 or
  96 dpi is a screen resolution, not a detector's).
- DICOM (pydicom): the modality LUT (rescale slope/intercept) applied, MONOCHROME1 inverted so bone
  is bright; spacing from PixelSpacing, else ImagerPixelSpacing (zero or missing values are ignored).
  Either is taken as the spacing at the detector, like the DRRs' (the model's magnification is
  nominal, ``NOMINAL_MAGNIFICATION`` in ``data``).
- NIfTI (``.nii``/``.nii.gz``): accepted when 2D (one slice); spacing from the header.

A file that is not an image, a 3D volume or a multi-frame image, a blank (constant) image or one with
fewer than 16 pixels on a side is refused with ``InputError``. Inputs are taken to be presentation
images (log-like, bone bright); a raw detector image (linear in exposure) needs a log transform first.

Preparing (``prepare_view``) maps a view onto the model's input grid, then windows it:

1. Geometry. With a pixel spacing (from the file or ``--pixel-spacing``), the view is resampled to the
   model's detector pixel spacing (``describe()["detector_pixel_spacing_mm"]`` of a checkpoint) and
   centre-cropped or padded to the model's input size: the view's centre is taken as the centre of the
   model's field of view. Without one, the whole view is scaled, keeping its aspect ratio, to fit
   inside the input and padded (the view is taken to show the model's field of view). Resampling is
   bilinear with antialiasing. The two views are prepared independently, so views of different sizes
   are reconciled by their spacings (or by fitting); a view whose aspect ratio is beyond 4:1 cannot be
   and is refused.
2. Windowing: robust percentile normalisation of the (log-domain) image, before padding: the 0.5th
   percentile maps to 0 and the 99.5th to 1, clipped to [0, 1]; padding is 0. Training DRRs go
   through the same function (``normalise_intensity``), so the model never sees absolute values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..base import InputError
from ..errors import one_line

LOW_PERCENTILE, HIGH_PERCENTILE = 0.5, 99.5
MIN_SIDE = 16
MAX_ASPECT = 4.0
PNG_SPACING_KEY = "pixel_spacing_mm"
IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".dcm", ".dicom", ".nii", ".nii.gz", ".jpg", ".jpeg", ".bmp")


@dataclass
class Radiograph:
    """A 2D radiograph.

    Attributes:
        image: (rows, columns) float32, larger values = more attenuation (bone bright).
        pixel_spacing_mm: (row, column) spacing in mm, or None when the file does not say.
        spacing_source: where the spacing came from ("PNG text chunk", "DICOM PixelSpacing", ...).
    """

    image: np.ndarray
    pixel_spacing_mm: tuple[float, float] | None
    spacing_source: str = "none"


def image_suffix(path: Path) -> str:
    """The lower-case extension, ``.nii.gz`` counted as one."""
    name = path.name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower()


def is_dicom(path: Path) -> bool:
    """DICOM by extension or by the ``DICM`` magic at byte 128 (files often have no extension)."""
    if image_suffix(path) in (".dcm", ".dicom"):
        return True
    try:
        with open(path, "rb") as handle:
            handle.seek(128)
            return handle.read(4) == b"DICM"
    except OSError:
        return False


def read_radiograph(path: Path) -> Radiograph:
    """Read one view; see the module docstring for formats, orientation of intensities and spacing.

    Raises:
        InputError: not an image, a 3D/multi-frame image, blank, too small; the message names the file.
    """
    path = Path(path)
    suffix = image_suffix(path)
    if is_dicom(path):
        radiograph = read_dicom(path)
    elif suffix in (".nii", ".nii.gz"):
        radiograph = read_nifti(path)
    elif suffix in (".tif", ".tiff"):
        radiograph = read_tiff(path)
    else:
        radiograph = read_pillow(path)
    return checked(radiograph, path.name)


def checked(radiograph: Radiograph, name: str) -> Radiograph:
    """``radiograph`` as float32 if it is one 2D view the model can read; else an ``InputError``
    naming ``name`` (its file, or the view of an array given to the Python API)."""
    image = np.asarray(radiograph.image)
    if image.ndim != 2:
        raise InputError(f"{name} has shape {image.shape}: a 3D volume, not a radiograph")
    if min(image.shape) < MIN_SIDE:
        raise InputError(f"{name} is {image.shape[0]}x{image.shape[1]} pixels; need at least {MIN_SIDE} a side")
    if not np.isfinite(image).all():
        raise InputError(f"{name} contains NaN or Inf values")
    if float(image.max()) == float(image.min()):
        raise InputError(f"{name} is blank (every pixel is {float(image.min()):g})")
    aspect = max(image.shape) / min(image.shape)
    if aspect > MAX_ASPECT:
        raise InputError(f"{name} is {image.shape[0]}x{image.shape[1]}: an aspect ratio beyond {MAX_ASPECT:g}:1")
    radiograph.image = image.astype(np.float32)
    return radiograph


def squeeze_to_2d(array: np.ndarray, name: str) -> np.ndarray:
    """Drop singleton axes and average a trailing colour axis; a real 3D stack is an error."""
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[-1] in (3, 4) and min(array.shape[:2]) > 4:
        array = array[..., :3].astype(np.float32).mean(-1)  # RGB(A) to grey
    array = np.squeeze(array)
    if array.ndim != 2:
        raise InputError(f"{name} has shape {tuple(np.asarray(array).shape)}: a 3D volume, not a radiograph")
    return array


def read_pillow(path: Path) -> Radiograph:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                raise InputError(f"{path.name} has {frames} frames: a 3D volume, not a radiograph")
            text = dict(getattr(image, "text", {}) or {})
            if image.mode in ("P", "PA", "1"):
                image = image.convert("L")
            array = np.asarray(image)
    except InputError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise InputError(f"{path.name} is not a readable image ({one_line(error)})") from error
    array = squeeze_to_2d(array, path.name)
    spacing, source = None, "none"
    if PNG_SPACING_KEY in text:
        try:
            value = float(text[PNG_SPACING_KEY])
        except ValueError:
            value = 0.0
        if value > 0:
            spacing, source = (value, value), "PNG text chunk"
    return Radiograph(array.astype(np.float32), spacing, source)


def read_tiff(path: Path) -> Radiograph:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tiff:
            if len(tiff.pages) > 1:
                raise InputError(f"{path.name} has {len(tiff.pages)} pages: a 3D volume, not a radiograph")
            page = tiff.pages[0]
            array = page.asarray()
            tags = page.tags
            spacing, source = None, "none"
            unit = tags.get("ResolutionUnit")
            resolution = tags.get("XResolution"), tags.get("YResolution")
            if unit is not None and int(unit.value) == 3 and all(r is not None for r in resolution):
                x, y = (r.value[0] / r.value[1] if r.value[1] else 0 for r in resolution)  # pixels per cm
                if x > 0 and y > 0:
                    spacing, source = (10.0 / y, 10.0 / x), "TIFF resolution (cm)"
    except InputError:
        raise
    except Exception as error:  # tifffile raises many types for broken files
        raise InputError(f"{path.name} is not a readable TIFF ({one_line(error)})") from error
    return Radiograph(squeeze_to_2d(array, path.name).astype(np.float32), spacing, source)


def read_nifti(path: Path) -> Radiograph:
    import nibabel as nib

    try:
        image = nib.load(str(path))
        array = np.asarray(image.dataobj, dtype=np.float32)
        zooms = image.header.get_zooms()
    except Exception as error:
        raise InputError(f"{path.name} is not a readable NIfTI ({one_line(error)})") from error
    if sum(s > 1 for s in array.shape) > 2:
        raise InputError(f"{path.name} has shape {array.shape}: a 3D volume, not a radiograph")
    axes = [i for i, s in enumerate(array.shape) if s > 1]
    array = np.squeeze(array)
    spacing = tuple(float(zooms[i]) for i in axes[:2]) if len(axes) == 2 else None
    # NIfTI's first axis runs across (columns), its second along rows from the bottom: to display order
    array = np.flipud(array.T) if array.ndim == 2 else array
    if spacing is not None:
        spacing = (spacing[1], spacing[0])
    return Radiograph(np.ascontiguousarray(array), spacing, "NIfTI header" if spacing else "none")


def read_dicom(path: Path) -> Radiograph:
    try:
        import pydicom
        from pydicom.pixels import apply_modality_lut
    except ImportError as error:  # pragma: no cover - pydicom is a dependency
        raise InputError(f"{path.name}: reading DICOM needs pydicom (pip install pydicom)") from error
    try:
        dataset = pydicom.dcmread(str(path))
        array = dataset.pixel_array
    except Exception as error:
        raise InputError(f"{path.name} is not a readable DICOM image ({one_line(error)})") from error
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        raise InputError(f"{path.name} has {frames} frames: a 3D volume, not a radiograph")
    samples = int(dataset.get("SamplesPerPixel", 1) or 1)
    array = np.asarray(array, dtype=np.float32)
    if samples == 1 and ("RescaleSlope" in dataset or "RescaleIntercept" in dataset):
        array = np.asarray(apply_modality_lut(array, dataset), dtype=np.float32)
    array = squeeze_to_2d(array, path.name).astype(np.float32)
    if str(dataset.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        array = float(array.max()) + float(array.min()) - array  # low values are bright: invert
    spacing, source = None, "none"
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = dataset.get(keyword)
        try:
            pair = tuple(float(v) for v in value) if value is not None else ()
        except (TypeError, ValueError):
            pair = ()
        if len(pair) == 2 and min(pair) > 0:
            spacing, source = (pair[0], pair[1]), f"DICOM {keyword}"
            break
    return Radiograph(array, spacing, source)


def normalise_intensity(image: np.ndarray | torch.Tensor) -> np.ndarray:
    """Robust window: the 0.5th percentile to 0, the 99.5th to 1, clipped (a constant image gives zeros)."""
    array = image.numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    array = array.astype(np.float32)
    low, high = np.percentile(array, [LOW_PERCENTILE, HIGH_PERCENTILE])
    if high <= low:
        return np.zeros_like(array)
    return np.clip((array - low) / (high - low), 0, 1).astype(np.float32)


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize with antialiasing (area-like when shrinking)."""
    if tuple(image.shape) == tuple(size):
        return image.astype(np.float32)
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    return F.interpolate(tensor, size=size, mode="bilinear", antialias=True, align_corners=False)[0, 0].numpy()


def centre_crop(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The centre of ``image`` at most ``size`` large (sides already smaller are kept whole)."""
    slices = []
    for have, want in zip(image.shape, size):
        start = max(0, (have - want) // 2)
        slices.append(slice(start, start + min(have, want)))
    return image[tuple(slices)]


def centre_pad(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pad with zeros to ``size``, the image in the middle."""
    out = np.zeros(size, np.float32)
    top, left = (size[0] - image.shape[0]) // 2, (size[1] - image.shape[1]) // 2
    out[top : top + image.shape[0], left : left + image.shape[1]] = image
    return out


def prepare_view(
    radiograph: Radiograph,
    image_shape: tuple[int, int],
    target_spacing_mm: float,
    pixel_spacing_mm: float | None = None,
) -> np.ndarray:
    """A view on the model's input grid, windowed to [0, 1] (see the module docstring).

    Args:
        radiograph: as read by ``read_radiograph``.
        image_shape: the model's (rows, columns).
        target_spacing_mm: the model's detector pixel spacing.
        pixel_spacing_mm: overrides the file's spacing when given (``--pixel-spacing``).

    Returns:
        (rows, columns) float32 in [0, 1].
    """
    image = radiograph.image
    spacing = (pixel_spacing_mm, pixel_spacing_mm) if pixel_spacing_mm else radiograph.pixel_spacing_mm
    rows, columns = image_shape
    if spacing is not None:
        scale = (spacing[0] / target_spacing_mm, spacing[1] / target_spacing_mm)  # output pixels per input pixel
        window = (max(1, round(rows / scale[0])), max(1, round(columns / scale[1])))  # the field of view, input px
        cropped = centre_crop(image, window)
        size = (
            min(rows, max(1, round(cropped.shape[0] * scale[0]))),
            min(columns, max(1, round(cropped.shape[1] * scale[1]))),
        )
    else:
        cropped = image
        fit = min(rows / image.shape[0], columns / image.shape[1])
        size = (min(rows, max(1, round(image.shape[0] * fit))), min(columns, max(1, round(image.shape[1] * fit))))
    return centre_pad(normalise_intensity(resize(cropped, size)), (rows, columns))

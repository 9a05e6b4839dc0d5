"""Reading and writing hyperspectral cubes: GeoTIFF, ENVI, MATLAB ``.mat`` and NumPy ``.npy``.

Every reader returns a :class:`Cube` with data as float32 ``(bands, height, width)``. Axis order on disk:

- GeoTIFF and ENVI say it in the file.
- ``.mat`` (the benchmark scenes: Indian Pines, Pavia, Salinas, ...) holds ``(height, width, bands)``. When the
  file also holds a ground truth (a 2D integer array), the bands axis is the cube axis its shape leaves out;
  otherwise it is the last axis, MATLAB's convention (not the smallest axis: Indian Pines is 145 x 145 x 200).
  MATLAB v7.3 files are HDF5 and are read with h5py, whose arrays come transposed.
- ``.npy`` holds ``(bands, height, width)``; an array whose last axis is strictly the smallest is taken as
  ``(height, width, bands)`` and transposed, so a ``(bands, H, W)`` array narrower than both its band count and
  its height reads wrongly: prefer GeoTIFF for outputs.

Anything unusable raises :class:`InputError` with a one-line message that names the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import h5py
import numpy as np
import scipy.io
from spectral.io import envi

from ..base import InputError
from ..common.atomic import atomic_outputs
from ..common.holes import hole_mask
from ..common.rasters import create_raster, open_raster

CUBE_SUFFIXES = (".tif", ".tiff", ".hdr", ".mat", ".npy")
CLASS_MAP_SUFFIXES = (".tif", ".tiff", ".png", ".npy", ".mat")
WAVELENGTH_TAGS = ("wavelength_nm", "wavelength")
KEPT_DTYPES = (np.uint8, np.int16, np.uint16)  # stored as given; anything else becomes float32
MICROMETRE_UNITS = ("micrometers", "micrometres", "micrometer", "micrometre", "microns", "micron", "um", "µm")


@dataclass(frozen=True)
class Georeference:
    """What a class map or output inherits from its input: rasterio CRS and affine transform, or None."""

    crs: Any | None = None
    transform: Any | None = None

    def differs_from(self, other: "Georeference") -> str | None:
        """Why two georeferenced maps are not on one grid (CRS, then transform), or None. A map
        without a georeference is taken to lie on the other's grid."""
        if self.crs is not None and other.crs is not None and self.crs != other.crs:
            return f"CRS {self.crs.to_string()} against {other.crs.to_string()}"
        if self.transform is not None and other.transform is not None:
            if not self.transform.almost_equals(other.transform, precision=1e-6 * max(abs(self.transform.a), 1e-9)):
                mine, theirs = self.transform, other.transform
                return (
                    f"pixel grids differ: origin {mine.c:.12g}, {mine.f:.12g} against {theirs.c:.12g}, "
                    f"{theirs.f:.12g}, pixel {mine.a:.12g} against {theirs.a:.12g}"
                )
        return None


@dataclass
class Cube:
    """A hyperspectral cube read from a file.

    Attributes:
        data: (bands, H, W) float32; NaN replaced by 0, nodata values as stored.
        wavelengths: band centres in nm, when the file says.
        band_names: one per band: the file's descriptions, else "band 1", "band 2", ...
        valid: (H, W) bool, False where any band is a hole (bands that are holes everywhere aside).
        holes: (bands, H, W) bool, True where a band holds its nodata value or NaN.
        nodata: the file's nodata value, if any.
        georef: CRS and transform (GeoTIFF only).
        path: the file read.
        ground_truth: (H, W) int64 labels (0 = unlabelled) when the file carries them (.mat).
    """

    data: np.ndarray
    wavelengths: tuple[float, ...] | None
    band_names: tuple[str, ...]
    valid: np.ndarray
    nodata: float | None
    georef: Georeference
    path: Path
    ground_truth: np.ndarray | None = None
    holes: np.ndarray | None = None


def read_cube(path: Path) -> Cube:
    """Read a cube from .tif/.tiff (GeoTIFF), .hdr (ENVI header), .mat or .npy; see the module docstring."""
    path = Path(path)
    parts = read_parts(path, CUBE_SUFFIXES, {".hdr": read_envi, ".mat": read_mat_cube, ".npy": read_npy_cube})
    data = np.asarray(parts.pop("data"))
    if data.ndim != 3 or data.shape[0] < 2 or min(data.shape) < 1:
        expected = "expected a 3D cube (bands, height, width) with 2 or more bands"
        raise InputError(f"{path.name}: {expected}, got shape {data.shape}")
    if not (np.issubdtype(data.dtype, np.number) or data.dtype == bool) or np.iscomplexobj(data):
        raise InputError(f"{path.name}: unsupported data type {data.dtype}")
    nodata, bands = parts.pop("nodata", None), data.shape[0]
    holes = hole_mask(data, nodata)
    data = np.nan_to_num(data.astype(np.float32), nan=0.0)  # nodata values stay as stored
    empty = holes.all(axis=(1, 2))  # a band that is nodata everywhere is an absent band, not a hole per pixel
    invalid = holes[~empty].any(axis=0)
    wavelengths = parts.pop("wavelengths", None)
    if wavelengths is not None and len(wavelengths) != bands:
        wavelengths = None  # a list that does not match the bands describes something else
    names = [str(name) if name else f"band {i + 1}" for i, name in enumerate(parts.pop("band_names", None) or [])]
    names = names if len(names) == bands else [f"band {i + 1}" for i in range(bands)]
    return Cube(
        data=data,
        wavelengths=tuple(float(w) for w in wavelengths) if wavelengths is not None else None,
        band_names=tuple(names),
        valid=~invalid,
        nodata=None if nodata is None else float(nodata),
        georef=parts.pop("georef", Georeference()),
        path=path,
        ground_truth=parts.pop("ground_truth", None),
        holes=holes,
    )


def read_class_map(path: Path) -> tuple[np.ndarray, Georeference]:
    """A 2D int64 class map (0 = unlabelled) from .tif/.png (band 1; nodata -> 0), .npy or .mat, and its georef."""
    path = Path(path)
    parts = read_parts(path, CLASS_MAP_SUFFIXES, {".npy": lambda p: {"data": np.load(p)}, ".mat": read_mat_map})
    labels = np.asarray(parts["data"])
    if labels.ndim == 3 and 1 in (labels.shape[0], labels.shape[-1]):
        labels = labels[0] if labels.shape[0] == 1 else labels[..., 0]  # (1, H, W) from rasterio, or (H, W, 1)
    if labels.ndim != 2:
        raise InputError(f"{path.name}: expected a 2D class map (height, width), got shape {labels.shape}")
    if parts.get("nodata") is not None:
        labels = np.where(labels == parts["nodata"], 0, labels)
    if not integer_valued(labels) or labels.min(initial=0) < 0:
        raise InputError(f"{path.name}: class values must be non-negative integers")
    return labels.astype(np.int64), parts.get("georef", Georeference())


def read_parts(path: Path, suffixes: Sequence[str], readers: dict) -> dict[str, Any]:
    """Pick the reader by suffix (rasterio by default) and turn any library error into an InputError."""
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise InputError(f"{path.name}: unsupported format {suffix or '(none)'} (use {', '.join(suffixes)})")
    if not path.is_file():
        raise InputError(f"{path.name}: file not found")
    try:
        return readers.get(suffix, read_raster)(path)
    except InputError:
        raise
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"{path.name}: unreadable {path.suffix.lstrip('.').upper()} file ({reason})") from error


def read_raster(path: Path) -> dict[str, Any]:
    with open_raster(path) as dataset:  # a plain TIFF/PNG: georef stays None
        data = dataset.read()
        transform = None if dataset.crs is None and dataset.transform.is_identity else dataset.transform
        tags = [{k.lower(): v for k, v in dataset.tags(i).items()} for i in dataset.indexes]
        envi = {k.lower(): v for k, v in dataset.tags(ns="ENVI").items()}
        parts = {"data": data, "nodata": dataset.nodata, "band_names": dataset.descriptions}
        parts["georef"] = Georeference(dataset.crs, transform)
    parts["wavelengths"] = raster_wavelengths(tags, envi)
    return parts


def raster_wavelengths(band_tags: list[dict[str, str]], envi: dict[str, str]) -> list[float] | None:
    """From our per-band "wavelength_nm" tags, GDAL's per-band "wavelength", or the ENVI metadata domain."""
    for key in WAVELENGTH_TAGS:
        if band_tags and all(key in tags for tags in band_tags):
            values = [float(tags[key]) for tags in band_tags]
            units = band_tags[0].get("wavelength_units", envi.get("wavelength_units"))
            return to_nanometres(values, "nm" if key == "wavelength_nm" else units)
    if "wavelength" in envi:
        values = [float(v) for v in envi["wavelength"].strip("{} ").split(",") if v.strip()]
        return to_nanometres(values, envi.get("wavelength_units", envi.get("wavelength units")))
    return None


def to_nanometres(values: Sequence[float], units: str | None) -> list[float]:
    """Micrometres -> nm when the units say so, or when no unit is given and every value is below 30."""
    unit = (units or "").strip().lower()
    micrometres = unit in MICROMETRE_UNITS or (unit in ("", "unknown") and max(values, default=0) < 30)
    return [float(v) * 1000 if micrometres else float(v) for v in values]


def read_envi(path: Path) -> dict[str, Any]:
    try:
        image = envi.open(str(path.resolve()))
    except envi.EnviDataFileNotFoundError as error:
        found = f"{path.name}: no ENVI data file beside the header"
        raise InputError(f"{found} (looked for {path.stem}, {path.stem}.img, .dat, .raw, ...)") from error
    meta = image.metadata
    data = np.asarray(image.load(dtype=np.float32, scale=False)).transpose(2, 0, 1)
    parts = {"data": data, "band_names": meta.get("band names")}
    if "wavelength" in meta:
        parts["wavelengths"] = to_nanometres([float(w) for w in meta["wavelength"]], meta.get("wavelength units"))
    if "data ignore value" in meta:
        parts["nodata"] = float(meta["data ignore value"])
    return parts


def mat_variables(path: Path) -> dict[str, np.ndarray]:
    """Numeric variables of a .mat file, v7.3 (HDF5, transposed back) included; in file order."""
    if h5py.is_hdf5(path):
        found = {}
        with h5py.File(path, "r") as file:
            for name, item in file.items():  # MATLAB keeps cells and strings under "#refs#" or as "char"
                if isinstance(item, h5py.Dataset) and item.attrs.get("MATLAB_class", b"") not in (b"char", "char"):
                    found[name] = np.asarray(item[()]).T
    else:
        found = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    return {k: v for k, v in found.items() if isinstance(v, np.ndarray) and v.dtype.kind in "biuf" and v.size}


def read_mat_cube(path: Path) -> dict[str, Any]:
    variables = mat_variables(path)
    cubes = [v for v in variables.values() if v.ndim == 3]
    if not cubes:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in variables.items()) or "none"
        raise InputError(f"{path.name}: no 3D numeric array in the file (variables: {shapes})")
    cube = max(cubes, key=lambda v: v.size)
    pairs = {(0, 1): 2, (1, 2): 0, (0, 2): 1}  # spatial axes -> bands axis; MATLAB's (H, W, B) first
    ground_truth, bands_axis = None, 2
    for _, value in sorted(variables.items(), key=lambda item: "gt" not in item[0].lower()):  # "*_gt" names first
        axes = [axes for axes in pairs if value.ndim == 2 and value.shape == tuple(cube.shape[a] for a in axes)]
        if axes and integer_valued(value):
            ground_truth, bands_axis = value.astype(np.int64), pairs[axes[0]]
            break
    wavelengths = variables.get("wavelengths", variables.get("wavelength"))
    return {
        "data": np.moveaxis(cube, bands_axis, 0),
        "ground_truth": ground_truth,
        "wavelengths": None if wavelengths is None else to_nanometres(wavelengths.ravel().tolist(), None),
    }


def read_mat_map(path: Path) -> dict[str, Any]:
    maps = [(name, v) for name, v in mat_variables(path).items() if v.ndim == 2 and min(v.shape) > 1]
    maps = [(name, v) for name, v in maps if integer_valued(v)]
    if not maps:
        raise InputError(f"{path.name}: no 2D integer array (class map) in the file")
    return {"data": max(maps, key=lambda item: ("gt" in item[0].lower(), item[1].size))[1]}


def read_npy_cube(path: Path) -> dict[str, Any]:
    data = np.load(path, allow_pickle=False)
    if data.ndim == 3 and data.shape[2] < min(data.shape[:2]):
        data = data.transpose(2, 0, 1)  # (H, W, bands) by the smallest-axis rule
    return {"data": data}


def integer_valued(values: np.ndarray) -> bool:
    if values.dtype.kind in "biu":
        return True
    return values.dtype.kind == "f" and bool(np.all(np.isfinite(values)) and np.all(np.mod(values, 1) == 0))


def write_cube(
    cube_data: np.ndarray,
    path: Path,
    wavelengths: Sequence[float] | None = None,
    georef: Georeference | None = None,
    nodata: float | None = None,
    band_names: Sequence[str] | None = None,
) -> None:
    """Write ``cube_data`` (bands, H, W) atomically, the format chosen by the suffix.

    .tif/.tiff: deflate GeoTIFF with CRS, transform, nodata, band descriptions and a "wavelength_nm" tag per band.
    .hdr: ENVI, band-sequential, data in ``<stem>.img`` beside the header. .mat: the cube as (H, W, bands) under the
    file's stem (made a valid MATLAB name), plus "wavelengths". .npy: (bands, H, W) only. uint8, int16 and uint16
    are kept; anything else is stored as float32. Georeference is kept by GeoTIFF only, nodata by GeoTIFF and ENVI.
    """
    path, data = Path(path), np.asarray(cube_data)
    if data.ndim != 3:
        raise ValueError(f"expected a (bands, height, width) cube, got shape {data.shape}")
    data = data if data.dtype in KEPT_DTYPES else data.astype(np.float32)
    wavelengths = None if wavelengths is None else [float(w) for w in wavelengths]
    names = list(band_names) if band_names is not None else [f"band {i + 1}" for i in range(data.shape[0])]
    suffix = path.suffix.lower()
    if suffix not in CUBE_SUFFIXES:
        raise ValueError(f"{path.name}: unsupported format {suffix or '(none)'} (use {', '.join(CUBE_SUFFIXES)})")
    if suffix == ".hdr":
        write_envi(data, path, wavelengths, nodata, names)
        return
    with atomic_outputs({"file": path}) as temps:
        if suffix in (".tif", ".tiff"):
            write_geotiff(data, temps["file"], wavelengths, georef or Georeference(), nodata, names)
        elif suffix == ".mat":
            write_mat(temps["file"], {matlab_name(path.stem): data.transpose(1, 2, 0)}, wavelengths)
        else:
            np.save(temps["file"], data)


def write_geotiff(data, path: Path, wavelengths, georef: Georeference, nodata, names: list[str]) -> None:
    profile = dict(count=data.shape[0], height=data.shape[1], width=data.shape[2], dtype=data.dtype, nodata=nodata)
    with create_raster(path, crs=georef.crs, transform=georef.transform, interleave="band", **profile) as dataset:
        dataset.write(data)
        for index, name in enumerate(names, start=1):
            dataset.set_band_description(index, name)
            if wavelengths is not None:
                dataset.update_tags(index, wavelength_nm=repr(wavelengths[index - 1]))


def write_envi(data, path: Path, wavelengths, nodata, names: list[str]) -> None:
    metadata: dict[str, Any] = {"band names": names}
    if wavelengths is not None:
        metadata.update({"wavelength": wavelengths, "wavelength units": "nm"})
    if nodata is not None:
        metadata["data ignore value"] = nodata
    # spectral names the data file after the header (<stem>.img), so both temporaries pair up by name.
    with atomic_outputs({"header": path, "data": path.with_suffix(".img")}) as temps:
        hwb = data.transpose(1, 2, 0)  # spectral takes arrays as (rows, columns, bands)
        envi.save_image(str(temps["header"]), hwb, interleave="bsq", ext=".img", metadata=metadata, force=True)


def write_mat(path: Path, variables: dict[str, np.ndarray], wavelengths=None) -> None:
    if wavelengths is not None:
        variables["wavelengths"] = np.asarray(wavelengths, dtype=np.float64)
    scipy.io.savemat(path, variables, do_compression=True)


def write_class_map_mat(class_map: np.ndarray, path: Path) -> None:
    """Write a (H, W) ground truth as a benchmark-style .mat: uint8 (uint16 above 255) under ``<stem>_gt``."""
    path, labels = Path(path), np.asarray(class_map)
    name = matlab_name(path.stem if path.stem.lower().endswith("gt") else f"{path.stem}_gt")
    with atomic_outputs({"file": path}) as temps:
        write_mat(temps["file"], {name: labels.astype(np.uint8 if labels.max(initial=0) < 256 else np.uint16)})


def matlab_name(stem: str) -> str:
    """A valid MATLAB variable name: letters, digits and underscores, starting with a letter, 63 at most."""
    name = re.sub(r"\W", "_", stem)
    return (name if name[:1].isalpha() else f"cube_{name}")[:63]

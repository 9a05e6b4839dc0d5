"""A multi-band GeoTIFF for the land-cover model: which bands it holds, and how its values become
reflectance.

A product says both in its metadata; a GeoTIFF (a stack exported from a product, from QGIS or a
cloud catalogue) often does not. Its bands are named, in this order, by:

1. ``--wavelengths`` (nm, one per band): each band goes to the model band nearest in centre
   wavelength, within 30 nm (``--sensor`` narrows the choice to that sensor's bands);
2. the file's band descriptions, where every one is a band name (``B02``, ``B2``, ``B8A``, ``SR_B4``);
3. ``--sensor sentinel2|landsat``: the bands in the product's order, all 12 Sentinel-2 L2A bands
   (B10 left out, as L2A does) or all 7 Landsat surface-reflectance bands.

Values: floating point is reflectance already; integers are stored counts, reflectance = count x
1e-4 for Sentinel-2 (L2A with its offset removed, as harmonised exports are) and count x 2.75e-5 -
0.2 for Landsat Collection 2 Level-2, and a stored 0 is no data when the file declares none.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from rasterio.windows import Window

from ..base import InputError, is_ground_truth
from ..common.holes import hole_mask
from ..common.landsat import OLI_CENTRES_NM
from ..common.rasters import FileRaster, open_raster
from ..common.sentinel2 import MSI_BANDS

SENSOR_BANDS = {
    "sentinel2": tuple(name for name in MSI_BANDS if name != "B10"),
    "landsat": tuple(f"SR_B{n}" for n in OLI_CENTRES_NM),
}
COUNTS = {"sentinel2": (1e-4, 0.0), "landsat": (2.75e-5, -0.2)}  # reflectance = count * scale + offset
NEAREST_NM = 30.0
GEOTIFF_SUFFIXES = (".tif", ".tiff")
OUTPUT_STEMS = ("_classes", "_confidence", "_entropy")  # the land-cover outputs: never inputs


def band_name(text: str | None) -> str | None:
    """A band description as a band name (``b2`` -> ``B02``, ``sr_b4`` -> ``SR_B4``), or None."""
    match = re.fullmatch(r"\s*(SR_)?B(\d{1,2}|8A)\s*", text or "", re.IGNORECASE)
    if not match:
        return None
    number = match.group(2).upper()
    if match.group(1):
        return f"SR_B{int(number)}"
    return "B8A" if number == "8A" else f"B{int(number):02d}"


def sensor_of(names: list[str]) -> str | None:
    """The sensor whose bands ``names`` all are, or None."""
    return next((sensor for sensor, bands in SENSOR_BANDS.items() if set(names) <= set(bands)), None)


def named_bands(descriptions: tuple[str | None, ...]) -> list[str] | None:
    """The band names the descriptions give, when every band has one of a single sensor."""
    names = [band_name(d) for d in descriptions]
    if None in names or sensor_of(names) is None:
        return None
    return names


def by_wavelength(file: str, wavelengths: list[float], model: dict[str, float], sensor: str) -> list[str]:
    """Each band to the model band nearest in centre wavelength, all of one sensor (``sensor``, or
    the one whose bands lie nearest in all)."""
    fits, reason = [], ""
    for candidate in [sensor] if sensor else list(SENSOR_BANDS):
        bands = {n: w for n, w in model.items() if n in SENSOR_BANDS[candidate]}
        if not bands:
            reason = reason or f"this model reads no {candidate} band"
            continue
        names = [min(bands, key=lambda n: abs(bands[n] - w)) for w in wavelengths]
        far = [w for w, n in zip(wavelengths, names) if abs(bands[n] - w) > NEAREST_NM]
        if far:
            reason = reason or f"no {candidate} band of the model within {NEAREST_NM:.0f} nm of {far[0]:g} nm"
        elif len(set(names)) < len(names):
            reason = reason or f"--wavelengths give two bands the same {candidate} band ({', '.join(names)})"
        else:
            fits.append((sum(abs(bands[n] - w) for n, w in zip(names, wavelengths)), names))
    if not fits:
        raise InputError(f"{file}: {reason}")
    return min(fits)[1]


def geotiff_source(path: Path, sensor: str, wavelengths: str, model: dict[str, float], wanted: list[str] | None):
    """The GeoTIFF as a ``ReflectanceRaster`` of the bands ``wanted`` (None: all, in the file's
    order; else in ``wanted``'s), and their names."""
    with open_raster(path) as dataset:
        descriptions = dataset.descriptions
    names = geotiff_bands(path.name, descriptions, sensor, wavelengths, model)
    keep = list(range(len(names))) if wanted is None else [names.index(n) for n in wanted if n in names]
    if not keep:
        raise InputError(f"{path.name}: none of the bands asked for is in this GeoTIFF ({', '.join(names)})")
    return ReflectanceRaster(path, sensor_of(names), keep), [names[i] for i in keep]


def parse_wavelengths(option: str) -> list[float]:
    try:
        return [float(v) for v in option.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"--wavelengths: nm numbers separated by commas, got {option!r}") from None


def geotiff_bands(
    file: str, descriptions: tuple[str | None, ...], sensor: str, wavelengths: str, model: dict[str, float]
) -> list[str]:
    """The band names of a GeoTIFF's bands, in the order of the module docstring."""
    count = len(descriptions)
    if wavelengths:
        values = parse_wavelengths(wavelengths)
        if len(values) != count:
            raise InputError(f"{file}: {count} bands but {len(values)} --wavelengths")
        return by_wavelength(file, values, model, sensor)
    named = named_bands(descriptions)
    if named and (not sensor or sensor_of(named) == sensor):
        return named
    if sensor:
        expected = SENSOR_BANDS[sensor]
        if count != len(expected):
            raise InputError(
                f"{file}: {count} bands; --sensor {sensor} reads all {len(expected)} ({', '.join(expected)}) "
                "in that order: give --wavelengths (nm, one per band) for another set"
            )
        return list(expected)
    raise InputError(
        f"{file}: {count} bands but no wavelengths or band names: give --sensor sentinel2|landsat "
        "(bands in the product's order) or --wavelengths (nm, one per band)"
    )


def names_satellite_bands(path: Path) -> bool:
    """Whether a GeoTIFF's band descriptions name Sentinel-2 or Landsat bands (read from its header)."""
    try:
        with open_raster(path) as dataset:
            return named_bands(dataset.descriptions) is not None
    except InputError:
        return False


def is_geotiff(path: Path) -> bool:
    return path.suffix.lower() in GEOTIFF_SUFFIXES


def find_geotiffs(path: Path) -> list[Path]:
    """The GeoTIFFs at ``path`` (a file or a folder's), the land-cover model's outputs left out."""
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else []
    stem = lambda p: p.name.split(".")[0]  # noqa: E731
    return [p for p in files if is_geotiff(p) and not stem(p).endswith(OUTPUT_STEMS) and not is_ground_truth(p)]


class ReflectanceRaster(FileRaster):
    """Some bands of a GeoTIFF (``keep``: 0-based) read by window as reflectance (float32), with per-band holes."""

    def __init__(self, path: Path, sensor: str, keep: list[int]):
        super().__init__(path)
        self.keep = keep
        integer = np.issubdtype(self.dtype, np.integer)
        self.scale, self.offset = COUNTS[sensor] if integer else (1.0, 0.0)
        self.zero_is_hole = integer and self.nodata is None

    def read(self, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        window = Window(left, top, width, height)
        raw = self.dataset.read([i + 1 for i in self.keep], window=window)
        holes = hole_mask(raw, self.nodata)
        if self.zero_is_hole:
            holes |= raw == 0
        return raw.astype(np.float32) * np.float32(self.scale) + np.float32(self.offset), holes

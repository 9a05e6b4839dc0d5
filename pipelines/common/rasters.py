"""GeoTIFFs as every task reads and writes them: by window, with nodata as a mask, georeference kept.

A plain TIFF without georeference is fine (rasterio's NotGeoreferencedWarning is silenced); an
unreadable file is an ``InputError`` that names it. Written rasters are tiled, deflate-compressed
GeoTIFFs, BigTIFF when they need it, with the CRS, transform and nodata they are given.

The raster stack superres and spectral share: ``FileRaster`` (a file held open for the unit) and
``ArrayRaster`` (an array in memory) are read by window alike; ``RasterSink`` is written by window,
into a GeoTIFF or an array. rasterio is imported where a file is opened or written: an image that
is no GeoTIFF (a PNG through superres) never loads GDAL.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ..errors import InputError
from .holes import hole_mask

if TYPE_CHECKING:
    import rasterio


def gdal_path(path: Path | str) -> str:
    """What GDAL opens: a file's path, or a ``/vsizip/`` / ``/vsitar/`` path kept as written."""
    return path if isinstance(path, str) and path.startswith("/vsi") else str(Path(path))


def open_raster(path: Path | str) -> rasterio.io.DatasetReader:
    """Open a raster for reading; a file GDAL cannot read is an ``InputError`` naming it."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    where = gdal_path(path)
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(where)
    except rasterio.RasterioIOError as error:
        reason = str(error).splitlines()[0].replace(f"'{path}' ", "").replace(str(path), path.name)
        raise InputError(f"{path.name}: unreadable {path.suffix.lstrip('.').upper()} file ({reason})") from error


def read_window(dataset, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(bands, h, w) raw values and (bands, h, w) holes: a band's nodata value or NaN is a hole in that band."""
    from rasterio.windows import Window

    data = dataset.read(window=Window(left, top, width, height), boundless=False)
    return data, hole_mask(data, dataset.nodata)


def create_raster(path: Path, **profile: Any) -> rasterio.io.DatasetWriter:
    """A GeoTIFF open for writing window by window: tiled 256 x 256, deflate, BigTIFF when needed.

    ``profile``: height, width, count, dtype, and crs, transform, nodata where the output has them.
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    profile = {"driver": "GTiff", "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "deflate", **profile}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(Path(path), "w", BIGTIFF="IF_SAFER", **profile)


def to_cog(source: Path, target: Path, overviews: str) -> None:
    """``source`` (any GeoTIFF) copied to ``target`` as a Cloud-Optimised GeoTIFF: 512 x 512 tiles,
    DEFLATE with a predictor, internal overviews resampled by ``overviews`` ("nearest" for classes,
    "average" for measurements), nodata, CRS and transform kept."""
    import rasterio.shutil
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        rasterio.shutil.copy(
            str(source), str(target), driver="COG", BLOCKSIZE=512, COMPRESS="DEFLATE", PREDICTOR="YES",
            OVERVIEW_RESAMPLING=overviews.upper(), BIGTIFF="IF_SAFER",
        )  # fmt: skip


def write_window(dataset, data: np.ndarray, top: int, left: int) -> None:
    """Write (bands, h, w) at (top, left) of a raster opened by ``create_raster``."""
    from rasterio.windows import Window

    dataset.write(data, window=Window(left, top, data.shape[2], data.shape[1]))


def georeference(meta: Mapping[str, Any]) -> tuple[Any, Any]:
    """``meta``'s ``crs`` and ``transform`` (an EPSG string, a CRS, an Affine or its six numbers) as
    rasterio's types, what a GeoTIFF read back would hold; (None, None) unless both are given."""
    crs, transform = meta.get("crs"), meta.get("transform")
    if crs is None or transform is None:
        return None, None
    from rasterio.crs import CRS
    from rasterio.transform import Affine

    return CRS.from_user_input(crs), transform if isinstance(transform, Affine) else Affine(*list(transform)[:6])


# -- the raster stack superres and spectral share: a source read by window, a sink written by window --
class FileRaster:
    """A raster file held open for the whole unit (one open dataset, however many windows are read)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.dataset = open_raster(path)
        self.height, self.width, self.count = self.dataset.height, self.dataset.width, self.dataset.count
        self.dtype = np.dtype(self.dataset.dtypes[0])
        self.nodata, self.crs, self.transform = self.dataset.nodata, self.dataset.crs, self.dataset.transform
        self.profile = dict(self.dataset.profile)

    def read(self, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(bands, h, w) raw values and holes (``read_window``)."""
        return read_window(self.dataset, top, left, height, width)

    def close(self) -> None:
        self.dataset.close()


class ArrayRaster:
    """An in-memory (bands, H, W) array behind the same window reads (a Pillow image, a whole cube,
    an array given to the Python API)."""

    def __init__(
        self,
        pixels: np.ndarray,
        nodata: float | None = None,
        crs: Any = None,
        transform: Any = None,
        holes: np.ndarray | None = None,
    ):
        self.pixels, self.nodata, self.crs, self.transform = pixels, nodata, crs, transform
        self.holes = holes  # (bands, H, W) when known already (a cube reader's), else from nodata and NaN
        self.count, self.height, self.width = pixels.shape
        self.dtype = pixels.dtype
        self.profile: dict[str, Any] = {}

    def read(self, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        rows, columns = slice(top, top + height), slice(left, left + width)
        data = self.pixels[:, rows, columns]
        return data, (hole_mask(data, self.nodata) if self.holes is None else self.holes[:, rows, columns])

    def close(self) -> None:
        return None


class OnRaster:
    """What a task's source (an image, a cube) asks of the raster it holds in ``raster``: its size
    and band count, and closing it."""

    raster: Any

    @property
    def height(self) -> int:
        return self.raster.height

    @property
    def width(self) -> int:
        return self.raster.width

    @property
    def bands(self) -> int:
        return self.raster.count

    def close(self) -> None:
        self.raster.close()


class RasterSink:
    """Where windows of an output go: a GeoTIFF written window by window (``path``: ``create_raster``'s
    layout and ``profile``), or, without a path, an array in memory (``pixels``). With ``cog`` (the
    overviews' resampling), the windows go to a scratch GeoTIFF beside ``path`` that ``close``
    translates into a Cloud-Optimised GeoTIFF at ``path`` (``abort`` drops it)."""

    def __init__(self, path: Path | None, cog: str | None = None, **profile: Any):
        self.path, self.cog = path, cog
        self.scratch = Path(path).with_name(Path(path).name + ".stream.tif") if path is not None and cog else None
        self.dataset = create_raster(self.scratch or path, **profile) if path is not None else None
        shape = (profile["count"], profile["height"], profile["width"])
        self.pixels = np.zeros(shape, np.dtype(profile["dtype"])) if path is None else None

    def write(self, data: np.ndarray, top: int, left: int) -> None:
        """(bands, h, w) at (top, left)."""
        if self.dataset is not None:
            write_window(self.dataset, data, top, left)
        else:
            self.pixels[:, top : top + data.shape[1], left : left + data.shape[2]] = data

    def close(self) -> None:
        if self.dataset is not None and not self.dataset.closed:
            self.dataset.close()
            if self.scratch is not None:
                to_cog(self.scratch, self.path, self.cog)
                self.scratch.unlink()

    def abort(self) -> None:
        """Close without finishing: nothing is translated, the scratch file goes."""
        if self.dataset is not None and not self.dataset.closed:
            self.dataset.close()
        if self.scratch is not None:
            self.scratch.unlink(missing_ok=True)


# -- an area of interest: --bbox (lon/lat) or --window (pixels), on any raster of the stack ---------
def parse_area(bbox: str, window: str) -> tuple[str, tuple[float, ...]] | None:
    """``--bbox west,south,east,north`` (degrees, WGS 84) or ``--window col,row,width,height``
    (pixels); None when neither is given. A malformed one is a ValueError naming the option."""
    if bbox and window:
        raise ValueError("--bbox and --window both given; choose one")
    for name, text, kind in (("--bbox", bbox, "bbox"), ("--window", window, "window")):
        if not text:
            continue
        try:
            values = tuple(float(v) for v in text.split(","))
        except ValueError:
            values = ()
        if len(values) != 4:
            raise ValueError(f"{name} takes four comma-separated numbers, got {text!r}")
        if kind == "bbox" and not (values[0] < values[2] and values[1] < values[3]):
            raise ValueError(f"{name} must be west,south,east,north with west < east and south < north")
        if kind == "window" and (min(values[:2]) < 0 or min(values[2:]) <= 0 or any(v != int(v) for v in values)):
            raise ValueError(f"{name} must be whole pixels: column, row >= 0 and width, height > 0")
        return kind, values
    return None


def area_window(raster, area: tuple[str, tuple[float, ...]], name: str, pixel: float | None = None):
    """The pixel window of ``raster`` that ``area`` covers, clipped to it; ``pixel``: the size a
    ``--window``'s pixels have (a product's finest band chosen), when not the raster's own."""
    from rasterio.warp import transform_bounds
    from rasterio.windows import Window as PixelWindow
    from rasterio.windows import from_bounds

    kind, values = area
    transform = raster.transform
    if kind == "bbox":
        if raster.crs is None:
            raise InputError(f"{name}: no CRS, so --bbox (degrees) cannot be placed; use --window")
        bounds = transform_bounds("EPSG:4326", raster.crs, *values, densify_pts=21)
    else:
        step = (pixel or abs(transform.a)) / abs(transform.a)  # raster pixels per --window pixel
        column, row, width, height = (v * step for v in values)
        bounds = (*(transform @ (column, row + height)), *(transform @ (column + width, row)))
    window = from_bounds(*bounds, transform=transform)
    top, left = max(0, int(np.floor(window.row_off + 1e-6))), max(0, int(np.floor(window.col_off + 1e-6)))
    bottom = min(raster.height, int(np.ceil(window.row_off + window.height - 1e-6)))
    right = min(raster.width, int(np.ceil(window.col_off + window.width - 1e-6)))
    if bottom <= top or right <= left:
        raise InputError(f"{name}: the {kind} {','.join(f'{v:g}' for v in values)} lies outside the raster")
    return PixelWindow(left, top, right - left, bottom - top)


class AreaRaster:
    """A window of another raster of the stack, read and georeferenced as a raster of its own."""

    def __init__(self, raster, window):
        from rasterio.windows import transform as window_transform

        self.inner, self.window = raster, window
        self.row, self.column = int(window.row_off), int(window.col_off)
        self.height, self.width, self.count = int(window.height), int(window.width), raster.count
        self.dtype, self.nodata, self.crs = raster.dtype, raster.nodata, raster.crs
        self.transform = window_transform(window, raster.transform) if raster.transform is not None else None
        self.profile = dict(raster.profile, height=self.height, width=self.width, transform=self.transform)

    def read(self, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        return self.inner.read(self.row + top, self.column + left, height, width)

    def close(self) -> None:
        self.inner.close()

"""Reading and writing images for super-resolution, keeping format, bit depth and georeference.

PNG and JPEG go through Pillow (JPEG input is written as PNG, to stay lossless). TIFF and GeoTIFF go
through rasterio with windowed reads and writes, so a raster of any size streams through in tiles:
the output keeps the data type, band count, CRS and nodata, and its transform is scaled to the new
pixel size. Intensities are normalised once per image and band: by the data type's range for 8-bit
data, by the band's minimum and maximum (over valid pixels, computed block by block) otherwise.
A band's nodata value or NaN is a hole in that band (``common/holes.py``): holes stay holes, s x s
output pixels each, and no valid output pixel is ever stored as the nodata value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..base import InputError
from ..common.holes import avoid_nodata
from ..common.rasters import ArrayRaster, FileRaster, OnRaster, RasterSink

PIL_SUFFIXES = {".png", ".jpg", ".jpeg"}
RASTER_SUFFIXES = {".tif", ".tiff"}
SUFFIXES = PIL_SUFFIXES | RASTER_SUFFIXES
PNG_COMPRESSION = 1  # zlib level: Pillow's 6 took 3.5 s to write a 4096^2 photo, level 1 0.8 s (+26% size)


def output_name(path: Path) -> str:
    """Same name as the input; JPEG becomes PNG so the result is lossless."""
    return path.with_suffix(".png").name if path.suffix.lower() in (".jpg", ".jpeg") else path.name


@dataclass
class Normaliser:
    """Per-band affine map between stored values and [0, 1]."""

    low: np.ndarray  # (bands,)
    high: np.ndarray
    dtype: np.dtype

    def to_unit(self, data: np.ndarray) -> np.ndarray:
        """(bands, H, W) stored values -> float32 in [0, 1]."""
        span = np.maximum(self.high - self.low, 1e-12)[:, None, None]
        return ((data.astype(np.float64) - self.low[:, None, None]) / span).astype(np.float32)

    def from_unit(self, data: np.ndarray, nodata: float | None = None) -> np.ndarray:
        """float [0, 1] -> stored dtype, clipped and rounded for integers; no value becomes ``nodata``."""
        span = (self.high - self.low)[:, None, None]
        values = np.clip(data, 0, 1).astype(np.float64) * span + self.low[:, None, None]
        if np.issubdtype(self.dtype, np.integer):
            info = np.iinfo(self.dtype)
            stored = np.clip(np.round(values), info.min, info.max).astype(self.dtype)
        else:
            stored = values.astype(self.dtype)
        return avoid_nodata(stored, values, nodata)


def dtype_normaliser(dtype: np.dtype, bands: int) -> Normaliser | None:
    if dtype == np.uint8:
        return Normaliser(np.zeros(bands), np.full(bands, 255.0), np.dtype(np.uint8))
    return None


@dataclass
class ImageSource(OnRaster):
    """An opened input: its raster (a file held open for the unit, or pixels in memory), how its
    values map to [0, 1], and for pictures Pillow's mode (they are written back as PNG)."""

    path: Path | None
    raster: FileRaster | ArrayRaster
    normaliser: Normaliser
    mode: str | None = None  # L, LA, RGB, RGBA, I;16 for Pillow pictures; None for rasters

    @property
    def dtype(self) -> np.dtype:
        return self.raster.dtype

    @property
    def nodata(self) -> float | None:
        return self.raster.nodata

    def read(self, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """A window as ([0, 1] float32 (bands, h, w), holes (bands, h, w)); a band's nodata value or
        NaN is a hole in that band, and holds 0 here (``fill_holes`` gives it a value)."""
        data, holes = self.raster.read(top, left, height, width)
        unit = self.normaliser.to_unit(np.where(holes, self.normaliser.low[:, None, None], data))
        return np.nan_to_num(unit), holes

    def read_all(self) -> tuple[np.ndarray, np.ndarray]:
        return self.read(0, 0, self.height, self.width)

    def __enter__(self) -> "ImageSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_image(path: Path) -> ImageSource:
    """Open an image for reading; raises InputError naming the file for anything unusable."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{path.name}: unsupported format {suffix or '(none)'} (use PNG, JPEG, TIFF or GeoTIFF)")
    try:
        return open_pillow(path) if suffix in PIL_SUFFIXES else open_geotiff(path)
    except InputError:
        raise
    except Exception as error:
        raise InputError(
            f"{path.name}: unreadable image ({str(error).splitlines()[0] if str(error) else type(error).__name__})"
        ) from error


def open_pillow(path: Path) -> ImageSource:
    with Image.open(path) as image:
        image.load()
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            array, mode = np.asarray(image).astype(np.uint16), "I;16"
        else:
            if image.mode not in ("L", "LA", "RGB", "RGBA"):
                alpha = "A" in image.getbands() or "transparency" in image.info
                image = image.convert("RGBA" if alpha else "RGB")
            array, mode = np.asarray(image), image.mode
    array = array[..., None] if array.ndim == 2 else array
    pixels = np.ascontiguousarray(array.transpose(2, 0, 1))
    normaliser = dtype_normaliser(pixels.dtype, pixels.shape[0]) or band_range(pixels, None)
    return ImageSource(path, ArrayRaster(pixels), normaliser, mode)


def array_image(
    pixels: np.ndarray, nodata: float | None = None, crs=None, transform=None, mode: str | None = None
) -> ImageSource:
    """An image already in memory, (bands, H, W), as a source (the Python API); ``mode`` as Pillow's
    for a picture, None for a raster (its CRS and transform kept)."""
    if not np.issubdtype(pixels.dtype, np.number) or np.issubdtype(pixels.dtype, np.complexfloating):
        raise InputError(f"superres: unsupported data type {pixels.dtype}")
    normaliser = dtype_normaliser(pixels.dtype, pixels.shape[0]) or band_range(pixels, nodata)
    if not np.isfinite(normaliser.low).all():
        raise InputError("superres: every pixel is nodata")
    return ImageSource(None, ArrayRaster(pixels, nodata, crs, transform), normaliser, mode)


def band_range(pixels: np.ndarray, nodata: float | None) -> Normaliser:
    """Min and max per band over valid pixels of an in-memory image."""
    data = pixels.astype(np.float64)
    if nodata is not None:
        data = np.where(data == nodata, np.nan, data)
    return Normaliser(np.nanmin(data, axis=(1, 2)), np.nanmax(data, axis=(1, 2)), pixels.dtype)


def open_geotiff(path: Path) -> ImageSource:
    """A GeoTIFF held open for the unit (``ImageSource.close``)."""
    raster = FileRaster(path)
    try:
        dtype = raster.dtype
        if not np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.complexfloating):
            raise InputError(f"{path.name}: unsupported data type {dtype}")
        normaliser = dtype_normaliser(dtype, raster.count) or streamed_range(raster.dataset)
    except Exception:
        raster.close()
        raise
    return ImageSource(path, raster, normaliser)


def product_image(product, bands) -> ImageSource:
    """Bands of one resolution of a satellite product (``common/products.py``), as reflectance."""
    from ..common.products import ProductRaster

    raster = ProductRaster(product, bands)
    try:
        low, high = np.full(raster.count, np.inf), np.full(raster.count, -np.inf)
        for top in range(0, raster.height, 512):  # the range over valid pixels, a strip at a time
            data, holes = raster.read(top, 0, min(512, raster.height - top), raster.width)
            valid = np.where(holes, np.nan, data)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-hole strips
                low, high = np.fmin(low, np.nanmin(valid, axis=(1, 2))), np.fmax(high, np.nanmax(valid, axis=(1, 2)))
        if not np.isfinite(low).all():
            raise InputError(f"{product.path.name}: every pixel of {', '.join(b.name for b in bands)} is no data")
    except Exception:
        raster.close()
        raise
    return ImageSource(None, raster, Normaliser(low, high, np.dtype(np.float32)))


def streamed_range(dataset) -> Normaliser:
    """Per-band min and max over valid pixels, read block by block (bounded memory)."""
    low = np.full(dataset.count, np.inf)
    high = np.full(dataset.count, -np.inf)
    nodata = dataset.nodata
    for _, window in dataset.block_windows(1):
        data = dataset.read(window=window).astype(np.float64)
        if nodata is not None:
            data = np.where(data == nodata, np.nan, data)
        data = np.where(np.isfinite(data), data, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks
            low = np.fmin(low, np.nanmin(data, axis=(1, 2)))
            high = np.fmax(high, np.nanmax(data, axis=(1, 2)))
    if not np.isfinite(low).all():
        raise InputError(f"{Path(dataset.name).name}: every pixel is nodata")
    return Normaliser(low, high, np.dtype(dataset.dtypes[0]))


class ImageSink:
    """Where upscaled windows go: the output GeoTIFF written by window, a picture kept in memory
    until it is saved as PNG, or (``path`` None) an array in memory, ``pixels``."""

    def __init__(self, source: ImageSource, path: Path | None, scale: int, png_compression: int = PNG_COMPRESSION):
        self.source, self.path, self.png_compression = source, path, png_compression
        shape = dict(count=source.bands, height=source.height * scale, width=source.width * scale)
        raster = source.raster
        scaled = raster.transform @ type(raster.transform).scale(1 / scale) if raster.transform is not None else None
        self.grid = {"crs": raster.crs, "transform": scaled, "width": shape["width"], "height": shape["height"]}
        if path is None or source.mode is not None:
            self.sink = RasterSink(None, dtype=source.dtype, **shape)
        else:
            profile = dict(raster.profile, **shape)
            if profile.get("transform") is not None and raster.crs is not None:
                profile["transform"] = profile["transform"] @ type(profile["transform"]).scale(1 / scale)
            else:
                profile.pop("transform", None)
            profile.pop("photometric", None) if source.bands not in (3, 4) else None
            for key in ("driver", "tiled", "blockxsize", "blockysize", "compress"):
                profile.pop(key, None)  # create_raster decides the layout
            self.sink = RasterSink(path, cog="average", **profile)  # QGIS opens large outputs fast as COGs

    @property
    def pixels(self) -> np.ndarray | None:
        return self.sink.pixels

    def write(self, unit: np.ndarray, holes: np.ndarray, top: int, left: int) -> None:
        """Write [0, 1] data (bands, h, w) at output pixel (top, left); holes (bands, h, w) get the
        nodata value (NaN for a float image without one), and no other pixel does."""
        nodata = self.source.nodata
        stored = self.source.normaliser.from_unit(unit, nodata)
        if holes.any():
            stored = np.where(holes, np.array(np.nan if nodata is None else nodata).astype(stored.dtype), stored)
        self.sink.write(stored, top, left)

    def close(self) -> None:
        self.sink.close()
        if self.path is not None and self.source.mode is not None:
            save_pillow(self.sink.pixels, self.path, self.source.mode, self.png_compression)

    def abort(self) -> None:
        self.sink.abort()


def to_uint8(image: np.ndarray) -> np.ndarray:
    """(H, W, C) in [0, 1] -> (C, H, W) uint8."""
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8).transpose(2, 0, 1)


def save_pillow(pixels: np.ndarray, path: Path, mode: str | None, compression: int = PNG_COMPRESSION) -> None:
    """(bands, H, W) -> PNG at zlib level ``compression``, keeping the mode (L, LA, RGB, RGBA) and
    16-bit depth."""
    array = pixels.transpose(1, 2, 0)
    if mode == "I;16" or array.dtype == np.uint16:
        Image.fromarray(array[..., 0].astype(np.uint16)).save(path, format="PNG", compress_level=compression)
        return
    array = array[..., 0] if array.shape[-1] == 1 else array
    Image.fromarray(array.astype(np.uint8)).save(path, format="PNG", compress_level=compression)

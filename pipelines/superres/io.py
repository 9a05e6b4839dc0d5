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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image

from ..base import InputError
from ..common.holes import avoid_nodata, hole_mask
from ..common.rasters import create_raster, open_raster, read_window, write_window

PIL_SUFFIXES = {".png", ".jpg", ".jpeg"}
RASTER_SUFFIXES = {".tif", ".tiff"}
SUFFIXES = PIL_SUFFIXES | RASTER_SUFFIXES


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
class ImageSource:
    """An opened input: its size, bands, dtype and how to read windows of it."""

    path: Path
    height: int
    width: int
    bands: int
    dtype: np.dtype
    normaliser: Normaliser
    nodata: float | None = None
    pixels: np.ndarray | None = None  # (bands, H, W) for Pillow images, None for streamed rasters
    profile: dict = field(default_factory=dict)
    mode: str | None = None

    def read(self, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """A window as ([0, 1] float32 (bands, h, w), holes (bands, h, w)); a band's nodata value or
        NaN is a hole in that band, and holds 0 here (``fill_holes`` gives it a value)."""
        if self.pixels is not None:
            data = self.pixels[:, top : top + height, left : left + width]
            holes = hole_mask(data, self.nodata)
        else:
            with open_raster(self.path) as dataset:
                data, holes = read_window(dataset, top, left, height, width)
        unit = self.normaliser.to_unit(np.where(holes, self.normaliser.low[:, None, None], data))
        return np.nan_to_num(unit), holes


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
    return ImageSource(
        path, pixels.shape[1], pixels.shape[2], pixels.shape[0], pixels.dtype, normaliser, pixels=pixels, mode=mode
    )


def band_range(pixels: np.ndarray, nodata: float | None) -> Normaliser:
    """Min and max per band over valid pixels of an in-memory image."""
    data = pixels.astype(np.float64)
    if nodata is not None:
        data = np.where(data == nodata, np.nan, data)
    return Normaliser(np.nanmin(data, axis=(1, 2)), np.nanmax(data, axis=(1, 2)), pixels.dtype)


def open_geotiff(path: Path) -> ImageSource:
    with open_raster(path) as dataset:
        dtype = np.dtype(dataset.dtypes[0])
        if not np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.complexfloating):
            raise InputError(f"{path.name}: unsupported data type {dtype}")
        normaliser = dtype_normaliser(dtype, dataset.count) or streamed_range(dataset)
        profile = dict(dataset.profile)
        return ImageSource(
            path, dataset.height, dataset.width, dataset.count, dtype, normaliser, dataset.nodata, profile=profile
        )


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
    """Where upscaled windows go: a Pillow image in memory, or a rasterio dataset written by window."""

    def __init__(self, source: ImageSource, path: Path, scale: int):
        self.source, self.path, self.scale = source, path, scale
        self.height, self.width = source.height * scale, source.width * scale
        self.dataset = None
        self.pixels = None
        if source.pixels is not None:
            self.pixels = np.zeros((source.bands, self.height, self.width), source.dtype)
        else:
            profile = dict(source.profile, height=self.height, width=self.width)
            if profile.get("transform") is not None and source.profile.get("crs") is not None:
                profile["transform"] = profile["transform"] @ rasterio.Affine.scale(1 / scale)
            else:
                profile.pop("transform", None)
            profile.pop("photometric", None) if source.bands not in (3, 4) else None
            for key in ("driver", "tiled", "blockxsize", "blockysize", "compress"):
                profile.pop(key, None)  # create_raster decides the layout
            self.dataset = create_raster(path, **profile)

    def write(self, unit: np.ndarray, holes: np.ndarray, top: int, left: int) -> None:
        """Write [0, 1] data (bands, h, w) at output pixel (top, left); holes (bands, h, w) get the
        nodata value (NaN for a float image without one), and no other pixel does."""
        nodata = self.source.nodata
        stored = self.source.normaliser.from_unit(unit, nodata)
        if holes.any():
            stored = np.where(holes, np.array(np.nan if nodata is None else nodata).astype(stored.dtype), stored)
        if self.pixels is not None:
            self.pixels[:, top : top + stored.shape[1], left : left + stored.shape[2]] = stored
        else:
            write_window(self.dataset, stored, top, left)

    def close(self) -> None:
        if self.dataset is not None:
            self.dataset.close()
        elif self.pixels is not None:
            save_pillow(self.pixels, self.path, self.source.mode)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """(H, W, C) in [0, 1] -> (C, H, W) uint8."""
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8).transpose(2, 0, 1)


def save_pillow(pixels: np.ndarray, path: Path, mode: str | None) -> None:
    """(bands, H, W) -> PNG, keeping the mode (L, LA, RGB, RGBA) and 16-bit depth."""
    array = pixels.transpose(1, 2, 0)
    if mode == "I;16" or array.dtype == np.uint16:
        Image.fromarray(array[..., 0].astype(np.uint16)).save(path, format="PNG")
        return
    array = array[..., 0] if array.shape[-1] == 1 else array
    Image.fromarray(array.astype(np.uint8)).save(path, format="PNG")

"""Satellite products as their providers deliver them: Sentinel-2 Level-2A (a ``.SAFE`` folder or
its ``.zip``) and Landsat 8/9 Collection 2 Level-2 (a folder or its ``.tar``).

One reader for every task: ``open_product`` parses the product's own metadata (``sentinel2.py``,
``landsat.py``) into a ``Product``: its bands with their file, native resolution, centre wavelength
and the scale and offset that turn stored counts into surface reflectance, its acquisition time
and its quality layer. ``ProductRaster`` reads a group of bands on one grid window by window as
float32 reflectance, so a whole tile never sits in memory. Archives are read in place through
GDAL's ``/vsizip/`` and ``/vsitar/``: nothing is extracted.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import numpy as np

from ..errors import InputError
from . import landsat, sentinel2
from .product_bands import Band, Product

MAX_ARCHIVE_BYTES = 8 * 2**30  # a real L2A tile unpacks to about 1.2 GB
MAX_COMPRESSION_RATIO = 200  # JPEG 2000 and deflated COGs barely compress further: more is a zip bomb


def is_product(path: Path) -> bool:
    """Whether ``path`` looks like a product (by name and, for folders, by their metadata file)."""
    name = path.name.upper()
    if name.endswith(".SAFE") and path.is_dir():
        return True
    if name.endswith(".ZIP") and "MSIL2A" in name or name.endswith(".SAFE.ZIP"):
        return path.is_file()
    if name.endswith(".TAR") and name.startswith(("LC08", "LC09", "LE07", "LT05", "LT04", "LO08", "LO09")):
        return path.is_file()
    return path.is_dir() and any(any(path.glob(f"*_MTL.{kind}")) for kind in ("json", "xml", "txt"))


def find_products(folder: Path) -> list[Path]:
    """``folder`` itself when it is a product, else the products directly inside it."""
    if is_product(folder):
        return [folder]
    if not folder.is_dir():
        return []
    return [path for path in sorted(folder.iterdir()) if is_product(path)]


def open_product(path: Path) -> Product:
    """The product at ``path``; a product that cannot be used is an ``InputError`` naming it."""
    path = Path(path)
    name = path.name.upper()
    try:
        if name.endswith(".ZIP"):
            check_archive(path)
            return sentinel2.read_zip(path)
        if name.endswith(".SAFE"):
            return sentinel2.read_folder(path)
        if name.endswith(".TAR"):
            check_archive(path)
            return landsat.read_tar(path)
        return landsat.read_folder(path)
    except InputError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, tarfile.TarError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"{path.name}: unreadable product ({reason})") from error


def check_archive(path: Path) -> None:
    """Refuse a corrupt archive, or one that would unpack to more than ``MAX_ARCHIVE_BYTES`` or
    compresses suspiciously well (a zip bomb), before anything is read from it."""
    if path.name.upper().endswith(".ZIP"):
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.infolist()
        except zipfile.BadZipFile as error:
            raise InputError(f"{path.name}: not a readable zip archive ({error})") from error
        unpacked = sum(m.file_size for m in members)
        packed = sum(m.compress_size for m in members)
    else:
        try:
            with tarfile.open(path) as archive:
                members = archive.getmembers()
        except tarfile.TarError as error:
            raise InputError(f"{path.name}: not a readable tar archive ({error})") from error
        unpacked, packed = sum(m.size for m in members), path.stat().st_size
    if unpacked > MAX_ARCHIVE_BYTES or unpacked > MAX_COMPRESSION_RATIO * max(packed, 1):
        raise InputError(
            f"{path.name}: refused: it would unpack to {unpacked / 2**20:.0f} MB from {packed / 2**20:.1f} MB"
        )


class ProductRaster:
    """Bands of one resolution read together, window by window, as float32 reflectance; a pixel
    whose stored value is the band's nodata is a hole in that band. Every band must share the first
    one's grid (CRS, transform, size), or the product is refused naming the band."""

    def __init__(self, product: Product, bands: list[Band]):
        from .rasters import FileRaster

        self.product, self.bands = product, bands
        self.rasters = []
        try:
            for band in bands:
                self.rasters.append(FileRaster(band.path))
            first = self.rasters[0]
            for band, raster in zip(bands, self.rasters):
                grid = (raster.crs, raster.transform, raster.width, raster.height)
                if grid != (first.crs, first.transform, first.width, first.height):
                    raise InputError(
                        f"{product.path.name}: band {band.name} is on another grid than {bands[0].name} "
                        f"({raster.crs}, {raster.width}x{raster.height})"
                    )
        except Exception:
            self.close()
            raise
        self.height, self.width, self.count = first.height, first.width, len(bands)
        self.crs, self.transform = first.crs, first.transform
        self.dtype = np.dtype(np.float32)
        self.nodata = None  # holes are NaN in what this gives
        self.profile = {"crs": self.crs, "transform": self.transform, "dtype": "float32", "count": self.count}
        self.profile["nodata"] = float("nan")  # tagged in the output: its holes are NaN
        self.profile |= {"height": self.height, "width": self.width}

    def read(self, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(bands, h, w) reflectance (NaN in holes) and holes."""
        data = np.empty((self.count, height, width), np.float32)
        holes = np.empty((self.count, height, width), bool)
        for index, (band, raster) in enumerate(zip(self.bands, self.rasters)):
            stored, _ = raster.read(top, left, height, width)
            data[index], holes[index] = band.reflectance(stored[0])
        return data, holes

    def close(self) -> None:
        for raster in self.rasters:
            raster.close()

"""A product's bands on one grid, read window by window: what a per-pixel model reads.

Every band is brought to the grid of the product's bands at one resolution (Sentinel-2: 10 m by
default, Landsat: 30 m; ``resolution`` to choose another the product has): bilinear where a band is
coarser, averaged where finer, both over the source pixels that have data (a stored no-data value
never blends into its neighbours), and a grid pixel whose nearest source pixel has none is a hole.
The resampling is done here on each window's own source pixels, not by GDAL, which cannot know
the products' no-data (their JPEG 2000 files declare none). The quality layer (Sentinel-2's ``SCL``, Landsat's
``QA_PIXEL``) gives the pixels that are holes in every band, by nearest neighbour:

- ``nodata``: SCL 0 (no data) and 1 (saturated or defective); QA_PIXEL bit 0 (fill).
- ``clouds`` (the default): those, and SCL 3 (cloud shadow), 8 and 9 (cloud, medium and high
  probability), 10 (thin cirrus); QA_PIXEL bits 1 (dilated cloud), 2 (cirrus), 3 (cloud), 4 (shadow).
- ``none``: only each band's own no-data.

Only the bands asked for are opened; a window of the grid is read from each band's file at its own
resolution, so a whole tile is never in memory.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from rasterio.windows import Window

from ..errors import InputError
from .product_bands import Band, Product
from .rasters import FileRaster

# Decoded JPEG 2000 blocks stay in GDAL's block cache from one strip to the next (without it a
# tile's strip reads 2x slower); 384 MB holds a block row of a tile's 12 bands. GDAL's default,
# 5% of RAM, let a 10980 x 10980 tile's run grow to 2.5 GB (1.2 GB of cache on 24 GB). Read by GDAL
# when its cache is first used, so set on import; a user's own GDAL_CACHEMAX is kept.
os.environ.setdefault("GDAL_CACHEMAX", "384")

DEFAULT_GRID = {"sentinel2": 10.0, "landsat": 30.0}
MASKS = ("none", "nodata", "clouds")
SCL_HOLES = {"nodata": (0, 1), "clouds": (0, 1, 3, 8, 9, 10)}
QA_BITS = {"nodata": 1 << 0, "clouds": (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4)}


class ProductGrid:
    """``bands`` of ``product`` on one grid (``resolution`` metres), holes by ``mask``.

    ``read(top, left, height, width)`` gives (bands, h, w) float32 reflectance, NaN in holes, and the
    (h, w) pixels the quality layer masks; ``crs``, ``transform``, ``height``, ``width`` are the grid's.
    """

    def __init__(self, product: Product, bands: list[Band], resolution: float = 0, mask: str = "clouds"):
        if mask not in MASKS:
            raise ValueError(f"--mask must be one of {', '.join(MASKS)}, got {mask!r}")
        self.product, self.bands, self.mask = product, bands, mask
        self.resolution = float(resolution or DEFAULT_GRID[product.sensor])
        on_grid = [b for b in product.bands if b.resolution == self.resolution]
        if not on_grid:
            have = ", ".join(f"{r:g} m" for r in sorted({b.resolution for b in product.bands}))
            raise InputError(f"{product.path.name}: no bands at {self.resolution:g} m to make the grid (it has {have})")
        self.rasters: list[FileRaster] = []
        try:
            reference = FileRaster(on_grid[0].path)
            self.rasters.append(reference)
            self.crs, self.transform = reference.crs, reference.transform
            self.height, self.width, self.count = reference.height, reference.width, len(bands)
            self.files = [FileRaster(band.path) for band in bands]
            self.rasters += self.files
            for band, raster in zip(bands, self.files):
                if raster.crs != self.crs:
                    raise InputError(
                        f"{product.path.name}: band {band.name} is in {raster.crs}, the grid in {self.crs}"
                    )
            self.quality = FileRaster(product.quality) if product.quality and mask != "none" else None
            if self.quality is not None:
                self.rasters.append(self.quality)
        except Exception:
            self.close()
            raise
        self.dtype, self.nodata = np.dtype(np.float32), None
        self.profile = {"crs": self.crs, "transform": self.transform, "height": self.height, "width": self.width}

    def source_position(self, raster: FileRaster, top: int, left: int) -> tuple[float, float, float]:
        """Where the grid's pixel (top, left) starts in ``raster``'s pixels, and ``raster``'s pixels per grid pixel."""
        factor = self.resolution / abs(raster.transform.a)
        column = (self.transform.c - raster.transform.c) / raster.transform.a + left * factor
        row = (self.transform.f - raster.transform.f) / raster.transform.e + top * factor
        return row, column, factor

    def native(self, raster: FileRaster, band: Band | None, rows: tuple[int, int], columns: tuple[int, int]):
        """The band's own pixels in [rows) x [columns) (outside the file: no data), as reflectance
        with NaN where no data (``band`` None: the raw values, a quality layer's flags)."""
        stored = np.zeros((rows[1] - rows[0], columns[1] - columns[0]), raster.dtype)  # outside: stored no data
        top, bottom = max(rows[0], 0), min(rows[1], raster.height)
        left, right = max(columns[0], 0), min(columns[1], raster.width)
        if (
            bottom > top and right > left
        ):  # the open dataset itself, not a boundless VRT: its decoded blocks stay cached
            window = Window(left, top, right - left, bottom - top)
            stored[top - rows[0] : bottom - rows[0], left - columns[0] : right - columns[0]] = raster.dataset.read(
                1, window=window
            )
        if band is None:
            return stored
        return band.reflectance(stored)[0]

    def band_window(self, band: Band, raster: FileRaster, top: int, left: int, height: int, width: int) -> np.ndarray:
        """(h, w) reflectance of ``band`` on the grid's window: its own pixels where the resolution is
        the grid's, their mean where finer, bilinear where coarser, over the pixels that have data."""
        row, column, factor = self.source_position(raster, top, left)
        if factor >= 1:  # the same resolution or finer: whole source pixels per grid pixel
            step = int(round(factor))
            r0, c0 = int(round(row)), int(round(column))
            values = self.native(raster, band, (r0, r0 + height * step), (c0, c0 + width * step))
            if step == 1:
                return values
            blocks = values.reshape(height, step, width, step)
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a block without data is NaN
                return np.nanmean(blocks, axis=(1, 3))
        # coarser: each grid pixel's centre between the four nearest source centres
        ys = row + (np.arange(height) + 0.5) * factor - 0.5
        xs = column + (np.arange(width) + 0.5) * factor - 0.5
        r0, c0 = int(np.floor(ys[0])), int(np.floor(xs[0]))
        values = self.native(raster, band, (r0, int(np.floor(ys[-1])) + 2), (c0, int(np.floor(xs[-1])) + 2))
        iy, ix = np.floor(ys).astype(int) - r0, np.floor(xs).astype(int) - c0
        wy, wx = (ys - np.floor(ys))[:, None], (xs - np.floor(xs))[None]
        total, weight = np.zeros((height, width)), np.zeros((height, width))
        for dy, fy in ((0, 1 - wy), (1, wy)):
            for dx, fx in ((0, 1 - wx), (1, wx)):
                corner = values[(iy + dy)[:, None], (ix + dx)[None]]
                known = ~np.isnan(corner)
                total += np.where(known, corner, 0) * fy * fx
                weight += known * fy * fx
        nearest = values[np.round(ys).astype(int)[:, None] - r0, np.round(xs).astype(int)[None] - c0]
        return np.where(np.isnan(nearest) | (weight == 0), np.nan, total / np.maximum(weight, 1e-12))

    def read(self, top: int, left: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        data = np.empty((self.count, height, width), np.float32)
        for index, (band, raster) in enumerate(zip(self.bands, self.files)):
            data[index] = self.band_window(band, raster, top, left, height, width)
        return data, self.masked(top, left, height, width)

    def masked(self, top: int, left: int, height: int, width: int) -> np.ndarray:
        """(h, w) True where the quality layer says the pixel is a hole under ``mask``."""
        if self.quality is None:
            return np.zeros((height, width), bool)
        row, column, factor = self.source_position(self.quality, top, left)
        rows = np.floor(row + (np.arange(height) + 0.5) * factor).astype(int)
        columns = np.floor(column + (np.arange(width) + 0.5) * factor).astype(int)
        native = self.native(self.quality, None, (rows[0], rows[-1] + 1), (columns[0], columns[-1] + 1))
        flags = native[(rows - rows[0])[:, None], (columns - columns[0])[None]]
        if self.product.sensor == "sentinel2":
            return np.isin(flags, SCL_HOLES[self.mask])
        return (flags.astype(np.uint32) & QA_BITS[self.mask]) != 0

    def close(self) -> None:
        for raster in self.rasters:
            raster.close()

"""What a satellite product is, once read: its bands and identity (``products.py`` reads them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class Band:
    """One spectral band of a product.

    Attributes:
        name: the provider's name (``B02``, ``B8A``, ``SR_B4``).
        path: what GDAL opens (a file, or a ``/vsizip/`` or ``/vsitar/`` path inside an archive).
        resolution: metres per pixel of the file.
        wavelength: centre wavelength, nm.
        scale, offset: reflectance = stored value * scale + offset (from the product's metadata).
        nodata: the stored value of pixels without data.
    """

    name: str
    path: str
    resolution: float
    wavelength: float
    scale: float
    offset: float
    nodata: float | None = 0

    def reflectance(self, stored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stored values -> (reflectance as float64, NaN where no data; the no-data mask)."""
        holes = stored == self.nodata if self.nodata is not None else np.zeros(stored.shape, bool)
        return np.where(holes, np.nan, stored.astype(np.float64) * self.scale + self.offset), holes


@dataclass
class Product:
    """A product's identity, bands and quality layer (see the module docstring)."""

    id: str
    sensor: str  # "sentinel2" or "landsat"
    platform: str  # "sentinel-2b", "landsat-9"
    path: Path
    datetime: datetime | None
    bands: list[Band]
    quality: str | None = None  # Sentinel-2's SCL, Landsat's QA_PIXEL (a GDAL path)
    notes: dict[str, Any] = field(default_factory=dict)  # processing baseline, collection ...

    def band(self, name: str) -> Band:
        for band in self.bands:
            if band.name.lower() == name.lower():
                return band
        names = ", ".join(b.name for b in self.bands)
        raise InputError(f"{self.path.name}: no band {name!r} (it has {names})")

    def groups(self, names: list[str]) -> dict[float, list[Band]]:
        """The bands ``names`` by native resolution, finest first, in the order given."""
        chosen = [self.band(name) for name in names]
        return {r: [b for b in chosen if b.resolution == r] for r in sorted({b.resolution for b in chosen})}

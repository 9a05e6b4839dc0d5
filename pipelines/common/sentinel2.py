"""Sentinel-2 Level-2A products (``.SAFE`` folders and their ``.zip``), read from ``MTD_MSIL2A.xml``.

Reflectance = (stored value + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE, both read from the
product: processing baselines before 04.00 have no offset (0), baselines 04.00 on have one per band
(-1000 since January 2022). Band files are the ``IMAGE_FILE`` entries of the granule (``.jp2``
added), each band at its native resolution (``RESOLUTION`` of its ``Spectral_Information``); the
scene classification ``SCL`` at 20 m is the quality layer. Stored 0 is no data. Centre wavelengths
come from the document's ``Spectral_Information_List``, or, where a document has none (some before
04.00), from the MSI's published table (``MSI_BANDS``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
import zipfile
from datetime import datetime
from pathlib import Path

from ..errors import InputError
from .product_bands import Band, Product

METADATA = "MTD_MSIL2A.xml"
FILE_BAND = re.compile(r"_(B\d[\dA])_(\d+)m$")  # ..._B8A_20m
FILE_SCL = re.compile(r"_SCL_20m$")
SCL_CLASSES = {0: "no data", 1: "saturated or defective", 3: "cloud shadow", 8: "cloud, medium", 9: "cloud, high"}
SCL_CLASSES |= {10: "thin cirrus"}
# MSI bands when a document has no Spectral_Information_List (baselines before 04.00 may lack it):
# name: (bandId, resolution m, centre nm, Sentinel-2A's, as ESA's spectral response functions give them)
MSI_BANDS = {
    "B01": ("0", 60, 442.7), "B02": ("1", 10, 492.7), "B03": ("2", 10, 559.8), "B04": ("3", 10, 664.6),
    "B05": ("4", 20, 704.1), "B06": ("5", 20, 740.5), "B07": ("6", 20, 782.8), "B08": ("7", 10, 832.8),
    "B8A": ("8", 20, 864.7), "B09": ("9", 60, 945.1), "B10": ("10", 60, 1373.5), "B11": ("11", 20, 1613.7),
    "B12": ("12", 20, 2202.4),
}  # fmt: skip


def file_band_name(physical: str) -> str:
    """``B2`` (the metadata's physicalBand) -> ``B02`` (file names and what users type); ``B8A`` stays."""
    return f"B{int(physical[1:]):02d}" if physical[1:].isdigit() else physical


def read_folder(path: Path) -> Product:
    metadata = path / METADATA
    if not metadata.is_file():
        raise InputError(f"{path.name}: no {METADATA} (not a Sentinel-2 Level-2A product?)")
    return parse(metadata.read_bytes(), path, lambda relative: str(path / relative), lambda p: (path / p).is_file())


def read_zip(path: Path) -> Product:
    """A ``.SAFE.zip``: metadata and band files read inside the archive (``/vsizip/``), never extracted."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        candidates = [n for n in names if n.endswith("/" + METADATA) and n.count("/") == 1]
        if not candidates:
            raise InputError(f"{path.name}: no <name>.SAFE/{METADATA} inside (not a Sentinel-2 Level-2A zip?)")
        root = candidates[0].split("/")[0]
        document = archive.read(candidates[0])
    return parse(
        document, path, lambda relative: f"/vsizip/{path.resolve()}/{root}/{relative}", lambda p: f"{root}/{p}" in names
    )


def text(root: ElementTree.Element, tag: str) -> str | None:
    found = next((e for e in root.iter() if local(e.tag) == tag), None)
    return None if found is None or found.text is None else found.text.strip()


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def parse(document: bytes, path: Path, locate, exists) -> Product:
    """The product of an ``MTD_MSIL2A.xml`` (``locate``: a relative file to a GDAL path; ``exists``:
    whether the product holds it)."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as error:
        raise InputError(f"{path.name}: {METADATA} is not readable XML ({error})") from error
    level = text(root, "PROCESSING_LEVEL") or text(root, "PRODUCT_TYPE") or ""
    if "2A" not in level.upper():
        raise InputError(f"{path.name}: {level or 'an unknown level'}; only Level-2A (surface reflectance) is read")
    quantification = text(root, "BOA_QUANTIFICATION_VALUE")
    if quantification is None:
        raise InputError(f"{path.name}: {METADATA} has no BOA_QUANTIFICATION_VALUE")
    offsets = {e.get("band_id"): float(e.text) for e in root.iter() if local(e.tag) == "BOA_ADD_OFFSET"}
    spectral = {}
    for info in (e for e in root.iter() if local(e.tag) == "Spectral_Information"):
        central = next((e for e in info.iter() if local(e.tag) == "CENTRAL"), None)
        resolution = next((e for e in info.iter() if local(e.tag) == "RESOLUTION"), None)
        if central is not None and resolution is not None:
            name = file_band_name(info.get("physicalBand"))
            spectral[name] = (info.get("bandId"), float(central.text), float(resolution.text))
    if not spectral:  # the sensor's own table: the document says nothing of its bands
        spectral = {
            name: (band_id, centre, float(resolution)) for name, (band_id, resolution, centre) in MSI_BANDS.items()
        }
    files = [e.text.strip() for e in root.iter() if local(e.tag) == "IMAGE_FILE" and e.text]
    bands, quality = [], None
    for relative in files:
        match = FILE_BAND.search(relative)
        if FILE_SCL.search(relative):
            quality = relative
        if match is None or match[1] not in spectral:
            continue
        name, resolution = match[1], float(match[2])
        band_id, centre, native = spectral[name]
        if resolution != native:
            continue  # the 20 m and 60 m resampled copies of finer bands: each band at its own resolution
        if not exists(relative + ".jp2"):
            raise InputError(f"{path.name}: band {name} is listed but its file {Path(relative).name}.jp2 is missing")
        scale = 1 / float(quantification)
        bands.append(
            Band(name, locate(relative + ".jp2"), resolution, centre, scale, offsets.get(band_id, 0.0) * scale)
        )
    if not bands:
        raise InputError(f"{path.name}: {METADATA} lists no band files")
    if quality is not None and not exists(quality + ".jp2"):
        quality = None
    baseline = text(root, "PROCESSING_BASELINE") or "unknown"
    start = text(root, "PRODUCT_START_TIME")
    platform = (text(root, "SPACECRAFT_NAME") or "Sentinel-2").lower()
    uri = text(root, "PRODUCT_URI") or path.name
    product_id = uri.removesuffix(".zip").removesuffix(".SAFE")
    when = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
    notes = {"processing_baseline": baseline, "boa_offset": bool(offsets)}
    return Product(
        product_id,
        "sentinel2",
        platform,
        path,
        when,
        sorted(bands, key=order),
        quality and locate(quality + ".jp2"),
        notes,
    )


def order(band: Band) -> tuple[float, float]:
    return band.wavelength, band.resolution

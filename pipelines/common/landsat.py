"""Landsat 8 and 9 (OLI) Collection 2 Level-2 products: a folder of COGs with ``*_MTL.json`` (or
its ``*_MTL.xml`` and ``*_MTL.txt`` forms), or its ``.tar``, read through GDAL's ``/vsitar/`` without extracting.

Reflectance = stored value * REFLECTANCE_MULT_BAND_n + REFLECTANCE_ADD_BAND_n, both from the MTL
(2.75e-05 and -0.2 in Collection 2). The surface-reflectance bands are SR_B1..SR_B7; stored 0 is
fill; ``QA_PIXEL`` is the quality layer. OLI centre wavelengths are the sensor's (the MTL carries
none). Landsat 4-7 (TM, ETM+) are refused: their bands and quality bits differ.
"""

from __future__ import annotations

import json
import re
import tarfile
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from .product_bands import Band, Product

OLI_CENTRES_NM = {1: 443.0, 2: 482.0, 3: 561.5, 4: 654.5, 5: 865.0, 6: 1608.5, 7: 2200.5}
MISSIONS = {"LANDSAT_8": "landsat-8", "LANDSAT_9": "landsat-9"}
MTL_SUFFIXES = ("_MTL.json", "_MTL.xml", "_MTL.txt")  # preferred first


def read_folder(path: Path) -> Product:
    documents = [d for suffix in MTL_SUFFIXES for d in sorted(path.glob(f"*{suffix}"))]
    if not documents:
        raise InputError(f"{path.name}: no *_MTL.json, *_MTL.xml or *_MTL.txt (not a Landsat Collection 2 product?)")
    metadata = parse_mtl(documents[0].read_text(errors="replace"), documents[0].name, path)
    return product(metadata, path, lambda name: str(path / name), lambda name: (path / name).is_file())


def read_tar(path: Path) -> Product:
    with tarfile.open(path) as archive:
        members = {Path(m.name).name: m.name for m in archive.getmembers() if m.isfile()}
        mtl = next((n for suffix in MTL_SUFFIXES for n in members if n.endswith(suffix)), None)
        if mtl is None:
            raise InputError(
                f"{path.name}: no *_MTL.json, *_MTL.xml or *_MTL.txt inside (not a Landsat Collection 2 tar?)"
            )
        document = archive.extractfile(members[mtl]).read().decode(errors="replace")
    metadata = parse_mtl(document, mtl, path)
    return product(
        metadata, path, lambda name: f"/vsitar/{path.resolve()}/{members[name]}", lambda name: name in members
    )


def parse_mtl(document: str, name: str, path: Path) -> dict[str, Any]:
    """The MTL as nested dicts (JSON as is; the ODL text form's GROUP blocks become dicts)."""
    try:
        if name.endswith(".json"):
            return json.loads(document)["LANDSAT_METADATA_FILE"]
        if name.endswith(".xml"):
            return parse_xml(ElementTree.fromstring(document))
        return parse_odl(document)["LANDSAT_METADATA_FILE"]
    except (ValueError, KeyError, ElementTree.ParseError) as error:
        raise InputError(f"{path.name}: {name} is not a readable Landsat MTL ({error})") from error


def parse_xml(element: ElementTree.Element) -> Any:
    """The XML form (the root is LANDSAT_METADATA_FILE): elements with children become dicts."""
    if len(element) == 0:
        return (element.text or "").strip()
    return {child.tag: parse_xml(child) for child in element}


def parse_odl(document: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    stack = [root]
    for line in document.splitlines():
        key, _, value = (part.strip() for part in line.partition("="))
        if key == "GROUP":
            stack[-1][value] = {}
            stack.append(stack[-1][value])
        elif key == "END_GROUP" and len(stack) > 1:
            stack.pop()
        elif value:
            stack[-1][key] = value.strip('"')
    return root


def product(metadata: dict[str, Any], path: Path, locate, exists) -> Product:
    attributes = metadata.get("IMAGE_ATTRIBUTES", {})
    spacecraft = attributes.get("SPACECRAFT_ID", "unknown")
    if spacecraft not in MISSIONS:
        mission = spacecraft.replace("_", " ").title()
        raise InputError(f"{path.name}: {mission} is not supported; Landsat 8 and 9 (OLI) products only")
    contents = metadata.get("PRODUCT_CONTENTS", {})
    if "L2" not in contents.get("PROCESSING_LEVEL", "L2"):
        raise InputError(f"{path.name}: {contents['PROCESSING_LEVEL']}; only Level-2 (surface reflectance) is read")
    factors = metadata.get("LEVEL2_SURFACE_REFLECTANCE_PARAMETERS")
    if not factors:
        raise InputError(f"{path.name}: the MTL has no LEVEL2_SURFACE_REFLECTANCE_PARAMETERS")
    bands = []
    for number, centre in OLI_CENTRES_NM.items():
        file = contents.get(f"FILE_NAME_BAND_{number}")
        if file is None or not re.search(r"_SR_B\d", file):
            raise InputError(f"{path.name}: the MTL names no SR_B{number} file")
        if not exists(file):
            raise InputError(f"{path.name}: band SR_B{number} file {file} is missing")
        scale, offset = (
            float(factors[f"REFLECTANCE_MULT_BAND_{number}"]),
            float(factors[f"REFLECTANCE_ADD_BAND_{number}"]),
        )
        bands.append(Band(f"SR_B{number}", locate(file), 30.0, centre, scale, offset, 0))
    quality = contents.get("FILE_NAME_QUALITY_L1_PIXEL")
    date, time = attributes.get("DATE_ACQUIRED"), attributes.get("SCENE_CENTER_TIME", "00:00:00Z")
    when = datetime.fromisoformat(f"{date}T{time[:15].rstrip('Z')}+00:00") if date else None
    product_id = contents.get("LANDSAT_PRODUCT_ID") or path.name.split(".")[0]
    notes = {
        "collection": contents.get("COLLECTION_NUMBER", "02"),
        "processing_level": contents.get("PROCESSING_LEVEL"),
    }
    return Product(
        product_id,
        "landsat",
        MISSIONS[spacecraft],
        path,
        when,
        bands,
        quality and exists(quality) and locate(quality) or None,
        notes,
    )

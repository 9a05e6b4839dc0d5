"""A STAC Item beside each georeferenced output, so catalogues and QGIS's STAC browser index it.

The Item (pystac, STAC 1.x with the projection extension's fields): geometry and bbox in lon/lat
from the output's grid, ``proj:code``/``proj:shape``/``proj:transform``/``proj:bbox`` in its own
CRS, the acquisition time of the source product (a plain GeoTIFF's TIFFTAG_DATETIME; else no
datetime, and a start and end from the input file's modification time, said so in
``hybridvision:datetime_source``), the source's id, the checkpoint's name and SHA-256, and the
output as an asset with its role.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PROJECTION = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"


def raster_time(path: Path) -> datetime | None:
    """A GeoTIFF's TIFFTAG_DATETIME (``YYYY:MM:DD HH:MM:SS``, taken as UTC), or None."""
    from .rasters import open_raster

    try:
        with open_raster(path) as dataset:
            stamp = dataset.tags().get("TIFFTAG_DATETIME")
        return datetime.strptime(stamp.strip(), "%Y:%m:%d %H:%M:%S").replace(tzinfo=timezone.utc) if stamp else None
    except Exception:  # no tag, another format: the Item says the time is unknown
        return None


def footprint(crs, transform, width: int, height: int) -> tuple[dict, list[float]]:
    """The grid's outline as a lon/lat GeoJSON polygon and its bbox."""
    from rasterio.warp import transform_geom

    corners = [transform @ xy for xy in ((0, 0), (width, 0), (width, height), (0, height), (0, 0))]
    polygon = {"type": "Polygon", "coordinates": [[list(c) for c in corners]]}
    if crs is not None:
        polygon = transform_geom(crs, "EPSG:4326", polygon)
    xs, ys = zip(*polygon["coordinates"][0])
    return polygon, [min(xs), min(ys), max(xs), max(ys)]


def write_item(
    path: Path,
    asset: str,
    grid: dict[str, Any],
    source: dict[str, Any],
    checkpoint: dict[str, str] | None,
    roles: tuple[str, ...] = ("data",),
    title: str = "",
) -> None:
    """Write the Item of the output ``asset`` (its final file name, a sibling of the Item) to ``path``.

    Args:
        grid: ``crs``, ``transform``, ``width``, ``height`` of the output.
        source: ``id`` of the input (a product id or file name), and ``datetime`` (aware) or ``file``
            (the input's path, for its modification time when no acquisition time is known).
    """
    import pystac

    crs, transform, width, height = grid["crs"], grid["transform"], grid["width"], grid["height"]
    geometry, bbox = footprint(crs, transform, width, height) if crs is not None else (None, None)  # no place
    when = source.get("datetime")
    properties: dict[str, Any] = {
        "hybridvision:source": source["id"],
        "proj:shape": [height, width],
        "proj:transform": list(transform)[:6] if transform is not None else None,
        "proj:bbox": footprint(None, transform, width, height)[1] if transform is not None else None,
        "proj:code": f"EPSG:{crs.to_epsg()}" if crs is not None and crs.to_epsg() else None,
    }
    if checkpoint:
        properties |= {
            "hybridvision:checkpoint": checkpoint.get("name"),
            "hybridvision:checkpoint_sha256": checkpoint.get("sha256"),
        }
    if when is None:
        modified = (
            datetime.fromtimestamp(Path(source["file"]).stat().st_mtime, timezone.utc) if source.get("file") else None
        )
        stamp = (modified or datetime.now(timezone.utc)).isoformat()
        properties |= {"start_datetime": stamp, "end_datetime": stamp}
        properties["hybridvision:datetime_source"] = "unknown acquisition time: start and end are the input file's time"
    item = pystac.Item(
        id=Path(asset).stem, geometry=geometry, bbox=bbox, datetime=when, properties=properties,
        stac_extensions=[PROJECTION],
    )  # fmt: skip
    item.add_asset(
        "data", pystac.Asset(href=f"./{asset}", media_type=pystac.MediaType.COG, roles=list(roles), title=title or None)
    )
    Path(path).write_text(json.dumps(item.to_dict(include_self_link=False), indent=2) + "\n")

"""Labelled polygons as a class map (``train spectral --data DIR``): a GeoPackage, GeoJSON or
shapefile, as a layer digitised in QGIS comes out, read with pyogrio and burnt onto the input's
grid (rasterio's ``rasterize``: a pixel whose centre a polygon covers takes its class; later
features win where polygons overlap; 0 = unlabelled). Geometries in another CRS are reprojected
to the grid's first. The class of a feature is its ``class`` field: a model class name (any case)
or its number, 1..K in the model's order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..base import InputError

POLYGON_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
CLASS_FIELD = "class"


def class_values(values, classes: tuple[str, ...], name: str) -> np.ndarray:
    """Each feature's ``class`` field (a name or 1..K) as its class number."""
    lookup = {c.lower(): i + 1 for i, c in enumerate(classes)}
    numbers, unknown = [], set()
    for value in values:
        text = str(value).strip()
        number = int(text) if text.isdigit() else lookup.get(text.lower())
        if number is None or not 1 <= number <= len(classes):
            unknown.add(text)
            continue
        numbers.append(number)
    if unknown:
        raise InputError(f"{name}: class {', '.join(sorted(unknown))} is not one of the model's ({', '.join(classes)})")
    return np.array(numbers, np.uint8)


def polygon_labels(path: Path, height: int, width: int, crs, transform, classes: tuple[str, ...]) -> np.ndarray:
    """(height, width) int64 class map of the polygons in ``path`` on the grid (``crs``, ``transform``)."""
    import pyogrio
    import shapely
    from rasterio.features import rasterize
    from rasterio.warp import transform_geom

    try:
        meta, _, geometry, fields = pyogrio.raw.read(str(path))
    except Exception as error:  # pyogrio raises its own and GDAL's errors for unreadable files
        raise InputError(f"{path.name}: unreadable vector file ({str(error).splitlines()[0]})") from error
    names = [str(f) for f in meta["fields"]]
    if CLASS_FIELD not in names:
        raise InputError(f"{path.name}: no {CLASS_FIELD!r} field (it has {', '.join(names) or 'none'})")
    if crs is None or transform is None:
        raise InputError(f"{path.name}: polygons need a georeferenced input to be burnt onto")
    numbers = class_values(fields[names.index(CLASS_FIELD)], classes, path.name)
    shapes = [shapely.geometry.mapping(g) for g in shapely.from_wkb(geometry)]
    source = meta.get("crs")
    if source and source != crs.to_string():
        shapes = [transform_geom(source, crs, shape) for shape in shapes]
    labels = rasterize(zip(shapes, numbers), out_shape=(height, width), transform=transform, fill=0, dtype="uint8")
    return labels.astype(np.int64)

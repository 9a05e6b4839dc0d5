"""Labelled polygons burnt onto a scene's grid: the pixels whose centres they cover, in the layer's
own CRS or another; class names or numbers; bad layers one line each."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.transform import from_origin

from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.spectral.polygon_labels import polygon_labels

CLASSES = ("water", "tree cover", "grassland")
GRID = dict(height=20, width=20, crs=CRS.from_epsg(32633), transform=from_origin(500000, 5000200, 10, 10))


def box(x0, y0, x1, y1):
    return [[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]]


def write_layer(path, features, epsg=None):
    layer = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": rings}}
        for properties, rings in features
    ]}  # fmt: skip
    if epsg:
        layer["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}}
    path.write_text(json.dumps(layer))
    return path


def expected() -> np.ndarray:
    labels = np.zeros((20, 20), np.int64)
    labels[0:5, 0:5] = 1  # water: the top-left 50 m square
    labels[10:13, 10:15] = 2  # tree cover
    return labels


FEATURES = [
    ({"class": "Water"}, box(500000, 5000150, 500050, 5000200)),
    ({"class": "2"}, box(500100, 5000070, 500150, 5000100)),
]


def test_polygons_in_the_grids_crs_cover_the_pixels_whose_centres_they_hold(tmp_path):
    path = write_layer(tmp_path / "a_classes.geojson", FEATURES, epsg=32633)
    np.testing.assert_array_equal(polygon_labels(path, **GRID, classes=CLASSES), expected())


def test_polygons_in_degrees_are_reprojected_first(tmp_path):
    to_degrees = Transformer.from_crs(32633, 4326, always_xy=True)
    features = [(p, [[to_degrees.transform(x, y) for x, y in ring] for ring in rings]) for p, rings in FEATURES]
    path = write_layer(tmp_path / "a_classes.geojson", features)  # RFC 7946: WGS 84
    np.testing.assert_array_equal(polygon_labels(path, **GRID, classes=CLASSES), expected())


@pytest.mark.parametrize(
    "properties, message",
    [
        ({"class": "cloud"}, "a_classes.geojson: class cloud is not one of the model's (water, tree cover, grassland)"),
        ({"class": "4"}, "a_classes.geojson: class 4 is not one of the model's"),
        ({"label": "water"}, "a_classes.geojson: no 'class' field (it has label)"),
    ],
)
def test_a_layer_it_cannot_read_as_classes_is_one_line(tmp_path, properties, message):
    path = write_layer(tmp_path / "a_classes.geojson", [(properties, box(500000, 5000150, 500050, 5000200))], 32633)
    with pytest.raises(InputError) as error:
        polygon_labels(path, **GRID, classes=CLASSES)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)

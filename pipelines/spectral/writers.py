"""The class map of a scene, written strip by strip as a GeoTIFF, with a decimated copy for the preview."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..common.rasters import RasterSink, open_raster
from .preview import write_preview
from .scene import SceneSource

PREVIEW_SIDE = 1024


class SceneWriter:
    """uint8 class map (0 = no data) with the source's CRS and transform, written strip by strip
    into a GeoTIFF, or (``path`` None) kept in memory as ``classes``; counts pixels per class.

    Use as a context manager; ``write(row0, row1, classes)`` takes (rows, W) strips in order.
    """

    def __init__(self, source: SceneSource, path: Path | None, class_names: tuple[str, ...], colours: tuple = ()):
        self.source, self.path, self.class_names = source, path, class_names
        self.step = max(1, int(np.ceil(max(source.height, source.width) / PREVIEW_SIDE)))
        self.decimated: list[np.ndarray] = []
        self.counts = np.zeros(len(class_names) + 1, np.int64)
        profile = dict(count=1, height=source.height, width=source.width, dtype="uint8", nodata=0)
        georef = source.georef
        where = None if path is None else Path(path)  # a file: a Cloud-Optimised GeoTIFF, overviews by nearest class
        self.sink = RasterSink(where, cog="nearest", crs=georef.crs, transform=georef.transform, **profile)
        if self.sink.dataset is not None:
            self.sink.dataset.set_band_description(1, "class (0 = no data)")
            self.sink.dataset.update_tags(classes=",".join(class_names))
            if colours:  # QGIS shows each class in its colour (the names are in the classes tag)
                table = {0: (0, 0, 0, 0)} | {i + 1: (*map(int, c), 255) for i, c in enumerate(colours)}
                self.sink.dataset.write_colormap(1, table)

    @property
    def classes(self) -> np.ndarray | None:
        """(H, W) the class map in memory (``path`` None)."""
        return None if self.sink.pixels is None else self.sink.pixels[0]

    def __enter__(self) -> "SceneWriter":
        return self

    def __exit__(self, kind, *exc) -> None:
        self.sink.close() if kind is None else self.sink.abort()

    def write(self, row0: int, row1: int, classes: np.ndarray) -> None:
        self.sink.write(classes[None], row0, 0)
        self.counts += np.bincount(classes.ravel(), minlength=len(self.counts))[: len(self.counts)]
        first = (-row0) % self.step
        self.decimated.append(classes[first :: self.step, :: self.step].copy())  # not a view: the strip goes

    def areas(self) -> dict[str, str]:
        """Area per class: hectares when the transform is in metres, else pixels."""
        transform, crs = self.source.georef.transform, self.source.georef.crs
        metres = crs is not None and crs.is_projected and transform is not None
        pixel_area = abs(transform.a * transform.e) if metres else 1.0
        return {
            name: (f"{count * pixel_area / 1e4:.2f} ha" if metres else f"{count} px")
            for name, count in zip(self.class_names, self.counts[1:])
        }

    def preview(self, path: Path, colours) -> None:
        write_preview(np.concatenate(self.decimated), self.class_names, colours, path, self.areas())


def class_areas(path: Path, class_names: tuple[str, ...]) -> list[dict]:
    """Pixels and hectares (when the CRS is projected) per class of a written class map."""
    with open_raster(path) as dataset:
        counts = np.bincount(dataset.read(1).ravel(), minlength=len(class_names) + 1)
        metres = dataset.crs is not None and dataset.crs.is_projected
        pixel_area = abs(dataset.transform.a * dataset.transform.e) if metres else None
    return [
        {"class": name, "pixels": int(count), "hectares": None if pixel_area is None else count * pixel_area / 1e4}
        for name, count in zip(class_names, counts[1:])
    ]


def write_category_names(path: Path, names: tuple[str, ...]) -> None:
    """The class map's category names as GDAL's PAM sidecar (``<map>.tif.aux.xml``), which GDAL reads
    with the raster and QGIS shows as the legend of its colour table (value i is ``names[i]``)."""
    from xml.sax.saxutils import escape

    categories = "\n".join(f"      <Category>{escape(name)}</Category>" for name in names)
    Path(path).write_text(
        '<PAMDataset>\n  <PAMRasterBand band="1">\n    <CategoryNames>\n'
        f"{categories}\n    </CategoryNames>\n  </PAMRasterBand>\n</PAMDataset>\n"
    )

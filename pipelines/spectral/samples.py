"""``hybridvision samples spectral``: generated scenes or chips in the common samples layout.

Scenes (``--kind scene``): ``inputs/scene_<seed>.tif`` (int16 reflectance x 10000, -9999 = no
data, UTM CRS at 20 m, wavelengths per band) and ``truth/scene_<seed>_classes.tif`` (uint8, 0 =
unlabelled); ``--formats envi,mat,npy`` adds the same cube in ``formats/<format>/`` (the .mat
carries the ground truth as ``<name>_gt``, like the benchmark files). Chips (``--kind chips``):
``inputs/chip_<i>.tif`` (13 Sentinel-2 bands, uint16 reflectance x 10000) and ``truth/labels.csv``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Callable

import numpy as np
from affine import Affine
from rasterio.crs import CRS

from ..common.atomic import atomic_outputs, write_json_atomic
from . import generator
from .io import Georeference, write_class_map_mat, write_cube
from .library import SCENE_CLASSES, SENTINEL2, imaging_spectrometer

FORMAT_SUFFIXES = {"tif": ".tif", "envi": ".hdr", "mat": ".mat", "npy": ".npy"}
PIXEL_METRES = 20.0
UTM_13N = CRS.from_epsg(32613)


def scene_georeference(seed: int, pixel: float = PIXEL_METRES) -> Georeference:
    rng = np.random.default_rng(seed)
    east, north = 400_000 + 1000 * rng.integers(0, 100), 4_400_000 + 1000 * rng.integers(0, 100)
    return Georeference(UTM_13N, Affine(pixel, 0, float(east), 0, -pixel, float(north)))


def write_scenes(output: Path, count: int, seed: int, formats: list[str], size: int, bands: int, progress) -> list:
    sensor = imaging_spectrometer(bands)
    cases = []
    for i in range(count):
        name = f"scene_{seed + i}"
        progress(f"{name} ({size}x{size}, {bands} bands)")
        rendered = generator.scene(size, sensor, seed + i)
        values = generator.to_file_values(rendered)
        georef = scene_georeference(seed + i)
        write_cube(values, output / "inputs" / f"{name}.tif", sensor.centres, georef, generator.NODATA)
        truth = output / "truth" / f"{name}_classes.tif"
        write_cube(rendered.labels[None], truth, georef=georef, band_names=["class (0 = unlabelled)"])
        for fmt in formats:
            if fmt == "tif":
                continue
            folder = output / "formats" / fmt
            folder.mkdir(parents=True, exist_ok=True)
            write_cube(values, folder / f"{name}{FORMAT_SUFFIXES[fmt]}", sensor.centres, nodata=generator.NODATA)
            if fmt == "mat":
                write_class_map_mat(rendered.labels, folder / f"{name}_gt.mat")
        counts = np.bincount(rendered.labels.ravel(), minlength=len(SCENE_CLASSES) + 1)
        labelled = {c.name: int(n) for c, n in zip(SCENE_CLASSES, counts[1:])}
        cases.append({"name": name, "seed": seed + i, "labelled_pixels": labelled})
    return cases


def write_chips(output: Path, count: int, seed: int, size: int, progress) -> list:
    rng = np.random.default_rng(seed)
    kinds = [generator.CHIP_CLASSES[i % len(generator.CHIP_CLASSES)] for i in range(count)]
    rng.shuffle(kinds)
    rows = []
    for i, kind in enumerate(kinds):
        name = f"chip_{i:05d}.tif"
        progress(f"{name} ({kind})")
        reflectance = generator.chip(kind, size, seed * 100_000 + i)
        values = np.clip(np.round(reflectance * generator.REFLECTANCE_SCALE), 0, 65535).astype(np.uint16)
        georef = scene_georeference(seed + i, pixel=10.0)
        write_cube(values, output / "inputs" / name, SENTINEL2.centres, georef, band_names=SENTINEL2.band_names)
        rows.append((name, kind))
    with atomic_outputs({"csv": output / "truth" / "labels.csv"}) as temps:
        with open(temps["csv"], "w", newline="") as handle:
            csv.writer(handle).writerows([("file", "label"), *rows])
    return [{"name": name, "label": kind} for name, kind in rows]


def write_samples(
    output: Path,
    count: int,
    seed: int,
    kind: str = "scene",
    formats: str = "tif",
    size: int = 145,
    bands: int = 128,
    product: str = "",
    progress: Callable[[str], None] = print,
) -> dict:
    output = Path(output)
    if kind == "multispectral":
        from .multispectral_samples import write_multispectral

        return write_multispectral(output, count, seed, product or "sentinel2", size, progress)
    if product:  # products in their real layout, a smooth mosaic without truth (--kind multispectral has one)
        from ..common.product_samples import write_products

        return write_products(output, count, seed, product, "spectral", progress)
    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = sorted(set(wanted) - set(FORMAT_SUFFIXES))
    if unknown:
        raise ValueError(f"--formats: unknown {unknown[0]!r} (use {', '.join(FORMAT_SUFFIXES)})")
    if kind not in ("scene", "chips"):
        raise ValueError(f"--kind must be scene, chips or multispectral, got {kind!r}")
    if not 100 <= bands <= 200 and kind == "scene":
        raise ValueError(f"--bands must be 100 to 200 (a 400-2500 nm imaging spectrometer), got {bands}")
    (output / "inputs").mkdir(parents=True, exist_ok=True)
    (output / "truth").mkdir(parents=True, exist_ok=True)
    if kind == "scene":
        if size < 32:
            raise ValueError(f"--size must be at least 32 for a scene, got {size}")
        cases = write_scenes(output, count, seed, wanted, size, bands, progress)
        extra = {"bands": bands, "wavelengths_nm": list(imaging_spectrometer(bands).centres)}
        classes = [{"value": i + 1, "name": c.name, "colour": list(c.colour)} for i, c in enumerate(SCENE_CLASSES)]
    else:
        size = 32 if size == 145 else size  # the scene default means "not given" here
        cases = write_chips(output, count, seed, size, progress)
        extra = {"bands": 13, "band_names": list(SENTINEL2.band_names), "wavelengths_nm": list(SENTINEL2.centres)}
        classes = [{"name": c} for c in generator.CHIP_CLASSES]
    manifest = {
        "pipeline": "spectral",
        "kind": kind,
        "seed": seed,
        "size": size,
        **extra,
        "classes": classes,
        "generator": "pipelines/spectral/generator.py",
        "cases": cases,
    }
    write_json_atomic(output / "manifest.json", manifest)
    return manifest

"""Small satellite products in their providers' real layout, for tests, the demo and ``samples``:
a Sentinel-2 L2A ``.SAFE.zip`` (processing baseline 05.09: offset -1000, or 02.08: none) and a
Landsat 9 Collection 2 Level-2 folder (COGs and ``_MTL.json``). Names, folders and the metadata
fields the readers use follow the real products; the scene is a smooth land-cover mosaic (water,
vegetation, soil, built-up) with a cloud and a strip without data, each surface with a typical
reflectance spectrum.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from .sentinel2 import MSI_BANDS

SURFACES = {  # reflectance at 450, 560, 665, 705, 740, 783, 842, 865, 945, 1610, 2200 nm
    "water": [0.06, 0.05, 0.03, 0.02, 0.015, 0.01, 0.01, 0.01, 0.005, 0.005, 0.003],
    "vegetation": [0.03, 0.08, 0.04, 0.12, 0.30, 0.38, 0.42, 0.43, 0.40, 0.22, 0.10],
    "soil": [0.10, 0.15, 0.20, 0.23, 0.25, 0.27, 0.28, 0.29, 0.30, 0.36, 0.30],
    "built": [0.14, 0.16, 0.18, 0.19, 0.20, 0.21, 0.22, 0.22, 0.22, 0.24, 0.22],
}
SURFACE_NM = [450, 560, 665, 705, 740, 783, 842, 865, 945, 1610, 2200]
CLOUD = 0.75  # bright in every band


def acquired(seed: int) -> datetime:
    """A sample's acquisition time, one per seed (a day each, then a second later for every thousand
    seeds), so that a run of products never shares a name."""
    return datetime(2023, 1, 1, 9, 30) + timedelta(days=seed % 1000, seconds=seed // 1000)


def smooth_field(shape: tuple[int, int], rng: np.random.Generator, scale: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(rng.normal(size=shape), scale)


def scene(side: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """(reflectance per wavelength function, cloud mask, no-data mask) on a ``side`` x ``side`` 10 m grid."""
    rng = np.random.default_rng(seed)
    fields = np.stack([smooth_field((side, side), rng, side / 12) for _ in SURFACES])
    weights = np.exp(8 * (fields - fields.max(0, keepdims=True)) / fields.std())  # soft edges: mixed pixels
    weights /= weights.sum(0, keepdims=True)
    yy, xx = np.mgrid[0:side, 0:side]
    cx, cy = rng.uniform(0.3, 0.7, 2) * side
    cloud = np.hypot(xx - cx, yy - cy) < side / 8
    nodata = xx < side // 16  # the swath edge
    return {"weights": weights}, cloud, nodata


def reflectance_at(weights: np.ndarray, centre: float, cloud: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    spectra = np.array([np.interp(centre, SURFACE_NM, values) for values in SURFACES.values()])
    image = np.tensordot(spectra, weights, axes=1)
    image = np.where(cloud, CLOUD, image) + rng.normal(0, 0.002, image.shape)
    return np.clip(image, 0.0, 1.2)


def block_mean(image: np.ndarray, factor: int) -> np.ndarray:
    side = image.shape[0] // factor
    return image[: side * factor, : side * factor].reshape(side, factor, side, factor).mean((1, 3))


@dataclass
class ProductContent:
    """What a sample product holds when a generator gives it: reflectance per band name at the band's
    native resolution (NaN: no data) and the quality layer (SCL at 20 m, or QA_PIXEL at 30 m)."""

    bands: dict[str, np.ndarray]
    quality: np.ndarray


def write_sentinel2(
    folder: Path, seed: int = 0, side: int = 192, baseline: str = "05.09", content: ProductContent | None = None
) -> Path:
    """A ``S2B_MSIL2A_...SAFE.zip`` in ``folder``: 12 bands as lossless JPEG 2000 at 10/20/60 m, SCL at 20 m
    (``content``'s, or a smooth mosaic with a cloud drawn here)."""
    import rasterio
    from rasterio.transform import from_origin

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sensed = acquired(seed)
    tile, when, processed = "T34UCF", f"{sensed:%Y%m%dT%H%M%S}", f"{sensed + timedelta(hours=3):%Y%m%dT%H%M%S}"
    product = f"S2B_MSIL2A_{when}_N{baseline.replace('.', '')}_R122_{tile}_{processed}"
    granule = f"GRANULE/L2A_{tile}_A033753_{when}/IMG_DATA"
    truth, cloud, nodata = scene(side, seed) if content is None else ({}, None, None)  # content: nothing drawn here
    offset = -1000 if float(baseline) >= 4 else 0
    staging = folder / f".{product}.staging"
    files = {}
    for name, (_, resolution, centre) in MSI_BANDS.items():
        if name == "B10":
            continue  # cirrus: Level-1C only
        factor = resolution // 10
        if content is None:
            values = block_mean(reflectance_at(truth["weights"], centre, cloud, rng), factor)
            empty = block_mean(nodata.astype(float), factor) > 0.5
        else:
            empty = np.isnan(content.bands[name])
            values = np.nan_to_num(content.bands[name])
        stored = np.where(empty, 0, np.clip(np.round(values * 10000 - offset), 1, 65534)).astype(np.uint16)
        files[f"{granule}/R{resolution}m/{tile}_{when}_{name}_{resolution}m"] = (stored, resolution)
    if content is None:
        scl = np.where(block_mean(cloud.astype(float), 2) > 0.5, 9, 4).astype(np.uint8)
        scl[block_mean(nodata.astype(float), 2) > 0.5] = 0
    else:
        scl = content.quality
    files[f"{granule}/R20m/{tile}_{when}_SCL_20m"] = (scl, 20)
    staging.mkdir(exist_ok=True)
    archive_path = folder / f"{product}.SAFE.zip"
    temporary = folder / f".{product}.SAFE.zip.partial"
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_STORED) as archive:
        for relative, (array, resolution) in files.items():
            local = staging / (Path(relative).name + ".jp2")
            profile = dict(height=array.shape[0], width=array.shape[1], count=1, dtype=array.dtype.name)
            transform = from_origin(300000, 5900040, resolution, resolution)
            lossless = {"QUALITY": 100, "REVERSIBLE": "YES"}
            with rasterio.open(
                local, "w", driver="JP2OpenJPEG", crs="EPSG:32634", transform=transform, **profile, **lossless
            ) as dataset:
                dataset.write(array[None])
            archive.write(local, f"{product}.SAFE/{relative}.jp2")
            local.unlink()
        archive.writestr(f"{product}.SAFE/MTD_MSIL2A.xml", sentinel2_metadata(product, list(files), baseline, offset))
    staging.rmdir()
    temporary.replace(archive_path)
    return archive_path


def sentinel2_metadata(product: str, files: list[str], baseline: str, offset: int) -> str:
    """``MTD_MSIL2A.xml`` with the real document's structure for the fields the reader uses."""
    image_files = "\n".join(f"            <IMAGE_FILE>{f}</IMAGE_FILE>" for f in files)
    offsets = "\n".join(f'        <BOA_ADD_OFFSET band_id="{i}">{offset}</BOA_ADD_OFFSET>' for i in range(13))
    offsets = f"      <BOA_ADD_OFFSET_VALUES_LIST>\n{offsets}\n      </BOA_ADD_OFFSET_VALUES_LIST>" if offset else ""
    spectral = "\n".join(
        f'        <Spectral_Information bandId="{band_id}" physicalBand="B{name[1:].lstrip("0")}">\n'
        f"          <RESOLUTION>{resolution}</RESOLUTION>\n"
        f'          <Wavelength><CENTRAL unit="nm">{centre}</CENTRAL></Wavelength>\n'
        "        </Spectral_Information>"
        for name, (band_id, resolution, centre) in MSI_BANDS.items()
        if name != "B10"
    )
    start = (
        f"{product[11:15]}-{product[15:17]}-{product[17:19]}T{product[20:22]}:{product[22:24]}:{product[24:26]}.024Z"
    )
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{start}</PRODUCT_START_TIME>
      <PRODUCT_URI>{product}.SAFE</PRODUCT_URI>
      <PROCESSING_LEVEL>Level-2A</PROCESSING_LEVEL>
      <PRODUCT_TYPE>S2MSI2A</PRODUCT_TYPE>
      <PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
      <Datatake datatakeIdentifier="GS2B_{product[11:26]}_033753_N{baseline}">
        <SPACECRAFT_NAME>Sentinel-2B</SPACECRAFT_NAME>
      </Datatake>
      <Product_Organisation>
        <Granule_List>
          <Granule imageFormat="JPEG2000">
{image_files}
          </Granule>
        </Granule_List>
      </Product_Organisation>
    </Product_Info>
    <Product_Image_Characteristics>
      <Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
      <Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
      <QUANTIFICATION_VALUES_LIST>
        <BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
      </QUANTIFICATION_VALUES_LIST>
{offsets}
      <Spectral_Information_List>
{spectral}
      </Spectral_Information_List>
    </Product_Image_Characteristics>
  </n1:General_Info>
</n1:Level-2A_User_Product>
"""


def write_landsat(
    folder: Path, seed: int = 0, side: int = 64, spacecraft: str = "LANDSAT_9", content: ProductContent | None = None
) -> Path:
    """A ``LC09_L2SP_...`` folder: SR_B1..SR_B7 and QA_PIXEL as COGs at 30 m, and its ``_MTL.json``
    (``content``'s, or a smooth mosaic with a cloud drawn here)."""
    import rasterio
    from rasterio.transform import from_origin

    from .landsat import OLI_CENTRES_NM
    from .rasters import to_cog

    rng = np.random.default_rng(seed)
    code = {"LANDSAT_8": "LC08", "LANDSAT_9": "LC09", "LANDSAT_7": "LE07"}[spacecraft]
    sensed = acquired(seed)
    path_row = f"188{26 + seed // 1000 % 200:03d}"  # the date repeats every thousand seeds: the row does not
    product = f"{code}_L2SP_{path_row}_{sensed:%Y%m%d}_{sensed + timedelta(days=5):%Y%m%d}_02_T1"
    target = Path(folder) / product
    staging = Path(folder) / f".{product}.staging"
    staging.mkdir(parents=True, exist_ok=True)
    truth, cloud, nodata = scene(side, seed) if content is None else ({}, None, None)
    contents = {"LANDSAT_PRODUCT_ID": product, "PROCESSING_LEVEL": "L2SP", "COLLECTION_NUMBER": "02"}
    factors = {}
    grid = dict(crs="EPSG:32634", transform=from_origin(300000, 5900040, 30, 30), height=side, width=side, count=1)
    layers = {}
    if content is not None:
        side = content.quality.shape[0]
        grid |= {"height": side, "width": side}
    for number, centre in OLI_CENTRES_NM.items():
        if content is None:
            values = reflectance_at(truth["weights"], centre, cloud, rng)
        else:
            nodata = np.isnan(content.bands[f"SR_B{number}"])
            values = np.nan_to_num(content.bands[f"SR_B{number}"])
        stored = np.where(nodata, 0, np.clip(np.round((values + 0.2) / 2.75e-05), 1, 65535)).astype(np.uint16)
        layers[f"{product}_SR_B{number}.TIF"] = stored
        contents[f"FILE_NAME_BAND_{number}"] = f"{product}_SR_B{number}.TIF"
        factors |= {f"REFLECTANCE_MULT_BAND_{number}": "2.75E-05", f"REFLECTANCE_ADD_BAND_{number}": "-0.200000"}
    if content is None:
        qa = np.where(cloud, 1 << 3, 1 << 6).astype(np.uint16)  # cloud: bit 3; clear: bit 6
        qa = np.where(nodata, 1, qa).astype(np.uint16)  # fill: bit 0
    else:
        qa = content.quality
    layers[f"{product}_QA_PIXEL.TIF"] = qa
    contents["FILE_NAME_QUALITY_L1_PIXEL"] = f"{product}_QA_PIXEL.TIF"
    for name, array in layers.items():
        scratch = staging / f"{name}.scratch.tif"
        with rasterio.open(
            scratch, "w", driver="GTiff", dtype="uint16", nodata=1 if "QA" in name else 0, **grid
        ) as dataset:
            dataset.write(array[None])
        to_cog(scratch, staging / name, "nearest")
        scratch.unlink()
    mtl = {
        "LANDSAT_METADATA_FILE": {
            "PRODUCT_CONTENTS": contents,
            "IMAGE_ATTRIBUTES": {
                "SPACECRAFT_ID": spacecraft, "SENSOR_ID": "OLI_TIRS", "DATE_ACQUIRED": f"{sensed:%Y-%m-%d}",
                "SCENE_CENTER_TIME": f"{sensed:%H:%M:%S}.1234560Z",
            },
            "PROJECTION_ATTRIBUTES": {"MAP_PROJECTION": "UTM", "UTM_ZONE": "34", "GRID_CELL_SIZE_REFLECTIVE": "30.00"},
            "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS": factors,
        }
    }  # fmt: skip
    (staging / f"{product}_MTL.json").write_text(json.dumps(mtl, indent=2))
    if target.is_dir():
        shutil.rmtree(target)  # a re-run draws the same product again
    staging.replace(target)
    return target


def write_products(output: Path, count: int, seed: int, product: str, pipeline: str, progress) -> dict:
    """``samples <task> --product sentinel2|landsat``: ``count`` products in ``OUT/inputs`` and a manifest."""
    from .atomic import write_json_atomic

    writers = {"sentinel2": write_sentinel2, "landsat": write_landsat}
    if product not in writers:
        raise ValueError(f"--product must be sentinel2 or landsat, got {product!r}")
    (output / "inputs").mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(count):
        path = writers[product](output / "inputs", seed + index)
        progress(path.name)
        written.append(path.name)
    manifest = {"pipeline": pipeline, "product": product, "seed": seed, "products": written}
    write_json_atomic(output / "manifest.json", manifest)
    return manifest

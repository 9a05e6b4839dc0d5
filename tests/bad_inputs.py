"""The bad-input corpus: each kind is a function that writes one bad unit into a folder, with the
outcome expected beside it (a fragment of the one-line error). ``tests/test_bad_inputs.py`` runs
every task's kinds in one batch beside a good unit: each bad unit fails alone, in one line naming
its file and the cause, nothing half-written, the good unit done."""

from __future__ import annotations

import struct
from pathlib import Path

import nibabel as nib
import numpy as np


def png(path: Path, side: int = 48) -> Path:
    from skimage import data, io

    io.imsave(path, data.astronaut()[:side, :side], check_contrast=False)
    return path


def truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(8, path.stat().st_size // 2)])


def png_header_bomb(path: Path) -> None:
    """A valid PNG signature and IHDR claiming 100000 x 100000 pixels, and no image data."""
    import zlib

    header = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)))


def geotiff(path: Path, pixels: np.ndarray, nodata=None) -> None:
    import rasterio
    from rasterio.transform import from_origin

    bands, height, width = pixels.shape
    profile = {"driver": "GTiff", "width": width, "height": height, "count": bands, "dtype": pixels.dtype.name}
    profile |= {"crs": "EPSG:32633", "transform": from_origin(500000, 4000000, 10, 10), "nodata": nodata}
    with rasterio.open(path, "w", **profile) as raster:
        raster.write(pixels)


SUPERRES = {  # file name -> (writer, expected error fragment)
    "truncated.png": (lambda p: (png(p), truncated(p)), "truncated.png"),
    "empty.png": (lambda p: p.write_bytes(b""), "empty.png"),
    "text.png": (lambda p: p.write_text("not an image"), "text.png"),
    "bomb.png": (png_header_bomb, "bomb.png"),
    "nan.tif": (lambda p: geotiff(p, np.full((1, 32, 32), np.nan, np.float32)), "nan.tif"),
    "tiny.png": (lambda p: png(p, side=1), "tiny.png"),
    "nodata.tif": (lambda p: geotiff(p, np.zeros((1, 32, 32), np.uint16), nodata=0), "nodata.tif"),
}


def nifti_case(folder: Path, name: str, shape=(24, 24, 24), change=None) -> None:
    """A four-modality NIfTI case; ``change(modality, data, affine)`` may spoil one file."""
    rng = np.random.default_rng(0)
    folder = folder / name
    folder.mkdir(parents=True)
    for modality in ("t1", "t1ce", "t2", "flair"):
        data, affine = rng.random(shape).astype(np.float32) * 100 + 1, np.eye(4)
        if change:
            data, affine = change(modality, data, affine)
        if data is not None:
            nib.save(nib.Nifti1Image(data, affine), folder / f"{name}_{modality}.nii.gz")


def only(target, spoil):
    return lambda modality, data, affine: spoil(data, affine) if modality == target else (data, affine)


def nifti_header_bomb(folder: Path) -> None:
    nifti_case(folder, "bomb")
    header = nib.Nifti1Header()
    header.set_data_shape((30000, 30000, 30000))
    header.set_data_dtype(np.float32)
    (folder / "bomb" / "bomb_t1.nii.gz").unlink()
    with open(folder / "bomb" / "bomb_t1.nii", "wb") as handle:
        handle.write(header.binaryblock + b"\0" * 4)


TUMOR3D = {  # case name -> (writer of the case folder, expected error fragment)
    "missing": (lambda f: nifti_case(f, "missing", change=only("flair", lambda d, a: (None, a))), "missing flair"),
    "nan": (lambda f: nifti_case(f, "nan", change=only("t2", lambda d, a: (d * np.nan, a))), "NaN or Inf"),
    "flat": (lambda f: nifti_case(f, "flat", change=only("t1", lambda d, a: (d[:, :, 0], a))), "need 3D"),
    "shape": (lambda f: nifti_case(f, "shape", change=only("t2", lambda d, a: (d[:20], a))), "has shape"),
    "affine": (
        lambda f: nifti_case(f, "affine", change=only("t1ce", lambda d, a: (d, np.diag([2, 1, 1, 1])))),
        "different affine",
    ),
    "zeros": (lambda f: nifti_case(f, "zeros", change=lambda m, d, a: (d * 0, a)), "empty"),
    "bomb": (nifti_header_bomb, "bomb_t1.nii"),
}


def cube(path: Path, array: np.ndarray) -> None:
    np.save(path, array)


SPECTRAL = {  # file name -> (writer, expected error fragment)
    "empty.npy": (lambda p: p.write_bytes(b""), "empty.npy"),
    "truncated.npy": (lambda p: (cube(p, np.ones((128, 16, 16), np.float32)), truncated(p)), "truncated.npy"),
    "line.npy": (lambda p: cube(p, np.ones(100, np.float32)), "line.npy"),
    "bands.npy": (lambda p: cube(p, np.ones((7, 16, 16), np.float32)), "bands.npy"),
    "nan.npy": (lambda p: cube(p, np.full((128, 16, 16), np.nan, np.float32)), "nan.npy"),
    "text.tif": (lambda p: p.write_text("not a raster"), "text.tif"),
}

XRAY2SHAPE = {  # case files -> (writer of the case's files in a folder, expected error fragment)
    "lonely": (lambda f: png(f / "lonely_ap.png", 64), "lonely"),
    "broken": (
        lambda f: (
            png(f / "broken_ap.png", 64),
            png(f / "broken_lateral.png", 64),
            truncated(f / "broken_lateral.png"),
        ),
        "broken_lateral.png",
    ),
    "colour": (
        lambda f: (png(f / "colour_ap.png", 64), (f / "colour_lateral.png").write_bytes(b"")),
        "colour_lateral.png",
    ),
}

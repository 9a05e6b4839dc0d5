"""Uploads are checked by their content, not their name: a file whose first bytes say it is
another kind than its extension (a TIFF named ``.png``, a text file named ``.nii.gz``) is refused
in one line before any reader sees it."""

from __future__ import annotations

import gzip
from pathlib import Path

from hybridvision.pipelines.errors import InputError

EXTENSION_KINDS = {  # the kind an extension promises
    ".png": "PNG image",
    ".jpg": "JPEG image",
    ".jpeg": "JPEG image",
    ".tif": "TIFF image",
    ".tiff": "TIFF image",
    ".nii": "NIfTI volume",
    ".nii.gz": "NIfTI volume",
    ".dcm": "DICOM file",
    ".npy": "NumPy array",
    ".mat": "MATLAB file",
    ".zip": "ZIP archive",
}


def sniff(path: Path) -> str:
    """The kind of file the content is, from its first bytes ("unknown" when no signature fits)."""
    with open(path, "rb") as handle:
        head = handle.read(352)
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as inner:
                head = inner.read(352)
        except (OSError, EOFError):
            return "broken gzip file"
        return "NIfTI volume" if head[344:348] in (b"n+1\0", b"ni1\0") else "gzip file"
    signatures = {
        b"\x89PNG\r\n\x1a\n": "PNG image",
        b"\xff\xd8\xff": "JPEG image",
        b"II*\x00": "TIFF image",
        b"MM\x00*": "TIFF image",
        b"II+\x00": "TIFF image",  # BigTIFF
        b"MM\x00+": "TIFF image",
        b"\x93NUMPY": "NumPy array",
        b"MATLAB": "MATLAB file",
        b"\x89HDF": "MATLAB file",  # v7.3 .mat files are HDF5
        b"PK\x03\x04": "ZIP archive",
        b"PK\x05\x06": "ZIP archive",  # an empty one
    }
    for signature, kind in signatures.items():
        if head.startswith(signature):
            return kind
    if head[128:132] == b"DICM":
        return "DICOM file"
    if head[344:348] in (b"n+1\0", b"ni1\0"):
        return "NIfTI volume"
    if not head:
        return "empty file"
    return "unknown"


def promised_kind(name: str) -> str | None:
    lowered = name.lower()
    for extension in sorted(EXTENSION_KINDS, key=len, reverse=True):
        if lowered.endswith(extension):
            return EXTENSION_KINDS[extension]
    return None


def check_content(path: Path) -> Path:
    """``path`` when its content is what its extension promises (or it promises nothing we know)."""
    promised = promised_kind(path.name)
    if promised is None or not path.is_file():  # a missing file is the reader's to report
        return path
    found = sniff(path)
    if found != promised and not (promised == "DICOM file" and found == "unknown"):  # DICOM may lack a preamble
        raise InputError(f"{path.name}: named as a {promised}, but its content is {described(found)}")
    return path


def described(kind: str) -> str:
    if kind == "unknown":
        return "not a known file format"
    if kind == "empty file":
        return "empty"
    return f"a{'n' if kind[0] in 'AEIOU' else ''} {kind}"

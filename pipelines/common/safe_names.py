"""Output names that are safe whatever the input names: ASCII only, no path parts, bounded length,
no two that one file system could take for the same file; and inputs that stay inside the input.

A pipeline names its outputs from its inputs (``<case>_seg.nii.gz``); the batch runner passes each
name through ``safe_file_name`` before writing, so an input called ``../../etc/x`` or ``Ωμέγα\\x00``
writes ``.._.._etc_x``-free, plain names inside the output folder.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path

from ..base import Unit

MAX_NAME_LENGTH = 120  # characters; most file systems allow 255 bytes, and outputs add suffixes
UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def safe_file_name(name: str) -> str:
    """ASCII letters, digits, ``._+-`` only (accents dropped, anything else ``_``); no ``..``, no
    leading dot or dash; at most ``MAX_NAME_LENGTH`` characters, the extension kept."""
    decomposed = unicodedata.normalize("NFKD", name)
    unaccented = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")  # é -> e, ｆ -> f
    cleaned = re.sub(r"\.{2,}", "_", UNSAFE.sub("_", unaccented))
    cleaned = re.sub(r"_{2,}", "_", cleaned).lstrip(".-") or "_"
    if len(cleaned) > MAX_NAME_LENGTH:
        stem, dot, extension = cleaned.partition(".")
        keep = dot + extension if len(extension) < 20 else ""
        cleaned = stem[: MAX_NAME_LENGTH - len(keep)] + keep
    return cleaned


def collision_key(name: str) -> str:
    """Names one file system may treat as the same file map to one key."""
    return unicodedata.normalize("NFC", name).casefold()


def refuse_collisions(units: list[Unit], outputs_of) -> list[Unit]:
    """Units whose output names collide (after ``safe_file_name``, NFC and case folding) with an
    earlier unit's get an ``error`` naming both; ``outputs_of(unit)`` gives a unit's names."""
    owners: dict[str, tuple[str, str]] = {}
    checked = []
    for unit in units:
        clash = None
        names = [] if unit.error else [safe_file_name(n) for n in outputs_of(unit)]
        for name in names:
            owner = owners.get(collision_key(name))
            if owner is not None and owner[0] != unit.name:
                clash = f"output {name} of {unit.name} collides with {owner[1]} of {owner[0]}; rename one input"
                break
        if clash:
            checked.append(replace(unit, error=clash))
            continue
        for name in names:
            owners.setdefault(collision_key(name), (unit.name, name))
        checked.append(unit)
    return checked


def refuse_outside_links(units: list[Unit], root: Path) -> list[Unit]:
    """Units with a file that resolves outside ``root`` (a symlink out of it) get an ``error``."""
    root = root.resolve() if root.is_dir() else root.resolve().parent
    checked = []
    for unit in units:
        outside = next((f for f in unit.files if not f.resolve().is_relative_to(root)), None)
        if outside is not None and not unit.error:
            message = (
                f"{outside.name} links outside the input folder (to {outside.resolve()}); --follow-symlinks reads it"
            )
            unit = replace(unit, error=message)
        checked.append(unit)
    return checked

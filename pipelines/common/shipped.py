"""Shipped checkpoints as files: where they are, their names, and what their safetensors header says,
read without torch or any task's model code (``list checkpoints`` prints every card in about a
second; a checkpoint's weights are ``checkpoint.py``'s business)."""

from __future__ import annotations

import json
import struct
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..registry import PIPELINES

METADATA_KEY = "hybridvision"
FORMAT_VERSION = 1
SUFFIX = ".safetensors"
LARGEST_HEADER = 100 * 2**20  # safetensors' own bound on a header


def shipped_root() -> Path:
    """The installed ``configs`` folder: shipped checkpoints are ``<task>/<name>.safetensors`` there."""
    return Path(str(resources.files("hybridvision.configs")))


def shipped_name(path: Path) -> str | None:
    """``superres/x4`` for a shipped checkpoint's path, None for any other file."""
    path = Path(path).resolve()
    root = shipped_root().resolve()
    if path.suffix != SUFFIX or path.parent.parent != root:
        return None
    return f"{path.parent.name}/{path.stem}"


def shipped_checkpoints() -> list[Path]:
    """Checkpoints that ship in the package: ``configs/<task>/<name>.safetensors``."""
    return sorted(shipped_root().glob(f"*/*{SUFFIX}"))


def read_header_metadata(path: Path) -> dict[str, Any]:
    """The hybridvision metadata of a safetensors file, from its header (an 8-byte length, then JSON)."""
    try:
        with open(path, "rb") as handle:
            (size,) = struct.unpack("<Q", handle.read(8))
            if size > LARGEST_HEADER:
                raise ValueError(f"a header of {size} bytes")
            header = json.loads(handle.read(size))
        raw = (header.get("__metadata__") or {}).get(METADATA_KEY)
    except Exception as error:
        raise InputError(f"{path}: not a readable safetensors checkpoint ({error})") from error
    if raw is None:
        raise InputError(f"{path}: a safetensors file without hybridvision metadata")
    try:
        metadata = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: damaged hybridvision metadata ({error})") from error
    if metadata.get("format_version", 0) > FORMAT_VERSION:
        version = metadata["format_version"]
        raise InputError(f"{path}: checkpoint format {version} is newer than this hybridvision reads")
    return metadata


def model_summary(metadata: dict[str, Any]) -> str:
    """The parts a checkpoint's model is built from, by registry name (``hybrid_small + unet``), read
    from its config's model block in the current shape (the task's migration of older blocks)."""
    from .config import ConfigError, with_model_adapter

    config = metadata.get("config") or {}
    try:
        block = with_model_adapter(config, "checkpoint")["model"]
        block = PIPELINES.entry(config["pipeline"]).function("migrate_model_block")(block)
    except (KeyError, TypeError, ValueError, InputError, NotImplementedError, ConfigError):
        return ""
    parts = [block.get(key) for key in ("backbone", "decoder", "adapter")]
    return " + ".join(part_name(part) for part in parts if part)


def part_name(part: Any) -> str:
    return part if isinstance(part, str) else str(part.get("name", "?"))

"""Atomic outputs: write to a temporary name in the same folder, rename when complete.

A run that is killed leaves no half-written file under a final name, so a re-run that skips
existing outputs resumes safely. Temporary names keep the final extension (``.nii.gz``,
``.tif``) because writers pick the format from it.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import PartialOutput
from .safe_names import safe_file_name

TEMP_PREFIX = ".partial-"


def temporary_path(final: Path) -> Path:
    """A hidden sibling of ``final`` with the same extension, unique to this process."""
    return final.with_name(f"{TEMP_PREFIX}{os.getpid()}-{final.name}")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporaries left in ``folder`` by runs that are no longer alive; returns them.

    A temporary of a process that is still running (another batch on the same folder) is kept.
    """
    removed = []
    for path in folder.glob(f"{TEMP_PREFIX}*"):
        pid_text = path.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and process_alive(int(pid_text)):
            continue
        if path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_outputs(finals: Mapping[str, Path]) -> Iterator[dict[str, Path]]:
    """Yield temporary paths for ``finals``; rename them all on success, delete them on failure.

    Every output must have been written when the block ends; a missing one is an error.
    """
    temps = {key: temporary_path(path) for key, path in finals.items()}
    try:
        try:
            yield temps
        except PartialOutput as partial:  # keep what was completed: the main output is never lost
            keep_completed(temps, finals, partial)
            raise
        missing = [str(finals[k].name) for k, t in temps.items() if not t.exists()]
        if missing:
            raise RuntimeError(f"the writer did not produce {', '.join(missing)}")
        for key, temp in temps.items():
            os.replace(temp, finals[key])
    finally:
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def keep_completed(temps: Mapping[str, Path], finals: Mapping[str, Path], partial: PartialOutput) -> None:
    """Rename the outputs a partial unit did write into place, its fallbacks (``partial.extra``) beside
    them; record their final names in ``partial.kept``."""
    folder = next(iter(finals.values())).parent
    pairs = [(temps[key], finals[key]) for key in temps if temps[key].exists()]
    pairs += [(Path(written), folder / safe_file_name(name)) for name, written in partial.extra.items()]
    partial.kept = []
    for temp, final in pairs:
        if temp.exists() and temp != final:
            os.replace(temp, final)
        partial.kept.append(final.name)


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_outputs({"file": Path(path)}) as temps:
        temps["file"].write_text(text)


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, default=str) + "\n")

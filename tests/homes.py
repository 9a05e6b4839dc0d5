"""Where the tests' fresh user homes live: never under the system temp dir, which Gradio serves by
itself (a user's home it does not), wherever the checkout is, /tmp included."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def homes_root(checkout: Path, temp_dir: Path, user_cache: Path) -> Path:
    """The folder for fresh homes: ``checkout/.test-homes`` (git-ignored) when the checkout lies
    outside ``temp_dir``, else a folder of this run's own under ``user_cache``, else under /var/tmp
    (kept across reboots, not the temp dir Python reports)."""
    temp_dir = Path(temp_dir).resolve()
    if not Path(checkout).resolve().is_relative_to(temp_dir):
        return Path(checkout) / ".test-homes"
    run = f"hybridvision-test-homes/{os.getpid()}-{uuid.uuid4().hex[:8]}"
    for base in (Path(user_cache), Path("/var/tmp")):
        if not base.resolve().is_relative_to(temp_dir):
            return base / run
    raise RuntimeError(f"no folder for test homes outside {temp_dir}: set XDG_CACHE_HOME to one")


def user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


HOMES = homes_root(CHECKOUT, Path(tempfile.gettempdir()), user_cache())


def fresh_home() -> Path:
    """A new empty home under ``HOMES``."""
    home = HOMES / uuid.uuid4().hex[:12]
    home.mkdir(parents=True)
    return home

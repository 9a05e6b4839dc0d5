"""Where hybridvision keeps what it builds once (joined weights, demo samples): one rule for all."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$HYBRIDVISION_CACHE``, else ``~/.cache/hybridvision``."""
    return Path(os.environ.get("HYBRIDVISION_CACHE") or Path.home() / ".cache" / "hybridvision")

"""The demo's own temporary folder: every session's folder and Gradio's cache live in it, and it
goes when the demo stops."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

_root_lock = threading.Lock()
_root: Path | None = None


def work_root() -> Path:
    """The app's temporary folder, created on first use and removed at exit."""
    global _root
    with _root_lock:
        if _root is None:
            _root = Path(tempfile.mkdtemp(prefix="hybridvision-demo-"))
            atexit.register(shutil.rmtree, _root, True)
        return _root

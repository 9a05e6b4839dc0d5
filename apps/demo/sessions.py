"""Many users at once: a folder per browser session, removed when the session ends, and one model
call at a time per task, with a "busy, N ahead of you" note (an answer, not an error) to those who
wait."""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .work_folder import work_root


def folder_name(request) -> str:
    """A request's session folder name (``shared`` without a session: tests, the CLI)."""
    session = getattr(request, "session_hash", None) if request is not None else None
    return f"session-{re.sub(r'[^A-Za-z0-9]', '', session)[:40]}" if session else "shared"


def session_name() -> str:
    """The current Gradio session's folder name."""
    from gradio.context import LocalContext

    return folder_name(LocalContext.request.get(None))


def session_folder(prefix: str) -> Path:
    """A fresh folder for one request, inside its session's own folder."""
    home = work_root() / session_name()
    home.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=home))


def end_session(request) -> None:
    """Gradio's ``unload``: the session's files go when its page closes."""
    if getattr(request, "session_hash", None):
        shutil.rmtree(work_root() / folder_name(request), ignore_errors=True)


class Turns:
    """One model call at a time per task; those who wait hear how many are ahead of them."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._waiting: dict[str, int] = defaultdict(int)
        self._count = threading.Lock()

    def ahead(self, task: str) -> int:
        with self._count:
            return self._waiting[task]

    @contextmanager
    def turn(self, task: str, announce: Callable[[str], None]) -> Iterator[None]:
        with self._count:
            ahead = self._waiting[task]
            self._waiting[task] += 1
            lock = self._locks[task]
        try:
            if ahead:
                announce(f"Busy: {ahead} ahead of you for {task}; yours runs when they are done.")
            with lock:
                yield
        finally:
            with self._count:
                self._waiting[task] -= 1


TURNS = Turns()


def busy_note(message: str) -> None:
    """Shown in the page as an info toast (not an error); logged outside a request."""
    from gradio.context import LocalContext

    if LocalContext.request.get(None) is None:
        return
    import gradio as gr

    gr.Info(message)

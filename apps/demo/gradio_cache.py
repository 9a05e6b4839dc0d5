"""Gradio's cache, made safe for many users.

Gradio saves the images it makes from arrays (the slices, previews and comparisons the tabs return)
under a name taken from their content, and writes them in place. When two requests make the same
image (two users on one sample), the second write truncates the file while the first user's
browser is still downloading it, and that download ends empty ("Too little data for declared
Content-Length"). Here those files are written once, atomically: a temporary file renamed into
place, and a file already there (same name, so same bytes) is left as it is.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_once(target: Path, data: bytes) -> None:
    """``data`` at ``target`` unless it is there already; never a partly written file."""
    if target.exists():
        os.utime(target)  # Gradio's delete_cache ages files by ctime: this one was just handed out again
        return
    handle, staging = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(staging, target)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def make_image_writes_atomic() -> None:
    """Replace ``gradio.processing_utils.save_pil_to_cache`` (which ``save_img_array_to_cache`` and the
    image components call) with a version that writes through ``write_once``; idempotent."""
    from gradio import processing_utils

    if getattr(processing_utils.save_pil_to_cache, "writes_once", False):
        return

    def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
        data = processing_utils.encode_pil_to_bytes(img, format)
        folder = Path(cache_dir) / processing_utils.hash_bytes(data)
        folder.mkdir(exist_ok=True, parents=True)
        target = (folder / f"{name}.{format}").resolve()
        write_once(target, data)
        return str(target)

    save_pil_to_cache.writes_once = True
    processing_utils.save_pil_to_cache = save_pil_to_cache

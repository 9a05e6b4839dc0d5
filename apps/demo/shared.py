"""What every demo tab shares: loaded models, a private work folder, sample caching, error display.

Models load once per checkpoint and stay in memory. Every request works in its own folder under
one temporary root that is removed when the app stops, so uploads and results never pile up.
Errors in what the user gave become a readable message in the page (``gr.Error``); anything else
is logged with its traceback on the server and shown as a short message, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from hybridvision.pipelines.errors import InputError, PartialOutput

from .sessions import TURNS, busy_note, session_folder
from .work_folder import work_root  # noqa: F401  (the app's temporary folder; app.py takes it from here)

log = logging.getLogger("hybridvision.demo")

RESEARCH_NOTE = (
    "**Research use only.** The medical tabs (tumor3d and xray2shape) are not medical devices and must "
    "not be used for diagnosis or treatment decisions. Models were trained on generated and public "
    "images on a CPU."
)

NODATA_CSS = """
.nodata-checkerboard img {
  background-image: conic-gradient(#c8c8c8 25%, #ffffff 0 50%, #c8c8c8 0 75%, #ffffff 0);
  background-size: 16px 16px;
}
"""  # a transparent PNG shown in an image box (the class map) gets a checkerboard behind it
NODATA_VIEW = ["nodata-checkerboard"]  # the class of every image box that shows a transparent PNG


def over_checkerboard(picture: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 with the checkerboard where ``holes`` (H, W): nodata drawn as transparency
    inside the picture itself, so no letterbox around it looks like nodata."""
    from hybridvision.pipelines.common.holes import checkerboard

    return np.where(holes[..., None], checkerboard(*holes.shape), picture)


SAMPLE_BUTTON = ["sample-button"]  # the class of every sample button (the browser test clicks them all)


def request_folder(prefix: str) -> Path:
    """A fresh folder for one request's inputs and outputs, inside its session's folder."""
    return session_folder(prefix)


def samples_root() -> Path:
    """Where generated demo samples are kept between runs (they are deterministic)."""
    from hybridvision.backbones.cache import cache_root

    return cache_root() / "demo-samples"


_sample_lock = threading.Lock()


def cached_sample(name: str, make: Callable[[Path], None]) -> Path:
    """``samples_root()/name``, made by ``make(folder)`` the first time (into a temporary folder,
    renamed when complete, so an interrupted run never leaves half a sample)."""
    final = samples_root() / name
    with _sample_lock:
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            partial = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=final.parent))
            try:
                make(partial)
                partial.rename(final)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
    return final


_load_lock = threading.Lock()


def load_model(checkpoint: str):
    """(pipeline, model, metadata) of a checkpoint, loaded once (users arriving together wait for it)."""
    with _load_lock:
        return _loaded(checkpoint)


@functools.lru_cache(maxsize=8)
def _loaded(checkpoint: str):
    from hybridvision.pipelines.common.checkpoint import load_checkpoint

    return load_checkpoint(Path(checkpoint))


def shipped(pipeline: str) -> dict[str, Path]:
    """Shipped checkpoints of a pipeline by stem, e.g. {"x2": ..., "x4": ...}."""
    from hybridvision.pipelines.common.shipped import shipped_checkpoints

    return {p.stem: p for p in shipped_checkpoints() if p.parent.name == pipeline}


def model_choices(pipeline: str, stems: tuple[str, ...] | None = None) -> dict[str, Path]:
    """Shipped checkpoints to pick from, the pipeline's default first: ``{"demo (hybrid_small + unet)": path}``.

    ``stems``: only these (e.g. one anatomy's); the label names what each model is built from."""
    from hybridvision.pipelines.common.shipped import model_summary, read_header_metadata
    from hybridvision.pipelines.registry import PIPELINES

    found = {stem: path for stem, path in shipped(pipeline).items() if stems is None or stem in stems}
    default = PIPELINES.spec(pipeline).default_checkpoint  # from the task's options: no model code imported
    ordered = sorted(found.items(), key=lambda item: (item[0] != default, item[0]))
    return {f"{stem} ({model_summary(read_header_metadata(path)) or 'model'})": path for stem, path in ordered}


FOLDERS = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:]+)+[\\/]")  # a path's folders, up to its file name


def user_message(message: str, names: Mapping[str, str] | None = None) -> str:
    """A message as the user should read it: no server folder (uploads and the work folder live in
    temporary folders the user never named), and the demo's own file names (``case_t1.nii.gz``)
    turned back into the names the user uploaded."""
    message = FOLDERS.sub("", message)
    for ours, theirs in sorted((names or {}).items(), key=lambda item: -len(item[0])):
        message = message.replace(ours, theirs)
    return message


@contextmanager
def their_names(names: Mapping[str, str]):
    """Errors raised inside name the user's files (``{our file name: their file name}``)."""
    from hybridvision.pipelines.errors import one_line, user_errors

    try:
        yield
    except user_errors() as error:
        raise InputError(user_message(one_line(error), names)) from None


def models_where(pipeline: str, keep: Callable[[dict], bool], default: Path | None) -> dict[str, Path]:
    """``model_choices`` of the shipped checkpoints whose saved config ``keep`` accepts (one scale,
    one anatomy, scene models), ``default`` first."""
    from hybridvision.pipelines.common.shipped import read_header_metadata

    stems = tuple(stem for stem, path in shipped(pipeline).items() if keep(read_header_metadata(path)["config"]))
    return dict(sorted(model_choices(pipeline, stems).items(), key=lambda item: item[1] != default))


def model_dropdown(choices: list[str], label: str, elem_id: str):
    """The model choice of a tab: the first (the default) chosen, hidden when there is only one."""
    import gradio as gr

    return gr.Dropdown(**model_update(choices), label=label, elem_id=elem_id)


def model_update(choices: list[str]) -> dict[str, Any]:
    """The dropdown's choices, value and visibility for another set of models (a new scale or anatomy)."""
    return {"choices": choices, "value": choices[0] if choices else None, "visible": len(choices) > 1}


def shows_errors(handler: Callable) -> Callable:
    """Run a handler; turn failures into ``gr.Error`` messages of one line without server paths."""
    import gradio as gr

    from hybridvision.pipelines.errors import one_line, user_errors

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except user_errors() as error:
            raise gr.Error(user_message(one_line(error))) from None
        except Exception as error:
            log.exception("demo handler %s failed", handler.__name__)
            raise gr.Error(f"internal error ({type(error).__name__}); the server log has the details") from None

    return wrapper


def in_status(handler: Callable, blank: tuple, status: int) -> Callable:
    """The page's side of ``shows_errors``: an error clears every output (``blank``: the cleared value
    of each) and shows once, as one line in the ``status`` output, instead of a badge on each."""
    import gradio as gr

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any):
        try:
            return handler(*args, **kwargs)
        except gr.Error as error:
            cleared = list(blank)
            cleared[status] = f"**Error:** {error.message}"
            return tuple(cleared)

    return wrapper


def to_display(image: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Any 2D or (H, W, 3) array -> uint8 for the page, stretched between ``low`` and ``high``
    (default: the 1st and 99.5th percentiles, so a few hot pixels do not wash the image out)."""
    data = np.asarray(image, dtype=np.float32)
    finite = data[np.isfinite(data)]
    if low is None or high is None:
        low, high = np.percentile(finite, (1, 99.5)) if finite.size else (0.0, 1.0)
    scaled = (np.nan_to_num(data) - low) / max(float(high - low), 1e-12)
    return (np.clip(scaled, 0, 1) * 255).round().astype(np.uint8)


def uploaded_path(value: Any) -> Path | None:
    """A Gradio file value (path string, or an object with ``.name``/``.path``) -> Path or None,
    after checking its content is what its extension says (``uploads.py``)."""
    from .uploads import check_content

    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return check_content(Path(value))
    for attribute in ("path", "name"):
        if hasattr(value, attribute):
            return check_content(Path(getattr(value, attribute)))
    if isinstance(value, dict) and "path" in value:
        return check_content(Path(value["path"]))
    raise ValueError(f"unexpected file value {type(value).__name__}")


def predict_folder(
    checkpoint: Path, input_path: Path, output_dir: Path, notes: dict | None = None, **options: Any
) -> list[Path]:
    """Run a checkpoint on the one unit found at ``input_path``; returns its outputs.

    The Python API's ``Predictor.predict_files``: the same read -> ``predict_sample`` -> write as
    ``hybridvision predict``, with this call's options (never kept on the shared model);
    ``notes["warning"]`` gets its out-of-distribution warning (None when the input looks familiar).
    """
    from hybridvision.pipelines.api import Predictor

    pipeline, model, metadata = load_model(str(checkpoint))
    predictor = Predictor(pipeline, model, metadata, Path(checkpoint))
    with TURNS.turn(pipeline.name, busy_note):  # one model call at a time per task: a CPU and memory limit
        try:
            paths, warning = predictor.predict_files(input_path, output_dir, **options)
        except PartialOutput as partial:  # the labels were written, a DICOM-SEG was not: show them, say so
            warning, paths = str(partial), {name: output_dir / name for name in partial.kept}
    if notes is not None:
        notes["warning"] = warning
    return [path for path in paths.values() if path.exists()]


def warning_line(notes: dict) -> str:
    """The status's warning sentence (Markdown), or nothing."""
    return f"\n\n**Warning:** {notes['warning']}" if notes.get("warning") else ""

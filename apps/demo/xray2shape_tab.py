"""The xray2shape tab: an AP and a lateral radiograph in, 3D bone labels and their mesh out.

Files are written exactly as ``hybridvision predict xray2shape`` writes them: a label NIfTI on the
model's grid (millimetre spacing in its header) and one GLB with a node per bone, named after the
AP file (``knee01_ap.png`` -> ``knee01_seg.nii.gz``, ``knee01.glb``). The page shows
both radiographs as read, a legend of the bones' colours and the anatomy's measurements (the
femoral head diameter; each vertebral body's height), as ``evaluate`` computes them.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from .shared import (
    RESEARCH_NOTE,
    SAMPLE_BUTTON,
    cached_sample,
    in_status,
    model_dropdown,
    model_update,
    models_where,
    predict_folder,
    request_folder,
    shipped,
    shows_errors,
    their_names,
    to_display,
    uploaded_path,
    warning_line,
)
from .tabs import tab

SAMPLE_SEED = 1000  # samples start at 1000; training seeds start at 1 000 000
AP_SUFFIX = re.compile(r"[_-]ap$", re.IGNORECASE)  # the view's tag, not part of the case's name


def checkpoints() -> dict[str, Path]:
    """Each anatomy's default checkpoint, the one named after it ("femur", "spine"), read from the
    checkpoints' headers (the page is built without the task's code)."""
    from hybridvision.pipelines.common.shipped import read_header_metadata

    def anatomy(path: Path) -> str | None:
        return read_header_metadata(path)["config"]["model"].get("anatomy")

    return {stem: path for stem, path in sorted(shipped("xray2shape").items()) if anatomy(path) == stem}


def models_for(anatomy: str) -> dict[str, Path]:
    """The shipped models of one anatomy, its default (as ``predict`` chooses it) first."""
    from hybridvision.pipelines.xray2shape.options import default_stem

    default = shipped("xray2shape").get(default_stem(anatomy), checkpoints().get(anatomy))
    return models_where("xray2shape", lambda config: config["model"].get("anatomy") == anatomy, default)


def sample_pair(anatomy: str) -> tuple[Path, Path]:
    """(AP, lateral) PNGs of a generated case, made once and cached."""

    def make(folder: Path) -> None:
        from hybridvision.pipelines.xray2shape.samples import write_samples

        write_samples(folder, 1, SAMPLE_SEED, anatomy=anatomy)

    folder = cached_sample(f"xray2shape-{anatomy}-{SAMPLE_SEED}", make)
    case = f"{anatomy}_{SAMPLE_SEED:05d}"
    return folder / "inputs" / f"{case}_ap.png", folder / "inputs" / f"{case}_lat.png"


def legend(anatomy: str) -> str:
    """HTML: each bone's colour as the mesh shows it (``label_colour`` of its place among the labels)."""
    from hybridvision.pipelines.common.mesh import label_colour
    from hybridvision.pipelines.common.shipped import read_header_metadata

    path = checkpoints().get(anatomy)
    if path is None:
        return ""
    # the bones the anatomy's model labels, from its header: the page is built without the task's code
    names = list(enumerate(read_header_metadata(path)["io_spec"]["outputs"]["pred"]["class_names"][1:], 1))
    return (
        "<div style='display:flex;gap:1em;flex-wrap:wrap'>"
        + "".join(
            f"<span><span style='display:inline-block;width:1em;height:1em;background:rgb{label_colour(index)};"
            f"vertical-align:middle'></span> {name}</span>"
            for index, (_, name) in enumerate(names)
        )
        + "</div>"
    )


def measurements(label_path: Path, anatomy: str) -> list[list[Any]]:
    """Rows of (measurement, mm) from the label volume: the femoral head diameter, or each lumbar
    body's height; "not found" where the bone is missing from the labels."""
    import nibabel as nib

    from hybridvision.pipelines.xray2shape.geometry import ANATOMIES
    from hybridvision.pipelines.xray2shape.metrics import femoral_head_diameter_mm, vertebral_body_heights_mm

    image = nib.load(str(label_path))
    label = np.asarray(image.dataobj, dtype=np.int16)
    spacing = float(image.header.get_zooms()[0])
    if anatomy == "femur":
        found = {"femoral head diameter": femoral_head_diameter_mm(label, spacing)}
    else:
        heights = vertebral_body_heights_mm(label, spacing, ANATOMIES[anatomy].label_names)
        found = {f"{level} vertebral body height": value for level, value in heights.items()}
    return [[name, round(value, 1) if np.isfinite(value) else "not found"] for name, value in found.items()]


def case_name(ap: Path) -> str:
    """The name the downloads carry (``<case>_seg.nii.gz``, ``<case>.glb``), as ``predict`` names
    them: the AP file's stem less ``_ap`` or ``-ap`` (any case: ``knee01_AP.png`` -> ``knee01``),
    made safe by ``safe_file_name``; ``case`` when nothing of it survives."""
    from hybridvision.pipelines.common.safe_names import safe_file_name
    from hybridvision.pipelines.xray2shape.files import strip_extension

    stem = AP_SUFFIX.sub("", strip_extension(ap.name))
    safe = safe_file_name(stem)
    return safe if safe.strip("._-+") else "case"  # "Ωμέγα_ap.png" -> "_": no name left


def preview(path: Path) -> np.ndarray:
    """A view as the model reads it (bone bright), for the page."""
    from hybridvision.pipelines.xray2shape.io import read_radiograph

    return to_display(read_radiograph(path).image)


@shows_errors
def reconstruct(ap: Any, lateral: Any, anatomy: str, progress: Any = None, model: str | None = None):
    """Two views -> (AP preview, lateral preview, mesh file, label NIfTI, measurements, status);
    ``model``: one of ``models_for(anatomy)``."""
    found = checkpoints()
    if anatomy not in found:
        raise ValueError(f"no shipped {anatomy} checkpoint (have: {', '.join(found) or 'none'})")
    models = models_for(anatomy)
    if model and model not in models:
        raise ValueError(f"no shipped {anatomy} model {model!r}; choose one of: {', '.join(models)}")
    checkpoint = models[model] if model else next(iter(models.values()))  # the default first
    views = {"ap": uploaded_path(ap), "lat": uploaded_path(lateral)}
    missing = [name for name, path in views.items() if path is None]
    if missing:
        raise ValueError(
            f"upload both views: the {' and '.join('lateral' if m == 'lat' else 'AP' for m in missing)} view is missing"
        )
    report = progress or (lambda *args, **kwargs: None)
    folder = request_folder("xray2shape")
    inputs = folder / "input"
    inputs.mkdir()
    case = case_name(views["ap"])
    ours = {}  # the pipeline pairs <case>_ap.* with <case>_lat.*; errors name the user's own files
    for view, path in views.items():
        suffixes = "".join(path.suffixes[-1:]) or ".png"
        name = f"{case}_{view}{suffixes.lower()}"
        shutil.copy(path, inputs / name)
        ours[name] = path.name
    report(0.2, desc="reconstructing")
    start = time.perf_counter()
    with their_names(ours):
        pictures = [preview(inputs / name) for name in ours]
        notes: dict = {}
        segmentation, mesh = predict_folder(checkpoint, inputs, folder / "output", notes)
    status = f"{anatomy}: labels and mesh in {time.perf_counter() - start:.1f} s (research use only)"
    status += warning_line(notes)
    return (*pictures, str(mesh), str(segmentation), measurements(segmentation, anatomy), status)


@shows_errors
def reconstruct_sample(anatomy: str, progress: Any = None, model: str | None = None):
    ap, lateral = sample_pair(anatomy)
    return (str(ap), str(lateral), *reconstruct(ap, lateral, anatomy, progress, model))


@tab("xray2shape")
def build_tab() -> None:
    import gradio as gr

    anatomies = list(checkpoints())
    gr.Markdown(
        "Two orthogonal radiographs (AP and lateral; PNG, TIFF or DICOM) to 3D bone labels and a mesh, "
        "after Swin-X2S. Trained on generated phantoms only: research use, not for diagnosis."
    )
    with gr.Row():
        with gr.Column(scale=2):
            ap = gr.File(label="AP view", type="filepath", elem_id="xray2shape-ap")
            lateral = gr.File(label="lateral view", type="filepath", elem_id="xray2shape-lat")
            anatomy = gr.Radio(anatomies, value=anatomies[0] if anatomies else None, label="anatomy")
            first = list(models_for(anatomies[0])) if anatomies else []
            model = model_dropdown(first, "model (the first is the anatomy's default)", "xray2shape-model")
            run_button = gr.Button("Reconstruct", variant="primary", elem_id="xray2shape-run")
            sample = gr.Button(
                f"generated case (seed {SAMPLE_SEED})",
                size="sm",
                elem_id="xray2shape-sample",
                elem_classes=SAMPLE_BUTTON,
            )
        with gr.Column(scale=3):
            with gr.Row():
                ap_view = gr.Image(label="AP view", type="numpy", interactive=False, elem_id="xray2shape-ap-view")
                lat_view = gr.Image(
                    label="lateral view", type="numpy", interactive=False, elem_id="xray2shape-lat-view"
                )
            mesh = gr.Model3D(label="bones (mm)", elem_id="xray2shape-mesh")
            colours = gr.HTML(legend(anatomies[0]) if anatomies else "", elem_id="xray2shape-legend")
            table = gr.Dataframe(
                headers=["measurement", "mm"], label="measurements", interactive=False, elem_id="xray2shape-table"
            )
            status = gr.Markdown(elem_id="xray2shape-status")
            labels = gr.File(label="label NIfTI", interactive=False)
    gr.Markdown(RESEARCH_NOTE)
    outputs = [ap_view, lat_view, mesh, labels, table, status]
    blank = (None, None, None, None, None, "")

    def run(ap_file, lateral_file, anatomy_name, model_name, progress=gr.Progress()):
        return reconstruct(ap_file, lateral_file, anatomy_name, progress, model_name)

    def run_sample(anatomy_name, model_name, progress=gr.Progress()):
        return reconstruct_sample(anatomy_name, progress, model_name)

    def anatomy_changed(anatomy_name):
        choices = list(models_for(anatomy_name))
        return gr.update(**model_update(choices)), legend(anatomy_name)

    run_button.click(in_status(run, blank, 5), [ap, lateral, anatomy, model], outputs)
    sample.click(
        in_status(run_sample, (gr.update(),) * 2 + blank, 7),
        [anatomy, model],
        [ap, lateral, *outputs],
        api_name="xray2shape_sample",
    )
    anatomy.change(anatomy_changed, [anatomy], [model, colours])

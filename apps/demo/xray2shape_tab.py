"""The xray2shape tab: an AP and a lateral radiograph in, 3D bone labels and their mesh out.

Files are written exactly as ``hybridvision predict xray2shape`` writes them: a label NIfTI on the
model's grid (millimetre spacing in its header) and one GLB with a node per bone.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from .shared import (
    SAMPLE_BUTTON,
    cached_sample,
    model_choices,
    predict_folder,
    request_folder,
    shipped,
    shows_errors,
    uploaded_path,
)
from .tabs import tab

SAMPLE_SEED = 1000  # samples start at 1000; training seeds start at 1 000 000


def checkpoints() -> dict[str, Path]:
    """Each anatomy's default checkpoint, the one named after it ("femur", "spine")."""
    from hybridvision.pipelines.xray2shape.geometry import ANATOMIES

    return {stem: path for stem, path in sorted(shipped("xray2shape").items()) if stem in ANATOMIES}


def models_for(anatomy: str) -> dict[str, Path]:
    """The shipped models of one anatomy, its default first (``model_choices`` labels)."""
    from hybridvision.pipelines.common.checkpoint import read_metadata

    stems = tuple(
        stem
        for stem, path in shipped("xray2shape").items()
        if read_metadata(path)["config"]["model"].get("anatomy") == anatomy
    )
    choices = model_choices("xray2shape", stems)
    default = checkpoints().get(anatomy)
    return dict(sorted(choices.items(), key=lambda item: item[1] != default))


def sample_pair(anatomy: str) -> tuple[Path, Path]:
    """(AP, lateral) PNGs of a generated case, made once and cached."""

    def make(folder: Path) -> None:
        from hybridvision.pipelines.xray2shape.samples import write_samples

        write_samples(folder, 1, SAMPLE_SEED, anatomy=anatomy)

    folder = cached_sample(f"xray2shape-{anatomy}-{SAMPLE_SEED}", make)
    case = f"{anatomy}_{SAMPLE_SEED:05d}"
    return folder / "inputs" / f"{case}_ap.png", folder / "inputs" / f"{case}_lat.png"


@shows_errors
def reconstruct(ap: Any, lateral: Any, anatomy: str, progress: Any = None, model: str | None = None):
    """Two views -> (mesh file, label NIfTI, status); ``model``: one of ``models_for(anatomy)``."""
    found = checkpoints()
    if anatomy not in found:
        raise ValueError(f"no shipped {anatomy} checkpoint (have: {', '.join(found) or 'none'})")
    models = models_for(anatomy)
    if model and model not in models:
        raise ValueError(f"no shipped {anatomy} model {model!r}; choose one of: {', '.join(models)}")
    checkpoint = models[model] if model else found[anatomy]
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
    for view, path in views.items():  # the pipeline pairs <case>_ap.* with <case>_lat.*
        suffixes = "".join(path.suffixes[-1:]) or ".png"
        shutil.copy(path, inputs / f"case_{view}{suffixes.lower()}")
    report(0.2, desc="reconstructing")
    start = time.perf_counter()
    segmentation, mesh = predict_folder(checkpoint, inputs, folder / "output")
    status = f"{anatomy}: labels and mesh in {time.perf_counter() - start:.1f} s (research use only)"
    return str(mesh), str(segmentation), status


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
            model = gr.Dropdown(
                first,
                value=first[0] if first else None,
                label="model (the first is the anatomy's default)",
                visible=len(first) > 1,
                elem_id="xray2shape-model",
            )
            run_button = gr.Button("Reconstruct", variant="primary", elem_id="xray2shape-run")
            sample = gr.Button(
                f"generated case (seed {SAMPLE_SEED})",
                size="sm",
                elem_id="xray2shape-sample",
                elem_classes=SAMPLE_BUTTON,
            )
        with gr.Column(scale=3):
            mesh = gr.Model3D(label="bones (mm)", elem_id="xray2shape-mesh")
            status = gr.Markdown(elem_id="xray2shape-status")
            labels = gr.File(label="label NIfTI", interactive=False)

    def run(ap_file, lateral_file, anatomy_name, model_name, progress=gr.Progress()):
        return reconstruct(ap_file, lateral_file, anatomy_name, progress, model_name)

    def run_sample(anatomy_name, model_name, progress=gr.Progress()):
        return reconstruct_sample(anatomy_name, progress, model_name)

    def anatomy_models(anatomy_name):
        choices = list(models_for(anatomy_name))
        return gr.update(choices=choices, value=choices[0] if choices else None, visible=len(choices) > 1)

    run_button.click(run, [ap, lateral, anatomy, model], [mesh, labels, status])
    sample.click(run_sample, [anatomy, model], [ap, lateral, mesh, labels, status])
    anatomy.change(anatomy_models, [anatomy], [model])

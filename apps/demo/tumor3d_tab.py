"""The tumor3d tab: four MRI modalities in, BraTS labels out, with a slice viewer and a 3D surface.

Views follow the neurological convention (patient's right on the screen's right), from the volume
reoriented to RAS: axial seen from above with anterior up, coronal from the front and sagittal
from the patient's left, superior up.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .shared import (
    SAMPLE_BUTTON,
    cached_sample,
    model_choices,
    predict_folder,
    request_folder,
    shows_errors,
    to_display,
    uploaded_path,
)
from .tabs import tab

MODALITY_LABELS = {"t1": "T1", "t1ce": "T1ce (contrast)", "t2": "T2", "flair": "FLAIR"}
SAMPLE_SEED = 1000  # generated cases from seed 1000 on are never trained on
COMPARTMENTS = {  # label value -> (name, RGB); regions nest: ET in TC in WT
    1: ("necrotic / non-enhancing core", (220, 50, 47)),
    2: ("oedema", (0, 170, 90)),
    4: ("enhancing tumour", (250, 210, 0)),
}
PLANES = ("axial", "coronal", "sagittal")
PLANE_AXIS = {"axial": 2, "coronal": 1, "sagittal": 0}  # the RAS axis each plane cuts

LEGEND = (
    "<div style='display:flex;gap:1em;flex-wrap:wrap'>"
    + "".join(
        f"<span><span style='display:inline-block;width:1em;height:1em;background:rgb{colour};"
        f"vertical-align:middle'></span> {name} ({value})</span>"
        for value, (name, colour) in COMPARTMENTS.items()
    )
    + "</div><div>WT (whole tumour) = all three; TC (tumour core) = core + enhancing; ET = enhancing.</div>"
)


def checkpoint(model: str | None = None) -> Path:
    """The chosen shipped model (a label of ``model_choices``), else the task's default."""
    from hybridvision.pipelines.common.checkpoint import default_checkpoint

    if model:
        choices = model_choices("tumor3d")
        if model not in choices:
            raise ValueError(f"no shipped tumor3d model {model!r}; choose one of: {', '.join(choices)}")
        return choices[model]
    return default_checkpoint("tumor3d")


def sample_case() -> list[Path]:
    """The generated sample case's four files (made once: a 2 mm grid, a few seconds)."""

    def make(folder: Path) -> None:
        from hybridvision.pipelines.tumor3d.samples import write_samples

        write_samples(folder, 1, SAMPLE_SEED, spacing=2.0)

    folder = cached_sample(f"tumor3d-{SAMPLE_SEED}", make)
    case = next((folder / "inputs").iterdir())
    return [case / f"{case.name}_{modality}.nii.gz" for modality in MODALITY_LABELS]


def nifti_suffix(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".nii.gz"):
        return ".nii.gz"
    if name.endswith(".nii"):
        return ".nii"
    raise ValueError(f"{path.name}: not a NIfTI file (.nii or .nii.gz)")


def region_volumes(label: np.ndarray, voxel_mm3: float) -> list[list[Any]]:
    """Rows of (region, mL) for WT, TC and ET."""
    import torch

    from hybridvision.pipelines.tumor3d.transforms import label_to_regions

    counts = label_to_regions(torch.from_numpy(np.ascontiguousarray(label))).sum(dim=(1, 2, 3)).tolist()
    names = ("WT whole tumour", "TC tumour core", "ET enhancing")
    return [[name, round(count * voxel_mm3 / 1000.0, 2)] for name, count in zip(names, counts)]


def slice_of(volume: np.ndarray, plane: str, position: float) -> np.ndarray:
    """A 2D view of an RAS volume at ``position`` (0-100 % along the plane's axis), screen-oriented."""
    axis = PLANE_AXIS[plane]
    index = int(round(position / 100.0 * (volume.shape[axis] - 1)))
    view = np.take(volume, index, axis=axis)
    return np.flipud(view.T)


def render(state: dict | None, plane: str, position: float) -> np.ndarray | None:
    """The FLAIR slice with the label overlay, as an RGB uint8 image."""
    if not state:
        return None
    grey = slice_of(state["background"], plane, position)
    label = slice_of(state["label"], plane, position)
    rgb = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
    for value, (_, colour) in COMPARTMENTS.items():
        mask = label == value
        rgb[mask] = 0.45 * rgb[mask] + 0.55 * np.array(colour, np.float32)
    scale = max(1, 384 // max(rgb.shape[:2]))  # small volumes are enlarged for the page
    rgb = rgb.repeat(scale, axis=0).repeat(scale, axis=1)
    return rgb.round().astype(np.uint8)


def tumour_centre(label: np.ndarray, plane: str) -> float:
    """Position (%) of the tumour's centre along a plane's axis (50 without a tumour)."""
    axis = PLANE_AXIS[plane]
    found = np.nonzero(label)
    if not found[0].size:
        return 50.0
    return float(np.mean(found[axis]) / max(label.shape[axis] - 1, 1) * 100.0)


@shows_errors
def segment(
    t1: Any, t1ce: Any, t2: Any, flair: Any, plane: str = "axial", progress: Any = None, model: str | None = None
):
    """Segment one case with ``model`` (default: the task's); returns (state, slice, position, volumes,
    label file, mesh file, status)."""
    import nibabel as nib

    from hybridvision.pipelines.common.mesh import write_label_meshes

    files = dict(zip(MODALITY_LABELS, (uploaded_path(v) for v in (t1, t1ce, t2, flair))))
    missing = [MODALITY_LABELS[m] for m, path in files.items() if path is None]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}: upload all four modalities or pick the sample case")
    folder = request_folder("tumor3d")
    case = folder / "input" / "case"
    case.mkdir(parents=True)
    for modality, path in files.items():
        shutil.copy(path, case / f"case_{modality}{nifti_suffix(path)}")
    report = progress or (lambda *args, **kwargs: None)
    report(0.1, desc="segmenting (sliding window on the CPU)")
    (label_path,) = predict_folder(checkpoint(model), case, folder / "output")
    report(0.8, desc="surface mesh")
    label_image = nib.as_closest_canonical(nib.load(str(label_path)))
    label = np.asarray(label_image.dataobj, dtype=np.uint8)
    flair_image = nib.as_closest_canonical(nib.load(str(case / f"case_flair{nifti_suffix(files['flair'])}")))
    background = to_display(flair_image.get_fdata(dtype=np.float32))
    mesh_path = folder / "output" / "tumour.glb"
    names = {value: name for value, (name, _) in COMPARTMENTS.items()}
    write_label_meshes(label, label_image.affine, names, mesh_path, smoothing=10)
    download = folder / "output" / output_name(files["flair"])
    if download != label_path:
        label_path = Path(shutil.move(label_path, download))
    voxel_mm3 = float(np.prod(label_image.header.get_zooms()[:3]))
    state = {"background": background, "label": label}
    position = tumour_centre(label, plane)
    volumes = region_volumes(label, voxel_mm3)
    zooms = " x ".join(f"{z:g}" for z in label_image.header.get_zooms()[:3])
    shape = " x ".join(str(n) for n in label.shape)
    status = f"done: {shape} voxels of {zooms} mm; whole tumour {volumes[0][1]} mL"
    return state, render(state, plane, position), position, volumes, str(label_path), str(mesh_path), status


def segment_sample(plane: str = "axial", progress: Any = None, model: str | None = None):
    """The sample case: fills the four upload boxes too."""
    paths = sample_case()
    return (*[str(p) for p in paths], *segment(*paths, plane=plane, progress=progress, model=model))


def change_plane(state: dict | None, plane: str):
    """A new plane opens at the tumour's centre."""
    position = tumour_centre(state["label"], plane) if state else 50.0
    return render(state, plane, position), position


def output_name(flair: Path) -> str:
    """``<case>_seg.nii.gz`` named after the uploaded FLAIR file's case, as predict names it."""
    from hybridvision.pipelines.tumor3d.io import parse_name

    parsed = parse_name(flair)
    return f"{parsed[0] if parsed else 'case'}_seg.nii.gz"


@tab("tumor3d")
def build_tab() -> None:
    import gradio as gr

    gr.Markdown(
        "Brain-tumour segmentation from four co-registered MRI modalities (BraTS-style NIfTI). "
        "Labels: 1 necrotic core, 2 oedema, 4 enhancing (BraTS 2021)."
    )
    with gr.Row():
        uploads = [
            gr.File(label=label, file_types=[".nii", ".gz"], type="filepath", elem_id=f"tumor3d-{key}")
            for key, label in MODALITY_LABELS.items()
        ]
    with gr.Row():
        sample_button = gr.Button(
            "Try the sample case (generated)",
            variant="secondary",
            elem_id="tumor3d-sample",
            elem_classes=SAMPLE_BUTTON,
        )
        run_button = gr.Button("Segment", variant="primary", elem_id="tumor3d-run")
    choices = list(model_choices("tumor3d"))
    model = gr.Dropdown(
        choices,
        value=choices[0],
        label="model (the first is the default, best on held-out cases; see the README)",
        visible=len(choices) > 1,
        elem_id="tumor3d-model",
    )
    status = gr.Markdown(elem_id="tumor3d-status")
    state = gr.State()
    with gr.Row():
        with gr.Column(scale=3):
            view = gr.Image(label="FLAIR with labels", type="numpy", interactive=False, elem_id="tumor3d-view")
            plane = gr.Radio(list(PLANES), value="axial", label="plane")
            position = gr.Slider(0, 100, value=50, step=0.5, label="slice position (%)")
            gr.HTML(LEGEND)
        with gr.Column(scale=2):
            volumes = gr.Dataframe(headers=["region", "volume (mL)"], label="tumour volumes", interactive=False)
            surface = gr.Model3D(label="tumour surface (mm)", elem_id="tumor3d-mesh")
            download = gr.File(label="label NIfTI", interactive=False)
    outputs = [state, view, position, volumes, download, surface, status]

    def run(t1, t1ce, t2, flair, plane_value, model_value, progress=gr.Progress()):
        return segment(t1, t1ce, t2, flair, plane_value, progress, model_value)

    def run_sample(plane_value, model_value, progress=gr.Progress()):
        return segment_sample(plane_value, progress, model_value)

    run_button.click(run, [*uploads, plane, model], outputs)
    sample_button.click(run_sample, [plane, model], [*uploads, *outputs])
    plane.change(change_plane, [state, plane], [view, position])
    position.change(render, [state, plane, position], view)

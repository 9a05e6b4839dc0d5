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
    cached_sample,
    model_choices,
    predict_folder,
    request_folder,
    shows_errors,
    their_names,
    to_display,
    uploaded_path,
    warning_line,
)

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


ORIENTATION = {  # screen edge -> the patient's side there (left, right, top, bottom)
    "axial": ("L", "R", "A", "P"),
    "coronal": ("L", "R", "S", "I"),
    "sagittal": ("P", "A", "S", "I"),
}


def slice_of(volume: np.ndarray, plane: str, index: int) -> np.ndarray:
    """A 2D view of an RAS volume at slice ``index`` along the plane's axis (clipped), screen-oriented."""
    axis = PLANE_AXIS[plane]
    view = np.take(volume, int(np.clip(index, 0, volume.shape[axis] - 1)), axis=axis)
    return np.flipud(view.T)


def windowed(volume: np.ndarray, robust: tuple[float, float], window: float, level: float) -> np.ndarray:
    """uint8 grey of a volume: ``level`` (%) is the centre and ``window`` (%) the width, both of the
    volume's robust range (1st to 99.5th percentile); 100 / 50 shows that range as it is."""
    low, high = robust
    span = max(high - low, 1e-12)
    centre, width = low + level / 100.0 * span, max(window, 1.0) / 100.0 * span
    return to_display(volume, centre - width / 2, centre + width / 2)


def with_orientation(rgb: np.ndarray, plane: str) -> np.ndarray:
    """The patient's side written at each edge's middle (L/R, A/P, S/I)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, rgb.shape[0] // 24))
    height, width = rgb.shape[:2]
    left, right, top, bottom = ORIENTATION[plane]
    margin = 4
    for letter, (x, y, anchor) in {
        left: (margin, height / 2, "lm"),
        right: (width - margin, height / 2, "rm"),
        top: (width / 2, margin, "mt"),
        bottom: (width / 2, height - margin, "mb"),
    }.items():
        draw.text((x, y), letter, fill=(255, 255, 255), font=font, anchor=anchor, stroke_width=2, stroke_fill=(0, 0, 0))
    return np.asarray(image)


def render(state: dict | None, plane: str, index: int, window: float = 100.0, level: float = 50.0) -> np.ndarray | None:
    """The FLAIR slice (window / level) with the label overlay and orientation letters, RGB uint8."""
    if not state:
        return None
    grey = windowed(slice_of(state["flair"], plane, index), state["robust"], window, level)
    label = slice_of(state["label"], plane, index)
    rgb = np.repeat(grey[..., None], 3, axis=-1).astype(np.float32)
    for value, (_, colour) in COMPARTMENTS.items():
        mask = label == value
        rgb[mask] = 0.45 * rgb[mask] + 0.55 * np.array(colour, np.float32)
    scale = max(1, 384 // max(rgb.shape[:2]))  # small volumes are enlarged for the page
    rgb = rgb.repeat(scale, axis=0).repeat(scale, axis=1)
    return with_orientation(rgb.round().astype(np.uint8), plane)


def tumour_centre(label: np.ndarray, plane: str) -> int:
    """The slice through the tumour's centre along a plane's axis (the middle slice without a tumour)."""
    axis = PLANE_AXIS[plane]
    found = np.nonzero(label)
    if not found[0].size:
        return (label.shape[axis] - 1) // 2
    return int(round(float(np.mean(found[axis]))))


def slice_control(state: dict | None, plane: str, index: int | None = None):
    """The slice slider for a plane: 0 to the last slice, at ``index`` (default: the tumour's centre)."""
    import gradio as gr

    if not state:
        return gr.update()
    last = state["label"].shape[PLANE_AXIS[plane]] - 1
    value = tumour_centre(state["label"], plane) if index is None else index
    return gr.update(minimum=0, maximum=last, value=value, step=1, label=f"{plane} slice (0-{last})")


@shows_errors
def segment(
    t1: Any,
    t1ce: Any,
    t2: Any,
    flair: Any,
    plane: str = "axial",
    progress: Any = None,
    model: str | None = None,
    window: float = 100.0,
    level: float = 50.0,
):
    """Segment one case with ``model`` (default: the task's); returns (state, slice, slice slider,
    volumes, label file, mesh file, status)."""
    import nibabel as nib

    files = dict(zip(MODALITY_LABELS, (uploaded_path(v) for v in (t1, t1ce, t2, flair))))
    missing = [MODALITY_LABELS[m] for m, path in files.items() if path is None]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}: upload all four modalities or pick the sample case")
    folder = request_folder("tumor3d")
    case = folder / "input" / "case"
    case.mkdir(parents=True)
    ours = {}  # the pipeline reads <case>_<modality>.nii.gz; errors name the user's own files
    for modality, path in files.items():
        name = f"case_{modality}{nifti_suffix(path)}"
        shutil.copy(path, case / name)
        ours[name] = path.name
    report = progress or (lambda *args, **kwargs: None)
    report(0.1, desc="segmenting (sliding window on the CPU)")
    notes: dict = {}
    with their_names(ours):
        (label_path,) = predict_folder(checkpoint(model), case, folder / "output", notes)
    flair_image = nib.load(str(case / f"case_flair{nifti_suffix(files['flair'])}"))
    download = folder / "output" / output_name(files["flair"])
    if download != label_path:
        label_path = Path(shutil.move(label_path, download))
    return present(label_path, flair_image, folder / "output", notes, plane, window, level, report)


def present(label_path: Path, flair_image, folder: Path, notes: dict, plane: str, window: float, level: float, report):
    """The viewer's outputs for a written label and its FLAIR image: (state, slice, slice slider,
    volumes, label file, mesh file, status)."""
    import nibabel as nib

    from hybridvision.pipelines.common.mesh import write_label_meshes

    report(0.8, desc="surface mesh")
    label_image = nib.as_closest_canonical(nib.load(str(label_path)))
    label = np.asarray(label_image.dataobj, dtype=np.uint8)
    flair_volume = nib.as_closest_canonical(flair_image).get_fdata(dtype=np.float32)
    finite = flair_volume[np.isfinite(flair_volume)]
    robust = tuple(float(v) for v in np.percentile(finite, (1, 99.5))) if finite.size else (0.0, 1.0)
    mesh_path = folder / "tumour.glb"
    names = {value: name for value, (name, _) in COMPARTMENTS.items()}
    colours = {value: colour for value, (_, colour) in COMPARTMENTS.items()}  # the legend's, as on the slices
    write_label_meshes(label, label_image.affine, names, mesh_path, colours=colours)
    voxel_mm3 = float(np.prod(label_image.header.get_zooms()[:3]))
    state = {"flair": np.nan_to_num(flair_volume), "robust": robust, "label": label}
    index = tumour_centre(label, plane)
    volumes = region_volumes(label, voxel_mm3)
    zooms = " x ".join(f"{z:g}" for z in label_image.header.get_zooms()[:3])
    shape = " x ".join(str(n) for n in label.shape)
    status = f"done: {shape} voxels of {zooms} mm; whole tumour {volumes[0][1]} mL" + warning_line(notes)
    view = render(state, plane, index, window, level)
    return state, view, slice_control(state, plane, index), volumes, str(label_path), str(mesh_path), status


def segment_sample(
    plane: str = "axial", progress: Any = None, model: str | None = None, window: float = 100.0, level: float = 50.0
):
    """The sample case: fills the four upload boxes too."""
    paths = sample_case()
    return (*[str(p) for p in paths], *segment(*paths, plane, progress, model, window, level))


def change_plane(state: dict | None, plane: str, window: float = 100.0, level: float = 50.0):
    """A new plane opens at the tumour's centre."""
    index = tumour_centre(state["label"], plane) if state else 0
    return render(state, plane, index, window, level), slice_control(state, plane, index)


def output_name(flair: Path) -> str:
    """``<case>_seg.nii.gz`` named after the uploaded FLAIR file's case, as predict names it."""
    from hybridvision.pipelines.tumor3d.io import parse_name

    parsed = parse_name(flair)
    return f"{parsed[0] if parsed else 'case'}_seg.nii.gz"

"""The tumor3d tab's page: the NIfTI and DICOM routes' controls wired to their handlers
(``tumor3d_tab`` and ``tumor3d_dicom``), which import nothing of the page."""

from __future__ import annotations

from .shared import RESEARCH_NOTE, SAMPLE_BUTTON, in_status, model_choices, model_dropdown
from .tabs import tab
from .tumor3d_dicom import segment_dicom
from .tumor3d_tab import (
    LEGEND,
    MODALITY_LABELS,
    PLANES,
    change_plane,
    render,
    segment,
    segment_sample,
)


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
    with gr.Accordion("Or a DICOM study: its files, or one .zip of them", open=False):
        dicom_files = gr.File(
            label="DICOM files (T1, T1ce, T2 and FLAIR series; names and folders do not matter)",
            file_count="multiple",
            type="filepath",
            elem_id="tumor3d-dicom",
        )
        dicom_button = gr.Button("Segment the DICOM study", elem_id="tumor3d-dicom-run")
        dicom_seg = gr.File(label="DICOM-SEG (references the T1ce series)", interactive=False, elem_id="tumor3d-seg")
    choices = list(model_choices("tumor3d"))
    model = model_dropdown(
        choices, "model (the first is the default, best on held-out cases; see the README)", "tumor3d-model"
    )
    status = gr.Markdown(elem_id="tumor3d-status")
    state = gr.State()
    with gr.Row():
        with gr.Column(scale=3):
            view = gr.Image(label="FLAIR with labels", type="numpy", interactive=False, elem_id="tumor3d-view")
            plane = gr.Radio(list(PLANES), value="axial", label="plane")
            index = gr.Slider(0, 1, value=0, step=1, label="slice", elem_id="tumor3d-slice")
            with gr.Row():
                window = gr.Slider(5, 200, value=100, step=5, label="window (% of the intensity range)")
                level = gr.Slider(0, 100, value=50, step=1, label="level (%)")
            gr.HTML(LEGEND, elem_id="tumor3d-legend")
        with gr.Column(scale=2):
            volumes = gr.Dataframe(headers=["region", "volume (mL)"], label="tumour volumes", interactive=False)
            surface = gr.Model3D(label="tumour surface (mm), coloured as the legend", elem_id="tumor3d-mesh")
            download = gr.File(label="label NIfTI", interactive=False)
    gr.Markdown(RESEARCH_NOTE)
    outputs = [state, view, index, volumes, download, surface, status]
    blank = (None, None, gr.update(), None, None, None, "")

    def run(t1, t1ce, t2, flair, plane_value, model_value, window_value, level_value, progress=gr.Progress()):
        return segment(t1, t1ce, t2, flair, plane_value, progress, model_value, window_value, level_value)

    def run_sample(plane_value, model_value, window_value, level_value, progress=gr.Progress()):
        return segment_sample(plane_value, progress, model_value, window_value, level_value)

    controls = [plane, model, window, level]
    run_button.click(in_status(run, blank, 6), [*uploads, *controls], outputs)
    sample_button.click(
        in_status(run_sample, (gr.update(),) * 4 + blank, 10), controls, [*uploads, *outputs], api_name="tumor3d_sample"
    )

    def run_dicom(files, plane_value, model_value, window_value, level_value, progress=gr.Progress()):
        return segment_dicom(files, plane_value, progress, model_value, window_value, level_value)

    dicom_button.click(in_status(run_dicom, (*blank, None), 6), [dicom_files, *controls], [*outputs, dicom_seg])
    plane.change(change_plane, [state, plane, window, level], [view, index])
    for control in (index, window, level):
        control.change(render, [state, plane, index, window, level], view)

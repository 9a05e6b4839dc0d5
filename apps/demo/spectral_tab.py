"""The spectral tab: a hyperspectral cube in, an RGB composite, the class map with legend and area per class.

The band-subset control runs the same ChannelViT on part of the bands (as when a sensor loses its
SWIR), which is what Hierarchical Channel Sampling trained it for. Files are written exactly as
``hybridvision predict spectral`` writes them.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from .shared import (
    NODATA_VIEW,
    SAMPLE_BUTTON,
    cached_sample,
    in_status,
    model_dropdown,
    models_where,
    over_checkerboard,
    predict_folder,
    request_folder,
    shipped,
    shows_errors,
    to_display,
    uploaded_path,
    warning_line,
)
from .spectral_products import PRODUCT_SEED, classify_product, sample_product
from .spectral_truth import accuracy_line, is_truth, truth_for
from .tabs import tab

SAMPLE_SEED = 1000  # never trained on (the shipped model saw seeds 0-3)
MAX_PIXELS = 1024 * 1024  # the page stays interactive; the CLI streams any size
SUBSETS = {
    "all bands": "all",
    "every other band": "every-other",
    "first half (SWIR lost)": "first-half",
    "second half": "second-half",
}
RGB_NM = (640.0, 550.0, 460.0)


def scene_models() -> dict[str, Path]:
    """The shipped scene models (``model_choices`` labels), the default ``scene`` first; chips
    models classify chip folders, not scenes, and are left out."""
    return models_where(
        "spectral", lambda config: "scene" in config["data"].get("task", "scene"), shipped("spectral").get("scene")
    )


def checkpoint(model: str | None = None) -> Path:
    """The chosen scene model (a label of ``scene_models``), else the default ``scene``."""
    models = scene_models()
    if model:
        if model not in models:
            raise ValueError(f"no shipped spectral scene model {model!r}; choose one of: {', '.join(models)}")
        return models[model]
    found = shipped("spectral")
    if "scene" not in found:
        raise ValueError("no shipped spectral scene checkpoint in this installation")
    return found["scene"]


def sample_scene() -> tuple[Path, Path]:
    """(cube, truth) of a generated 145 x 145, 128-band scene, made once and cached."""

    def make(folder: Path) -> None:
        from hybridvision.pipelines.spectral.samples import write_samples

        write_samples(folder, 1, SAMPLE_SEED, kind="scene", size=145, bands=128, progress=lambda message: None)

    folder = cached_sample(f"spectral-scene-{SAMPLE_SEED}", make)
    return folder / "inputs" / f"scene_{SAMPLE_SEED}.tif", folder / "truth" / f"scene_{SAMPLE_SEED}_classes.tif"


def pick_cube(paths: list[Path]) -> Path:
    """The cube among uploaded files: an ENVI header (its data file uploaded beside it) or one cube
    file; a class map uploaded beside it (``<scene>_classes.tif``) is its truth, not a cube."""
    from hybridvision.pipelines.spectral.io import CUBE_SUFFIXES

    headers = [p for p in paths if p.suffix.lower() == ".hdr"]
    cubes = headers or [p for p in paths if p.suffix.lower() in CUBE_SUFFIXES and not is_truth(p)]
    if len(cubes) != 1:
        names = ", ".join(p.name for p in paths) or "nothing"
        raise ValueError(f"upload one cube (GeoTIFF, .mat, .npy, or an ENVI .hdr with its data file); got {names}")
    return cubes[0]


def rgb_composite(path: Path) -> np.ndarray:
    """Bands nearest 640/550/460 nm (or three spread bands without wavelengths), stretched to 8-bit
    RGB; a pixel that is a hole in any of the three is drawn as transparency (a checkerboard)."""
    from hybridvision.pipelines.spectral.scene import open_scene

    source = open_scene(path)
    try:
        if source.height * source.width > MAX_PIXELS:
            raise ValueError(
                f"{path.name}: {source.width}x{source.height} is larger than this demo takes; "
                "use `hybridvision predict spectral`, which runs strip by strip"
            )
        data, holes = source.read(0, source.height)
    finally:
        source.close()
    if source.wavelengths:
        wavelengths = np.asarray(source.wavelengths)
        bands = [int(np.abs(wavelengths - nm).argmin()) for nm in RGB_NM]
    else:
        bands = [int(round(f * (len(data) - 1))) for f in (0.5, 0.3, 0.1)]
    rgb = data[bands].transpose(1, 2, 0)
    valid = ~holes[bands].any(0)
    low, high = np.percentile(rgb[valid], (1, 99)) if valid.any() else (0.0, 1.0)
    return over_checkerboard(to_display(rgb, float(low), float(high)), ~valid)


@shows_errors
def classify(files: Any, subset_label: str, truth: Path | None = None, progress: Any = None, model: str | None = None):
    """Classify one cube; returns (RGB composite, class map preview, area rows, class map file, status)."""
    from hybridvision.pipelines.common.products import is_product
    from hybridvision.pipelines.spectral.bands import band_subset
    from hybridvision.pipelines.spectral.landcover_geotiff import is_geotiff, names_satellite_bands
    from hybridvision.pipelines.spectral.writers import class_areas

    from .shared import load_model

    values = files if isinstance(files, (list, tuple)) else [files] if files else []
    paths = [p for p in (uploaded_path(v) for v in values) if p is not None]
    report = progress or (lambda *args, **kwargs: None)
    products = [p for p in paths if is_product(p) or (is_geotiff(p) and names_satellite_bands(p))]
    if products:  # a Sentinel-2 or Landsat product, or a GeoTIFF of their bands: land cover of its centre
        return classify_product(products[0], subset_label, truth, request_folder("spectral"), report)
    cube = pick_cube(paths)
    folder = request_folder("spectral")
    (folder / "input").mkdir()
    for path in paths:  # keep the names: an ENVI header finds its data file by name
        shutil.copy(path, folder / "input" / path.name)
    truth = truth or truth_for(cube, paths, sample_scene)
    report(0.05, desc="reading")
    rgb = rgb_composite(folder / "input" / cube.name)
    report(0.2, desc="classifying pixel by pixel")
    start = time.perf_counter()
    subset = SUBSETS.get(subset_label, "all")
    notes: dict = {}
    chosen = checkpoint(model)
    outputs = predict_folder(chosen, folder / "input" / cube.name, folder / "output", notes, bands=subset)
    tif, png = (next(p for p in outputs if p.name.endswith(suffix)) for suffix in ("_classes.tif", "_classes.png"))
    seconds = time.perf_counter() - start
    pipeline, _, _ = load_model(str(chosen))
    areas = class_areas(tif, pipeline.model_cfg.classes)
    rows = [[a["class"], a["pixels"], "" if a["hectares"] is None else round(a["hectares"], 2)] for a in areas]
    bands = pipeline.model_cfg.bands
    kept = len(band_subset(subset, bands))
    status = f"{cube.name}: {kept} of the model's {bands} bands, {seconds:.1f} s"
    if truth is not None:
        status += accuracy_line(tif, truth)
    status += warning_line(notes)
    return rgb, str(png), rows, str(tif), status


@shows_errors
def classify_sample(subset_label: str, progress: Any = None, model: str | None = None):
    cube, truth = sample_scene()
    return (str(cube), *classify(str(cube), subset_label, truth, progress, model))


@shows_errors
def classify_sample_product(subset_label: str, progress: Any = None, model: str | None = None):
    product, truth = sample_product()
    return (str(product), *classify(str(product), subset_label, truth, progress, model))


@tab("spectral")
def build_tab() -> None:
    import gradio as gr

    gr.Markdown(
        "Hyperspectral scene classification, pixel by pixel (ChannelViT trained with Hierarchical Channel "
        "Sampling; or, as the second model, a frozen ImageNet Lite0 read through a band adapter, trained on "
        "10 labelled pixels per class). Choose a band subset to see how the model copes when bands are "
        "missing. The class map GeoTIFF keeps the input's CRS and transform. A Sentinel-2 or Landsat product "
        "goes to the land-cover model (water, tree cover, grassland, cropland, built-up, bare soil, wetland); "
        "a real L2A zip (0.6-1.2 GB) is over the upload limit: crop it with `hybridvision predict spectral "
        "--input <product> --bbox west,south,east,north`."
    )
    with gr.Row():
        with gr.Column(scale=2):
            upload = gr.File(
                label="cube (GeoTIFF, ENVI .hdr + data, .mat, .npy), and its <scene>_classes.tif to score it; or a "
                "Sentinel-2 L2A .SAFE.zip or Landsat .tar (land cover of its centre 512 x 512)",
                file_count="multiple",
                type="filepath",
                elem_id="spectral-input",
            )
            subset = gr.Radio(list(SUBSETS), value="all bands", label="bands", elem_id="spectral-bands")
            choices = list(scene_models())
            model = model_dropdown(
                choices, "model (the first is the default, best on held-out scenes; see the README)", "spectral-model"
            )
            run_button = gr.Button("Classify", variant="primary", elem_id="spectral-run")
            sample = gr.Button(
                f"generated scene (seed {SAMPLE_SEED}, never trained on)",
                size="sm",
                elem_id="spectral-sample-0",
                elem_classes=SAMPLE_BUTTON,
            )
            sample_product_button = gr.Button(
                f"generated Sentinel-2 L2A product (seed {PRODUCT_SEED}): land cover",
                size="sm",
                elem_id="spectral-sample-1",
                elem_classes=SAMPLE_BUTTON,
            )
        with gr.Column(scale=3):
            with gr.Row():
                rgb = gr.Image(label="RGB composite", type="numpy", elem_id="spectral-rgb")
                classes = gr.Image(
                    label="class map", type="filepath", elem_id="spectral-classes", elem_classes=NODATA_VIEW
                )
            status = gr.Markdown(elem_id="spectral-status")
            areas = gr.Dataframe(headers=["class", "pixels", "hectares"], label="area per class", interactive=False)
            download = gr.File(label="class map (GeoTIFF)", interactive=False)

    def run(files, subset_label, model_name, progress=gr.Progress()):
        return classify(files, subset_label, None, progress, model_name)

    def run_sample(subset_label, model_name, progress=gr.Progress()):
        cube, *rest = classify_sample(subset_label, progress, model_name)
        return [cube], *rest

    def run_sample_product(subset_label, model_name, progress=gr.Progress()):
        product, *rest = classify_sample_product(subset_label, progress, model_name)
        return [product], *rest

    outputs = [rgb, classes, areas, download, status]
    blank = (None, None, None, None, "")
    run_button.click(in_status(run, blank, 4), [upload, subset, model], outputs)
    sample.click(
        in_status(run_sample, (gr.update(),) + blank, 5),
        [subset, model],
        [upload, *outputs],
        api_name="spectral_sample",
    )
    sample_product_button.click(
        in_status(run_sample_product, (gr.update(),) + blank, 5),
        [subset, model],
        [upload, *outputs],
        api_name="spectral_sample_product",
    )

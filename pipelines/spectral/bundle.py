"""``hybridvision export-bundle spectral``: a MONAI bundle of a spectral classification checkpoint.

Its ``run`` is the runner ``predict`` uses (``common/runner_bundle.py``): cubes, GeoTIFFs and
Sentinel-2 / Landsat products are read window by window and the class maps (with confidence, and
STAC Items for georeferenced inputs) written exactly as ``hybridvision predict spectral`` does. Run
it with::

    python -m monai.bundle run --config_file configs/inference.json --meta_file configs/metadata.json \\
        --bundle_root BUNDLE --dataset_dir SCENES --output_dir OUT
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..common.bundle import BundleSpec, export
from ..common.runner_bundle import runner_inference


def bundle_spec(pipeline, meta: dict) -> BundleSpec:
    model = pipeline.model_cfg
    dense = model.decoder.name != "classifier"  # a class map per window, else one class per pixel's patch
    side = model.patch
    sensors = " and ".join(model.sensors) if model.sensors else f"a {model.bands}-band imaging spectrometer"
    classes = ", ".join(model.classes)
    return BundleSpec(
        example_input=torch.rand(1, model.bands, side, side),
        formats={"image": ("image", "magnitude", "multispectral"), "pred": ("image", "classes", "multispectral")},
        spatial_shape=[side, side],
        output_shape=[side, side] if dense else [],
        inference=runner_inference(meta["config"]),
        title=f"hybridvision spectral ({pipeline.data_cfg.task}): classification of {sensors} data",
        notice="Research use only. Class maps of generated training data; validate on your own scenes before "
        "using any area figure.",
        input_output=[
            "A folder of scenes as `hybridvision predict spectral` takes it: GeoTIFF, ENVI or .mat cubes, and for",
            "land-cover models Sentinel-2 L2A and Landsat Collection 2 Level-2 products (zip, SAFE or folder).",
            f"Output per scene: `<scene>_classes.tif` (value i + 1 = class i: {classes}; 0 = no data),",
            "`<scene>_confidence.tif` where the model gives one, a preview PNG and a STAC Item for georeferenced",
            "inputs; CRS, transform and nodata kept; `report.json` beside them.",
        ],
        dataset_hint="/path/to/scenes",
        run_note="The run is hybridvision's batch runner with this bundle's network: reading, windows and writing "
        "are predict's own, so the outputs are predict's.",
        training="Trained on generated scenes (hybridvision's spectral library through each sensor's band responses)",
        limits=[
            "Trained on generated reflectance, not on labelled satellite or airborne data; real atmospheres,",
            "seasons and sensors differ. Validate on your own labelled scenes.",
        ],
        fields={
            "task": f"Per-pixel classification of {sensors} data into {len(model.classes)} classes",
            "description": f"{model.backbone.name} + {model.decoder.name} (after ChannelViT and LoLA-SpecViT): bands "
            "embedded by wavelength, robust to missing bands.",
            "intended_use": "Research; land-cover and material maps from multispectral and hyperspectral data",
            "data_source": "hybridvision's generated scenes (spectral library, sensor band responses, clouds)",
            "data_type": "geotiff, envi, mat, Sentinel-2 and Landsat products",
            "references": ["Bao et al., ChannelViT, ICLR 2024", "LoLA-SpecViT, 2025"],
        },
    )


def export_bundle(checkpoint: Path, output: Path) -> dict[str, str]:
    """Write a MONAI bundle for a spectral checkpoint into ``output``; returns export statuses."""
    return export(checkpoint, output, "spectral", bundle_spec)

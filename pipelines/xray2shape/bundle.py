"""``hybridvision export-bundle xray2shape``: a MONAI bundle of an xray2shape checkpoint.

The bundle's ``configs/inference.json`` pairs ``<case>_ap.*`` and ``<case>_lat.*`` files the way
``hybridvision predict`` does, reads and prepares both views with the same code (spacing, windowing,
resizing: ``io``), runs the network through MONAI's SupervisedEvaluator, takes the argmax
and saves ``<case>_seg.nii.gz`` on the model's grid with MONAI's SaveImaged. Meshes are not part of
the bundle (``hybridvision predict xray2shape`` writes them). Run it with::

    python -m monai.bundle run --config_file configs/inference.json --meta_file configs/metadata.json \\
        --bundle_root BUNDLE --dataset_dir CASES --output_dir OUT
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Hashable, Mapping

import numpy as np
import torch
from monai.data import MetaTensor
from monai.transforms import MapTransform

from ..common.bundle import BundleSpec, complete_cases, evaluator_config, export, save_labels
from .geometry import ANATOMIES, detector_spacing_mm, grid_affine, image_shape
from .io import prepare_view, read_radiograph

MODULE = "hybridvision.pipelines.xray2shape.bundle"


# -- helpers the bundle's inference.json calls ------------------------------------------------
def datalist(dataset_dir: str) -> list[dict[str, Any]]:
    """Every complete AP + lateral pair under ``dataset_dir`` (incomplete cases are left out)."""
    from .files import discover_pairs

    pairs = complete_cases(discover_pairs(Path(dataset_dir)), "case (<case>_ap.* + <case>_lat.*)", dataset_dir)
    return [
        {"ap": str(u.extra["roles"]["ap"]), "lateral": str(u.extra["roles"]["lateral"]), "case": u.name} for u in pairs
    ]


class LoadBiplanard(MapTransform):
    """``ap`` and ``lateral`` file paths -> ``image``: (2, rows, columns) views on the model's input grid."""

    def __init__(self, grid: list[int], spacing_mm: float, pixel_spacing_mm: float = 0.0):
        super().__init__(keys=["ap", "lateral"])
        self.shape = image_shape(tuple(grid))
        self.target_spacing = detector_spacing_mm(spacing_mm)
        self.override = pixel_spacing_mm or None

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        out = dict(data)
        views = [
            prepare_view(read_radiograph(Path(data[k])), self.shape, self.target_spacing, self.override)
            for k in self.keys
        ]
        out["image"] = torch.from_numpy(np.stack(views))
        return out


class OnGridd(MapTransform):
    """A (1, X, Y, Z) label volume -> a MetaTensor with the grid's affine, named after the case."""

    def __init__(self, keys: str, grid: list[int], spacing_mm: float, name_key: str = "case"):
        super().__init__(keys=keys)
        self.affine = torch.as_tensor(grid_affine(tuple(grid), spacing_mm))
        self.name_key = name_key

    def __call__(self, data: Mapping[Hashable, Any]) -> dict[Hashable, Any]:
        out = dict(data)
        for key in self.keys:
            array = torch.as_tensor(data[key]).detach().cpu().to(torch.uint8)
            meta = {"affine": self.affine.clone(), "filename_or_obj": str(data[self.name_key])}
            out[key] = MetaTensor(array, affine=self.affine.clone(), meta=meta)
        return out


# -- the bundle --------------------------------------------------------------------------------
def inference_config(run_config: dict) -> dict[str, Any]:
    model = run_config["model"]
    grid, spacing = list(model["grid"]), float(model["spacing_mm"])
    return {
        "imports": ["$import torch", "$import numpy", f"$import {MODULE} as xray2shape_bundle"],
        "bundle_root": ".",
        "dataset_dir": "$@bundle_root + '/data'",
        "output_dir": "$@bundle_root + '/eval'",
        "pixel_spacing_mm": 0.0,
        "preprocessing": {
            "_target_": "Compose",
            "transforms": [
                {
                    "_target_": f"{MODULE}.LoadBiplanard",
                    "grid": grid,
                    "spacing_mm": spacing,
                    "pixel_spacing_mm": "@pixel_spacing_mm",
                }
            ],
        },
        "datalist": "$xray2shape_bundle.datalist(@dataset_dir)",
        "inferer": {"_target_": "SimpleInferer"},
        "postprocessing": {
            "_target_": "Compose",
            "transforms": [
                {"_target_": "AsDiscreted", "keys": "pred", "argmax": True},
                {"_target_": f"{MODULE}.OnGridd", "keys": "pred", "grid": grid, "spacing_mm": spacing},
                save_labels(),
            ],
        },
        **evaluator_config(run_config),
    }


def bundle_spec(pipeline, meta: dict) -> BundleSpec:
    model = pipeline.model_cfg
    labels = ANATOMIES[model.anatomy].label_names
    grid = " x ".join(str(g) for g in model.grid)
    return BundleSpec(
        example_input=torch.rand(1, 2, *pipeline.image_shape),
        formats={"image": ("image", "magnitude", "xray"), "pred": ("image", "classes", "CT")},
        spatial_shape=list(pipeline.image_shape),
        output_shape=list(model.grid),
        inference=inference_config(meta["config"]),
        title=f"hybridvision xray2shape ({model.anatomy}): 3D bone labels from two orthogonal radiographs",
        notice="Research use only. Not a medical device; not for diagnosis, surgical planning or treatment decisions.",
        input_output=[
            "Two radiographs per case, `<case>_ap.*` and `<case>_lat.*` (PNG, TIFF or DICOM). Pixel spacing comes from",
            "the DICOM header or the PNG's metadata; set `--pixel_spacing_mm` in `monai.bundle run` to override it.",
            f"Output: `<case>_seg.nii.gz`, {grid} voxels of {model.spacing_mm} mm, RAS, centred on the isocentre;",
            "labels " + ", ".join(f"{value} {name}" for value, name in labels.items()) + ".",
        ],
        dataset_hint="/path/to/views",
        run_note="Meshes (`<case>.glb`) come from `hybridvision predict xray2shape`, not from the bundle.",
        training="Trained on digitally reconstructed radiographs of generated phantoms",
        limits=[
            "Trained on synthetic bones and DRRs, not on patient CT; real anatomy (implants, fractures,",
            "osteophytes, scoliosis), real detector responses and positioning errors are not represented.",
            "Validate on your own data.",
        ],
        fields={
            "task": f"3D {model.anatomy} bone segmentation from AP and lateral radiographs",
            "description": f"Biplanar reconstruction (after Swin-X2S): a shared {model.backbone.name} 2D encoder "
            "for both views, dimension expansion to 3D, cross-view attention and a 3D decoder; "
            f"{len(pipeline.class_names)} classes ({', '.join(pipeline.class_names)}).",
            "intended_use": "Research only; not for diagnosis, surgical planning or treatment decisions",
            "data_source": f"DRRs of generated {model.anatomy} phantoms (hybridvision xray2shape generator)",
            "data_type": "png, tiff or dicom radiographs",
            "references": ["Liu et al., Swin-X2S, arXiv:2501.05961, 2025"],
        },
    )


def export_bundle(checkpoint: Path, output: Path) -> dict[str, str]:
    """Write a MONAI bundle for an xray2shape checkpoint into ``output``; returns export statuses."""
    return export(checkpoint, output, "xray2shape", bundle_spec)

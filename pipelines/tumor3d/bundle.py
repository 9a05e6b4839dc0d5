"""``hybridvision export-bundle tumor3d``: a MONAI bundle of a tumor3d checkpoint.

The bundle's ``configs/inference.json`` loads BraTS cases with MONAI, applies the same
preprocessing as ``hybridvision predict`` (the transforms are written out one by one), builds the
network by ``_target_`` into this package, runs MONAI's SlidingWindowInferer, inverts the
preprocessing and saves BraTS labels with SaveImaged. Run it with::

    python -m monai.bundle run --config_file configs/inference.json --meta_file configs/metadata.json \\
        --bundle_root BUNDLE --dataset_dir CASES --output_dir OUT
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from monai.data import MetaTensor

from ..common.bundle import BundleSpec, complete_cases, evaluator_config, export, save_labels
from .io import discover_cases
from .modalities import MODALITIES
from .transforms import FOREGROUND_MARGIN, nonzero, regions_to_label  # noqa: F401  (inference.json uses nonzero)

MODULE = "hybridvision.pipelines.tumor3d.bundle"


# -- helpers the bundle's inference.json calls ------------------------------------------------
def datalist(dataset_dir: str) -> list[dict[str, Any]]:
    """Every complete case under ``dataset_dir``: its four modality files in model order."""
    cases = complete_cases(discover_cases(Path(dataset_dir)), "BraTS case", dataset_dir)
    return [{"image": [str(u.extra["roles"][m]) for m in MODALITIES], "case": u.name} for u in cases]


def to_brats_label(regions: MetaTensor, convention: str = "brats2021") -> MetaTensor:
    """Binary (3, *S) WT/TC/ET -> (1, *S) BraTS label, keeping the metadata."""
    label = regions_to_label(regions.detach().cpu().numpy(), convention)
    return MetaTensor(torch.from_numpy(label[None]), meta=regions.meta)


def case_name(metadict: dict, saver) -> dict:
    """SaveImaged names outputs after the case, not the first modality file: ``<case>_seg.nii.gz``."""
    source = metadict.get("filename_or_obj")
    source = source[0] if isinstance(source, (list, tuple)) else source
    from .io import parse_name

    parsed = parse_name(Path(str(source)))
    return {"subject": parsed[0] if parsed else Path(str(source)).name.split(".")[0], "idx": None}


# -- the bundle --------------------------------------------------------------------------------
def inference_config(run_config: dict) -> dict[str, Any]:
    data = run_config["data"]
    keys = ["image"]
    return {
        "imports": ["$import torch", "$import numpy", f"$import {MODULE} as tumor3d_bundle"],
        "bundle_root": ".",
        "dataset_dir": "$@bundle_root + '/data'",
        "output_dir": "$@bundle_root + '/eval'",
        "labels": "brats2021",
        "preprocessing": {
            "_target_": "Compose",
            "transforms": [
                {"_target_": "LoadImaged", "keys": keys, "image_only": True, "dtype": "$numpy.float32"},
                {"_target_": "EnsureChannelFirstd", "keys": keys},
                {
                    "_target_": "Orientationd",
                    "keys": keys,
                    "axcodes": "RAS",
                    "labels": [["L", "R"], ["P", "A"], ["I", "S"]],
                },
                {"_target_": "Spacingd", "keys": keys, "pixdim": list(data["spacing"]), "mode": "bilinear"},
                {"_target_": "NormalizeIntensityd", "keys": keys, "nonzero": True, "channel_wise": True},
                {
                    "_target_": "CropForegroundd",
                    "keys": keys,
                    "source_key": "image",
                    "margin": FOREGROUND_MARGIN,
                    "select_fn": "$tumor3d_bundle.nonzero",
                    "allow_smaller": True,
                },
            ],
        },
        "datalist": "$tumor3d_bundle.datalist(@dataset_dir)",
        "inferer": {
            "_target_": "SlidingWindowInferer",
            "roi_size": list(data["roi"]),
            "sw_batch_size": data.get("sw_batch_size", 2),
            "overlap": data["overlap"],
            "mode": "gaussian",
        },
        "postprocessing": {
            "_target_": "Compose",
            "transforms": [
                {"_target_": "Activationsd", "keys": "pred", "sigmoid": True},
                {
                    "_target_": "Invertd",
                    "keys": "pred",
                    "transform": "@preprocessing",
                    "orig_keys": "image",
                    "nearest_interp": False,
                    "to_tensor": True,
                },
                {"_target_": "AsDiscreted", "keys": "pred", "threshold": 0.5},
                {"_target_": "Lambdad", "keys": "pred", "func": "$lambda x: tumor3d_bundle.to_brats_label(x, @labels)"},
                save_labels(output_name_formatter="$tumor3d_bundle.case_name"),
            ],
        },
        **evaluator_config(run_config),
    }


def bundle_spec(pipeline, meta: dict) -> BundleSpec:
    return BundleSpec(
        example_input=torch.randn(1, len(MODALITIES), *pipeline.data_cfg.roi),
        formats={"image": ("image", "magnitude", "MR"), "pred": ("image", "classes", "MR")},
        spatial_shape=["32*n", "32*n", "32*n"],
        inference=inference_config(meta["config"]),
        title="hybridvision tumor3d: brain-tumour sub-regions from multi-parametric MRI",
        notice="Research use only. Not a medical device; not for diagnosis or treatment decisions.",
        input_output=[
            "Four co-registered, skull-stripped MRI volumes per case (T1, T1ce, T2, FLAIR; BraTS 2021 or 2023 names).",
            "Output: `<case>_seg.nii.gz` on the input's grid: 1 necrotic/non-enhancing core, 2 oedema, 4 enhancing",
            "(set `--labels brats2023` for 3).",
        ],
        dataset_hint="/path/to/cases",
        run_note="`dataset_dir` names the folder of cases (a folder per case, or one flat folder).",
        training="Trained on synthetic cases",
        limits=[
            "Trained on generated tumours on the MNI152 anatomy, not on patient data; real tumours (multifocal",
            "disease, haemorrhage, post-operative cavities), scanner artefacts and imperfect skull stripping are",
            "not represented. Validate on your own data first.",
        ],
        fields={
            "task": "Brain tumour sub-region segmentation (WT, TC, ET) from T1, T1ce, T2 and FLAIR MRI",
            "description": "U-shaped network (after Swin UNETR) over the hybridvision "
            f"{pipeline.model_cfg.backbone.name} encoder; three sigmoid regions WT, TC, ET.",
            "intended_use": "Research only; not for diagnosis or treatment decisions",
            "data_source": "Synthetic BraTS-style cases from the hybridvision tumor3d generator (MNI152 anatomy)",
            "data_type": "nifti",
            "references": ["Hatamizadeh et al., Swin UNETR, BrainLes 2021"],
        },
    )


def export_bundle(checkpoint: Path, output: Path) -> dict[str, str]:
    """Write a MONAI bundle for a tumor3d checkpoint into ``output``; returns export statuses."""
    return export(checkpoint, output, "tumor3d", bundle_spec)

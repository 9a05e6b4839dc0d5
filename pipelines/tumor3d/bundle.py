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

from ..common.bundle import card_run_section, evaluator_config, export_networks, metadata, write_bundle_files
from ..common.checkpoint import load_checkpoint
from .data import discover_cases
from .generator import MODALITIES
from .transforms import FOREGROUND_MARGIN, nonzero, regions_to_label  # noqa: F401  (inference.json uses nonzero)

MODULE = "hybridvision.pipelines.tumor3d.bundle"


# -- helpers the bundle's inference.json calls ------------------------------------------------
def datalist(dataset_dir: str) -> list[dict[str, Any]]:
    """Every complete case under ``dataset_dir``: its four modality files in model order."""
    cases = [u for u in discover_cases(Path(dataset_dir)) if "error" not in u.extra]
    if not cases:
        raise FileNotFoundError(f"no complete BraTS case in {dataset_dir}")
    return [{"image": [str(u.extra["modalities"][m]) for m in MODALITIES], "case": u.name} for u in cases]


def to_brats_label(regions: MetaTensor, convention: str = "brats2021") -> MetaTensor:
    """Binary (3, *S) WT/TC/ET -> (1, *S) BraTS label, keeping the metadata."""
    label = regions_to_label(regions.detach().cpu().numpy(), convention)
    return MetaTensor(torch.from_numpy(label[None]), meta=regions.meta)


def case_name(metadict: dict, saver) -> dict:
    """SaveImaged names outputs after the case, not the first modality file: ``<case>_seg.nii.gz``."""
    source = metadict.get("filename_or_obj")
    source = source[0] if isinstance(source, (list, tuple)) else source
    from .data import parse_name

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
                {
                    "_target_": "SaveImaged",
                    "keys": "pred",
                    "output_dir": "@output_dir",
                    "output_postfix": "seg",
                    "output_dtype": "$numpy.uint8",
                    "separate_folder": False,
                    "resample": False,
                    "output_name_formatter": "$tumor3d_bundle.case_name",
                    "print_log": False,
                },
            ],
        },
        **evaluator_config(run_config),
    }


def model_card(meta: dict, provenance: dict, exports: dict[str, str]) -> str:
    metrics = provenance.get("metrics", {})
    lines = [
        "# hybridvision tumor3d: brain-tumour sub-regions from multi-parametric MRI",
        "",
        "> Research use only. Not a medical device; not for diagnosis or treatment decisions.",
        "",
        meta["description"],
        "",
        "## Input and output",
        "Four co-registered, skull-stripped MRI volumes per case (T1, T1ce, T2, FLAIR; BraTS 2021 or 2023 names).",
        "Output: `<case>_seg.nii.gz` on the input's grid: 1 necrotic/non-enhancing core, 2 oedema, 4 enhancing",
        "(set `--labels brats2023` for 3).",
        "",
        *card_run_section("/path/to/cases"),
        "`dataset_dir` names the folder of cases (a folder per case, or one flat folder).",
        "",
        "## Training data and metrics",
        f"Trained on synthetic cases: {provenance.get('data', 'see the hybridvision config')}.",
        f"Steps: {provenance.get('steps', '?')}, seed {provenance.get('seed', '?')}, "
        f"commit {provenance.get('commit', '?')}.",
        "Validation metrics at export: " + (", ".join(f"{k} {v:.3f}" for k, v in metrics.items()) or "none"),
        "",
        "## Limits",
        "Trained on generated tumours on the MNI152 anatomy, not on patient data; real tumours (multifocal",
        "disease, haemorrhage, post-operative cavities), scanner artefacts and imperfect skull stripping are",
        "not represented. Validate on your own data first.",
        "",
        "## Exported networks",
        *[f"- models/{name}: {status}" for name, status in exports.items()],
        "",
    ]
    return "\n".join(lines)


def export_bundle(checkpoint: Path, output: Path) -> dict[str, str]:
    """Write a MONAI bundle for a tumor3d checkpoint into ``output``; returns export statuses."""
    pipeline, model, meta = load_checkpoint(checkpoint)
    if meta["pipeline"] != "tumor3d":
        raise ValueError(f"{checkpoint} is a {meta['pipeline']} checkpoint, not tumor3d")
    output = Path(output)
    exports = export_networks(model, torch.randn(1, len(MODALITIES), *pipeline.data_cfg.roi), output)
    description = (
        "U-shaped network (after Swin UNETR) over the hybridvision "
        f"{meta['config']['model']['backbone']['name']} encoder; three sigmoid regions WT, TC, ET."
    )
    bundle_meta = metadata(
        pipeline.io_spec,
        {"image": ("image", "magnitude", "MR"), "pred": ("image", "classes", "MR")},
        ["32*n", "32*n", "32*n"],
        task="Brain tumour sub-region segmentation (WT, TC, ET) from T1, T1ce, T2 and FLAIR MRI",
        description=description,
        authors="hybridvision developers",
        copyright="Copyright (c) hybridvision developers",
        intended_use="Research only; not for diagnosis or treatment decisions",
        data_source="Synthetic BraTS-style cases from the hybridvision tumor3d generator (MNI152 anatomy)",
        data_type="nifti",
        references=["Hatamizadeh et al., Swin UNETR, BrainLes 2021"],
    )
    provenance = meta.get("provenance", {})
    write_bundle_files(
        output,
        bundle_meta,
        inference_config(meta["config"]),
        model_card(bundle_meta, provenance, exports),
        "Apache License 2.0. The weights were trained on synthetic data generated by hybridvision.\n",
    )
    return exports

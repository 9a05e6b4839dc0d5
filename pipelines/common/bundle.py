"""Pieces of a MONAI bundle every pipeline shares: metadata from the IOSpec, the metadata schema,
exported networks (ONNX, TorchScript) and the model card.

Layout (MONAI Bundle Specification): ``configs/metadata.json``, ``configs/inference.json``,
``configs/schema.json`` (a copy of the metadata schema's required structure, so ``verify_metadata``
runs offline with ``--filepath configs/schema.json``), ``models/model.pt`` (a state dict),
``models/model.onnx``, ``models/model.ts``, ``docs/README.md``, ``LICENSE``.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..base import IOSpec, TensorSpec
from ..registry import PIPELINES
from .atomic import write_json_atomic, write_text_atomic

# Where the upstream schema lives; verify_metadata only reads it when the --filepath copy is missing.
SCHEMA_URL = "https://github.com/Project-MONAI/MONAI-extra-test-data/releases/download/0.8.1/meta_schema_20220324.json"

TENSOR_FORMAT_SCHEMA = {
    "type": "object",
    "required": [
        "type",
        "format",
        "modality",
        "num_channels",
        "spatial_shape",
        "dtype",
        "value_range",
        "is_patch_data",
        "channel_def",
    ],
    "properties": {
        "type": {"type": "string"},
        "format": {"type": "string"},
        "modality": {"type": "string"},
        "num_channels": {"type": "integer", "minimum": 1},
        "spatial_shape": {"type": "array", "items": {"type": ["integer", "string"]}},
        "dtype": {"type": "string"},
        "value_range": {"type": "array", "items": {"type": "number"}, "maxItems": 2},
        "is_patch_data": {"type": "boolean"},
        "channel_def": {"type": "object"},
    },
}

META_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "MONAI bundle metadata (required structure, written by hybridvision)",
    "type": "object",
    "required": [
        "version",
        "monai_version",
        "pytorch_version",
        "numpy_version",
        "optional_packages_version",
        "task",
        "description",
        "authors",
        "copyright",
        "network_data_format",
    ],
    "properties": {
        "schema": {"type": "string"},
        "version": {"type": "string"},
        "changelog": {"type": "object"},
        "monai_version": {"type": "string"},
        "pytorch_version": {"type": "string"},
        "numpy_version": {"type": "string"},
        "optional_packages_version": {"type": "object"},
        "task": {"type": "string"},
        "description": {"type": "string"},
        "authors": {"type": "string"},
        "copyright": {"type": "string"},
        "intended_use": {"type": "string"},
        "data_source": {"type": "string"},
        "data_type": {"type": "string"},
        "references": {"type": "array", "items": {"type": "string"}},
        "network_data_format": {
            "type": "object",
            "required": ["inputs", "outputs"],
            "properties": {
                "inputs": {"type": "object", "additionalProperties": TENSOR_FORMAT_SCHEMA},
                "outputs": {"type": "object", "additionalProperties": TENSOR_FORMAT_SCHEMA},
            },
        },
    },
}


def build_network(run_config: dict) -> torch.nn.Module:
    """The network of a checkpoint's run config (weights are loaded separately); bundles call it.

    A frozen pretrained backbone is built without reading its package: an exported adapter model is
    one plain network, frozen and trained weights together in ``models/model.pt``."""

    from ...backbones import BACKBONES
    from .config import parse_run_config

    factory = PIPELINES.entry(run_config["pipeline"]).factory
    run_config = {**run_config, "model": factory.migrate_model_block(dict(run_config["model"]))}  # older checkpoints
    backbone = dict(run_config["model"]["backbone"])
    if BACKBONES.entry(backbone["name"]).metadata.get("family") == "foundation":
        # models/model.pt carries the frozen weights too: the bundle needs no weights package
        run_config = {**run_config, "model": {**run_config["model"], "backbone": {**backbone, "weights": False}}}
    config = parse_run_config(run_config, "inference.json")
    return PIPELINES.entry(config.pipeline).factory(config.model, config.data).build_model()


def tensor_format(spec: TensorSpec, kind: str, fmt: str, modality: str, spatial_shape: list) -> dict[str, Any]:
    """A MONAI tensor format specifier from one of our TensorSpecs."""
    names = spec.channel_names or spec.class_names or tuple(f"channel {i}" for i in range(spec.channels or 1))
    return {
        "type": kind,
        "format": fmt,
        "modality": modality,
        "num_channels": spec.channels,
        "spatial_shape": spatial_shape,
        "dtype": spec.dtype,
        "value_range": list(spec.value_range) if spec.value_range else [],
        "is_patch_data": True,
        "channel_def": {str(i): name for i, name in enumerate(names)},
    }


def metadata(
    io_spec: IOSpec, formats: dict[str, tuple[str, str, str]], spatial_shape: list, **fields: Any
) -> dict[str, Any]:
    """``metadata.json`` content; ``formats`` maps each IOSpec key to (type, format, modality)."""
    specs = {"inputs": io_spec.inputs, "outputs": io_spec.outputs}
    data_format = {
        side: {key: tensor_format(spec, *formats[key], spatial_shape) for key, spec in items.items()}
        for side, items in specs.items()
    }
    optional = {name: version(name) for name in ("nibabel", "hybridvision", "safetensors", "einops")}
    return {
        "schema": SCHEMA_URL,
        "version": "0.1.0",
        "changelog": {"0.1.0": "exported by hybridvision"},
        "monai_version": version("monai"),
        "pytorch_version": torch.__version__.split("+")[0],
        "numpy_version": np.__version__,
        "optional_packages_version": optional,
        "network_data_format": data_format,
        **fields,
    }


def export_onnx(model: torch.nn.Module, example: torch.Tensor, path: Path) -> str:
    """Write ``model.onnx``; returns "ok" or the reason it could not be exported."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (example,), str(path), input_names=["image"], output_names=["pred"], dynamo=False)
    except Exception as error:  # exporters fail in many ways; the bundle is still usable
        path.unlink(missing_ok=True)
        return f"not exported: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return "ok"


def export_torchscript(model: torch.nn.Module, example: torch.Tensor, path: Path) -> str:
    """Write ``model.ts`` by tracing; returns "ok" or the reason."""
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(model, example, check_trace=False)
            traced.save(str(path))
    except Exception as error:
        path.unlink(missing_ok=True)
        return f"not exported: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    return "ok"


def export_networks(model: torch.nn.Module, example: torch.Tensor, output: Path) -> dict[str, str]:
    """Write ``models/model.pt`` (a state dict), ``model.onnx`` and ``model.ts``; returns each one's status."""
    (output / "models").mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), output / "models" / "model.pt")
    return {
        "model.pt": "ok (state dict; load with weights_only=True)",
        "model.onnx": export_onnx(model, example, output / "models" / "model.onnx"),
        "model.ts": export_torchscript(model, example, output / "models" / "model.ts"),
    }


def evaluator_config(run_config: dict) -> dict[str, Any]:
    """The parts of ``inference.json`` every bundle shares: the device, the network built from the run
    config (weights from ``models/model.pt``), the dataset over ``@datalist``, the evaluator and ``run``.
    The bundle adds ``datalist``, ``preprocessing``, ``inferer`` and ``postprocessing``."""
    return {
        "device": "$torch.device('cuda' if torch.cuda.is_available() else 'cpu')",
        "run_config": run_config,
        "network_def": {"_target_": "hybridvision.pipelines.common.bundle.build_network", "run_config": "@run_config"},
        "network": "$@network_def.to(@device)",
        "dataset": {"_target_": "Dataset", "data": "@datalist", "transform": "@preprocessing"},
        "dataloader": {"_target_": "DataLoader", "dataset": "@dataset", "batch_size": 1, "num_workers": 0},
        "evaluator": {
            "_target_": "SupervisedEvaluator",
            "device": "@device",
            "val_data_loader": "@dataloader",
            "network": "@network",
            "inferer": "@inferer",
            "postprocessing": "@postprocessing",
        },
        "initialize": [
            "$@network.load_state_dict(torch.load(@bundle_root + '/models/model.pt', map_location='cpu', "
            "weights_only=True))",
            "$@network.eval()",
        ],
        "run": ["$@evaluator.run()"],
    }


def card_run_section(dataset_hint: str) -> list[str]:
    """The model card's "Run" section: ``monai.bundle run`` and the offline metadata check."""
    return [
        "## Run",
        "```bash",
        "python -m monai.bundle run --config_file configs/inference.json --meta_file configs/metadata.json \\",
        f"    --bundle_root . --dataset_dir {dataset_hint} --output_dir /path/to/output",
        "```",
        "Check the metadata offline with",
        "`python -m monai.bundle verify_metadata --meta_file configs/metadata.json --filepath configs/schema.json`.",
    ]


def write_bundle_files(root: Path, meta: dict, inference: dict, readme: str, license_text: str) -> None:
    """Write the JSON configs, the schema copy, the model card and the licence."""
    (root / "configs").mkdir(parents=True, exist_ok=True)
    (root / "docs").mkdir(parents=True, exist_ok=True)
    write_json_atomic(root / "configs" / "metadata.json", meta)
    write_json_atomic(root / "configs" / "inference.json", inference)
    write_text_atomic(root / "configs" / "schema.json", json.dumps(META_SCHEMA, indent=2) + "\n")
    write_text_atomic(root / "docs" / "README.md", readme)
    write_text_atomic(root / "LICENSE", license_text)


def save_labels(**extra: Any) -> dict[str, Any]:
    """The inference.json step that saves ``pred`` as ``<case>_seg.nii.gz`` (uint8, as predicted)."""
    return {
        "_target_": "SaveImaged",
        "keys": "pred",
        "output_dir": "@output_dir",
        "output_postfix": "seg",
        "output_dtype": "$numpy.uint8",
        "separate_folder": False,
        "resample": False,
        "print_log": False,
        **extra,
    }


def complete_cases(units: list, what: str, dataset_dir: str) -> list:
    """The units a bundle's datalist runs: those without an error (incomplete cases are left out)."""
    complete = [unit for unit in units if not unit.error]
    if not complete:
        raise FileNotFoundError(f"no complete {what} in {dataset_dir}")
    return complete


LICENCE = "Apache License 2.0. The weights were trained on synthetic data generated by hybridvision.\n"


@dataclass(frozen=True)
class BundleSpec:
    """What a task's bundle says about its model; ``export`` writes every bundle from one of these.

    Attributes:
        example_input: a network input for tracing (ONNX, TorchScript).
        formats: IOSpec key -> (type, format, modality) for metadata.json.
        spatial_shape: the input's spatial shape in metadata.json ("32*n" for any multiple).
        inference: configs/inference.json.
        title, notice: the model card's heading and its research-use line.
        input_output, training, limits: the model card's sections, as lines.
        dataset_hint: the folder in the card's run example; run_note: a line after it.
        output_shape: the prediction's spatial shape, when it differs from the input's.
        fields: metadata.json's descriptive fields (task, description, intended_use, data_source, ...).
    """

    example_input: torch.Tensor
    formats: dict[str, tuple[str, str, str]]
    spatial_shape: list
    inference: dict[str, Any]
    title: str
    notice: str
    input_output: list[str]
    training: str
    limits: list[str]
    dataset_hint: str
    run_note: str = ""
    output_shape: list | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def export(checkpoint: Path, output: Path, task: str, spec_of) -> dict[str, str]:
    """Write a MONAI bundle of a ``task`` checkpoint into ``output``; returns each network export's status.

    ``spec_of(pipeline, metadata) -> BundleSpec``: what the task's bundle says.
    """
    from .checkpoint import load_checkpoint

    pipeline, model, meta = load_checkpoint(checkpoint)
    if meta["pipeline"] != task:
        raise ValueError(f"{checkpoint} is a {meta['pipeline']} checkpoint, not {task}")
    spec = spec_of(pipeline, meta)
    output = Path(output)
    exports = export_networks(model, spec.example_input, output)
    fields = {"authors": "hybridvision developers", "copyright": "Copyright (c) hybridvision developers"}
    bundle_meta = metadata(pipeline.io_spec, spec.formats, spec.spatial_shape, **fields, **spec.fields)
    if spec.output_shape is not None:
        bundle_meta["network_data_format"]["outputs"]["pred"]["spatial_shape"] = list(spec.output_shape)
    card = model_card(spec, bundle_meta["description"], meta.get("provenance", {}), exports)
    write_bundle_files(output, bundle_meta, spec.inference, card, LICENCE + frozen_notice(model))
    return exports


def frozen_notice(model: torch.nn.Module) -> str:
    """The licence lines for a frozen pretrained backbone whose weights the bundle now carries."""
    from .checkpoint import frozen_backbone

    frozen = frozen_backbone(model)
    if frozen is None:
        return ""
    card = frozen.card
    return (
        f"models/ also carry the frozen weights of {type(frozen).__name__} ({card.source}), taken from the "
        f"{card.package} package, SHA-256 {card.sha256}, under their own licence: {card.licence}.\n"
    )


def model_card(spec: BundleSpec, description: str, provenance: dict, exports: dict[str, str]) -> str:
    """docs/README.md: what the model does, how to run it, what it was trained on, its limits."""
    metrics = provenance.get("metrics", {})
    lines = [
        f"# {spec.title}",
        "",
        f"> {spec.notice}",
        "",
        description,
        "",
        "## Input and output",
        *spec.input_output,
        "",
        *card_run_section(spec.dataset_hint),
        *([spec.run_note] if spec.run_note else []),
        "",
        "## Training data and metrics",
        f"{spec.training}: {provenance.get('data', 'see the hybridvision config')}.",
        f"Steps: {provenance.get('steps', '?')}, seed {provenance.get('seed', '?')}, "
        f"commit {provenance.get('commit', '?')}.",
        "Validation metrics at export: " + (", ".join(f"{k} {v:.3f}" for k, v in metrics.items()) or "none"),
        "",
        "## Limits",
        *spec.limits,
        "",
        "## Exported networks",
        *[f"- models/{name}: {status}" for name, status in exports.items()],
        "",
    ]
    return "\n".join(lines)

"""Self-describing inference checkpoints (safetensors) and the shipped ones.

A checkpoint holds the weights and, in the safetensors metadata, the run config, the IOSpec, what
the pipeline needs to know (label convention, scale, bands) and provenance (commit, seed, data,
metrics), so ``--checkpoint PATH`` alone is enough to predict. Safetensors cannot run code when
loaded. Shipped checkpoints live beside their config: ``configs/<task>/<name>.safetensors``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from ..base import InputError, Pipeline
from ..registry import PIPELINES
from .atomic import atomic_outputs
from .config import ConfigError, RunConfig, apply_overrides, parse_run_config, read_yaml
from .shipped import (  # noqa: F401  (the shipped names and files: checkpoint's callers read them here too)
    FORMAT_VERSION,
    METADATA_KEY,
    SUFFIX,
    read_header_metadata,
    shipped_checkpoints,
    shipped_name,
    shipped_root,
)


def git_commit() -> str:
    """The commit of the source tree, with ``-dirty`` if it has changes; "unknown" outside git."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if commit.returncode:
        return "unknown"
    return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def save_checkpoint(
    path: Path,
    model: torch.nn.Module,
    config: RunConfig,
    pipeline: Pipeline,
    provenance: dict[str, Any],
    dtype: str = "float32",
) -> Path:
    """Write weights and self-description atomically; floating weights stored as ``dtype``."""
    store = getattr(torch, dtype)
    frozen = frozen_identity(model)
    state = {
        k: (v.detach().to(store) if v.is_floating_point() else v.detach()).clone().contiguous().cpu()
        for k, v in model.state_dict().items()
        if frozen is None or not k.startswith(frozen["prefix"])  # a package holds those: named, not copied
    }
    metadata = {
        "format_version": FORMAT_VERSION,
        "pipeline": config.pipeline,
        "config": config.to_dict(),
        "io_spec": pipeline.io_spec.to_dict(),
        "description": pipeline.describe(),
        **({"frozen_backbone": frozen} if frozen else {}),
        "provenance": {
            "commit": git_commit(),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "torch": torch.__version__,
            "parameters": sum(p.numel() for p in model.parameters()),
            **provenance,
        },
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_outputs({"weights": path}) as temps:
        save_file(state, str(temps["weights"]), metadata={METADATA_KEY: json.dumps(metadata)})
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The self-description of a checkpoint (a path or a shipped name), without loading its weights;
    an INT8 ONNX file (``hybridvision quantize``) carries its checkpoint's."""
    path = resolve_checkpoint(path)
    if path.suffix == ".onnx":
        from .int8_network import read_onnx_metadata

        return read_onnx_metadata(path)
    return read_header_metadata(path)


def load_pipeline(path: str | Path) -> tuple[Pipeline, dict]:
    """The pipeline a checkpoint (a path or a shipped name) describes, and its metadata, without
    building the model or reading the weights: enough to discover units and check options (a Dask
    client, whose workers load the model)."""
    path = resolve_checkpoint(path)
    metadata = read_metadata(path)
    config = parse_run_config(metadata["config"], str(path))
    pipeline = PIPELINES.entry(config.pipeline).factory(config.model, config.data)
    pipeline.checkpoint = checkpoint_identity(path)  # name, path, SHA-256: the outputs' provenance, hashed once
    return pipeline, metadata


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> tuple[Pipeline, torch.nn.Module, dict]:
    """Rebuild the pipeline and its model from a checkpoint (a path or a shipped name like
    ``superres/x4``); the model is in eval mode. This process keeps freed memory from here on
    (``allocator``): every way of predicting loads its model here."""
    from .allocator import keep_freed_memory

    keep_freed_memory()
    path = resolve_checkpoint(path)
    pipeline, metadata = load_pipeline(path)
    if path.suffix == ".onnx":  # an INT8 network: ONNX Runtime in the torch network's place
        from .int8_network import Int8Network

        facts = metadata["int8"]
        recorded = [facts.get(key) for key in ("output_window", "channel_ids", "receptive_field")]
        network = Int8Network(path, facts["window"], *recorded)
        return pipeline, network, metadata
    model = pipeline.build_model()
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
    state = pipeline.migrate_state(state)  # older layouts load as they are saved: the file is never re-saved
    stored = metadata.get("frozen_backbone")
    if stored:  # an adapter checkpoint: the frozen weights come from their package, checked by identity
        here = frozen_identity(model)
        if here is None or here["sha256"] != stored["sha256"]:
            found = "none" if here is None else f"{here['sha256'][:12]}... ({here['package']})"
            raise InputError(
                f"{path}: trained on frozen weights {stored['sha256'][:12]}... ({stored['package']}); found {found}"
            )
        state |= {k: v for k, v in model.state_dict().items() if k.startswith(stored["prefix"])}
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        reason = str(error).splitlines()[0]
        raise InputError(f"{path}: weights do not match the model its config describes ({reason})") from error
    return pipeline, model.to(device).eval(), metadata


def frozen_backbone(model: torch.nn.Module) -> torch.nn.Module | None:
    """The frozen pretrained backbone (with its ``card``) an adapter wraps inside ``model``, or None."""
    frozen = getattr(getattr(model, "backbone", None), "frozen", None)
    return frozen if getattr(frozen, "card", None) is not None else None


def frozen_identity(model: torch.nn.Module) -> dict[str, str] | None:
    """Name, package and SHA-256 of a frozen pretrained backbone inside an adapter (None: there is none).

    Its tensors are left out of checkpoints: the package holds them, the SHA-256 says which."""
    frozen = frozen_backbone(model)
    if frozen is None:
        return None
    card = frozen.card
    return {
        "backbone": type(frozen).__name__,
        "package": card.package,
        "sha256": card.sha256,
        "prefix": "backbone.frozen.",
    }


def resolve_checkpoint(spec: str | Path) -> Path:
    """A checkpoint file as given, else a shipped one by short name.

    ``superres/x4``, ``superres/x4.safetensors`` and ``configs/superres/x4.safetensors`` (from the
    source tree) all name the shipped x4; an existing local file of the same name wins.

    Raises:
        InputError: neither a file nor a shipped name; the message lists the shipped names.
    """
    path = Path(spec)
    if path.is_file():
        return path
    name = str(spec).removesuffix(SUFFIX).removeprefix("configs/")
    shipped = shipped_root() / f"{name}{SUFFIX}"
    if not path.is_absolute() and shipped.is_file():
        return shipped
    names = ", ".join(shipped_name(p) or p.name for p in shipped_checkpoints())
    raise InputError(f"checkpoint not found: {spec}: no such checkpoint file, nor a shipped name ({names})")


def checkpoint_identity(path: Path) -> dict[str, str]:
    """What a report records of the checkpoint it used: short name, absolute path, SHA-256."""
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return {"name": shipped_name(path) or path.name, "path": str(path.resolve()), "sha256": digest.hexdigest()}


def initialise_from(model: torch.nn.Module, spec: str | Path, migrate=lambda state: state) -> tuple[int, int]:
    """Copy every weight of checkpoint ``spec`` whose name and shape match ``model``'s (fine-tuning,
    or a x4 model from a x2 one: the body matches, the head does not); returns (copied, model tensors),
    leaving out of the second a pretrained backbone the checkpoint does not carry (its package does).

    Raises:
        InputError: the checkpoint is missing or shares no weight with the model.
    """
    path = resolve_checkpoint(spec)
    source = migrate(load_file(str(path)))
    target = model.state_dict()
    if not any(k in target for k in source if k.startswith("backbone.")):  # a backbone inside an adapter now
        source = {k.replace("backbone.", "backbone.frozen.", 1): v for k, v in source.items()}
    matched = {k: v.to(target[k].dtype) for k, v in source.items() if k in target and v.shape == target[k].shape}
    if not matched:
        raise InputError(f"{path}: no weight matches the model (another architecture?); nothing to start from")
    model.load_state_dict(matched, strict=False)
    # a pretrained backbone's package holds its tensors (checkpoints name it, never copy it): not fresh
    packaged = getattr(getattr(model, "backbone", None), "card", None) is not None
    packaged = packaged and not any(k.startswith("backbone.") for k in source)
    counted = [k for k in target if not (packaged and k.startswith("backbone."))]
    return len(matched), len(counted)


def init_run_config(spec: str, config: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """``train --init CHECKPOINT``: a run that starts from a trained model and keeps its model block.

    Without a config, the checkpoint's own run (model, data, training settings, less its teacher); with one, that
    config's data and training settings and the checkpoint's model, except the config's adapter
    (a frozen model plus a fresh adapter) and a class list of the config's own (a fresh head).
    Every weight whose name and shape match is copied at the start (``train.init_from``)."""
    path = resolve_checkpoint(spec)
    trained = read_metadata(path)["config"]
    raw = dict(trained) if config is None else read_yaml(config)
    if raw.get("pipeline") != trained["pipeline"]:
        raise ConfigError(f"--init {spec}: a {trained['pipeline']} checkpoint, the config is for {raw.get('pipeline')}")
    own = dict(raw.get("model") or {})
    model = {key: value for key, value in trained["model"].items() if key != "adapter"}
    model |= {key: own[key] for key in ("adapter", "classes", "colours") if key in own}
    train = {**(raw.get("train") or {}), "init_from": str(path)}
    if config is None:  # how the checkpoint was distilled is not how it is fine-tuned (--set train.teacher=... to)
        train.pop("teacher", None)
    raw = {**raw, "model": model, "train": train}
    source = f"{config or path.name} (--init {spec})"
    return parse_run_config(apply_overrides(raw, list(overrides or []), source), source)


def default_checkpoint(pipeline_name: str, options: dict[str, Any] | None = None) -> Path:
    """The shipped checkpoint used when ``--checkpoint`` is omitted: the one the prediction
    options ask for (``--scale 4``: ``superres/x4``), else the pipeline's default."""

    stem = PIPELINES.entry(pipeline_name).factory.shipped_checkpoint_for(options or {})
    path = shipped_root() / pipeline_name / f"{stem}{SUFFIX}"
    if path.is_file():
        return path
    names = [shipped_name(p) for p in shipped_checkpoints() if p.parent.name == pipeline_name]
    if not names:
        raise InputError(f"no shipped checkpoint for {pipeline_name}; pass --checkpoint PATH")
    raise InputError(f"no shipped checkpoint {pipeline_name}/{stem} (shipped: {', '.join(names)}); pass --checkpoint")

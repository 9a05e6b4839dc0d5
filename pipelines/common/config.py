"""Run configs: YAML read into frozen, typed dataclasses.

A run config has four blocks::

    pipeline: tumor3d
    model:                                          # the pipeline's ModelConfig
      backbone: {name: hybrid_small, drop_path: 0.1}
      decoder: {name: unet, input_skip_channels: 16}
      adapter: {name: lora, rank: 8}               # optional (see common/composition.py)
    data: {...}                                     # the pipeline's DataConfig
    train: {max_steps: 2000, batch_size: 2, ...}    # TrainConfig, shared

An unknown or mistyped key is an error that names the file and the key's full path. A
``{name: ..., <kwargs>}`` block is a ``Component``: a registry entry and the keywords to build it.
``--set a.b=c`` overrides are applied to the YAML before it is checked. Configs in an older
shape (``train.adapter: lora``, a task's keys from before ``model.decoder``) are migrated to the
current one when read (``migrate_legacy``), which is how shipped checkpoints keep loading.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml

from ..registry import PIPELINES, UnknownPipeline


class ConfigError(ValueError):
    """A config that does not match its schema; the message names the file and the key."""


@dataclass(frozen=True)
class Component:
    """A registry entry by name plus keyword arguments (``{name: hybrid_small, drop_path: 0.1}``)."""

    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def build(self, registry, **extra):
        """Build through ``registry``; ``extra`` (decided by the pipeline) wins over config kwargs."""
        return registry.build(self.name, **{**dict(self.kwargs), **extra})

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **dict(self.kwargs)}


@dataclass(frozen=True)
class TrainConfig:
    """The training loop's settings, the same for every pipeline."""

    seed: int = 0
    max_steps: int = 1000
    batch_size: int = 2
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    val_every_steps: int = 100
    log_every_steps: int = 10
    gradient_clip: float = 1.0
    num_workers: int = 0
    precision: Literal["32-true", "bf16-mixed", "16-mixed"] = "32-true"
    export_dtype: Literal["float32", "float16"] = "float32"
    data_note: str = ""
    init_from: str = ""  # a checkpoint whose matching weights start the model (path, or e.g. superres/x2.safetensors)
    # knowledge distillation: a trained checkpoint (path or shipped name) whose softened outputs the
    # model also learns, weighted distill_weight against the task's own loss (Hinton et al. 2015)
    teacher: str = ""
    # train --data DIR: your labelled folder instead of generated data (common/user_data.py)
    data_dir: str = ""
    val_fraction: float = 0.2
    split_file: str = ""  # a units_split.json to use instead of DIR's own (bench adapters --data draws them)
    distill_weight: float = 0.5
    distill_temperature: float = 2.0
    # the only parameters that train, by name prefix (e.g. decoder.head); the rest keep the values
    # they start with (init_from). Empty: every parameter trains
    train_only: tuple[str, ...] = ()
    # frozen-trunk feature cache (common/feature_cache.py): each replayed crop's trunk levels
    # computed once, kept in RUN/feature_cache up to feature_cache_gb
    feature_cache: bool = False
    feature_cache_gb: float = 8.0


@dataclass(frozen=True)
class RunConfig:
    """A whole run: which pipeline, its model and data blocks, and the training settings."""

    pipeline: str
    model: Any
    data: Any
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


def to_plain(value: Any) -> Any:
    """Dataclasses, Components and tuples to plain dicts and lists (YAML / JSON ready)."""
    if isinstance(value, Component):
        return {"name": value.name, **{k: to_plain(v) for k, v in value.kwargs.items()}}
    if dataclasses.is_dataclass(value):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def parse_dataclass(cls: type, data: Any, where: str, source: str) -> Any:
    """Build dataclass ``cls`` from a mapping, checking every key and type.

    Args:
        where: the key path of ``data`` in the file ("model.backbone"), for messages.
        source: the file name, for messages.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: {where or 'the file'} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(f"{source}: unknown key {key!r} (allowed here: {', '.join(fields)})")
    values = {}
    for name, f in fields.items():
        path = f"{where}.{name}" if where else name
        if name in data:
            values[name] = convert(hints[name], data[name], path, source)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{source}: missing key {path!r}")
    try:
        return cls(**values)
    except ConfigError:
        raise
    except ValueError as error:  # a block's own checks (__post_init__)
        raise ConfigError(f"{source}: {error}") from error


def convert(kind: Any, value: Any, path: str, source: str) -> Any:
    """Check ``value`` against the annotation ``kind`` and convert it (lists to tuples, ...)."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)

    def fail(expected: str):
        raise ConfigError(f"{source}: {path} must be {expected}, got {value!r}")

    if kind is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return convert(option, value, path, source)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0])
    if origin is Literal:
        return value if value in args else fail(f"one of {', '.join(map(str, args))}")
    if kind is Component:
        if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
            fail("a {name: ..., <kwargs>} block")
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in value.items() if k != "name"}
        return Component(value["name"], types.MappingProxyType(kwargs))
    if dataclasses.is_dataclass(kind):
        return parse_dataclass(kind, value, path, source)
    if kind is bool:
        return value if isinstance(value, bool) else fail("true or false")
    if kind is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else fail("an integer")
    if kind is float:
        if isinstance(value, str):  # YAML reads 1e-4 (no dot) as a string
            try:
                return float(value)
            except ValueError:
                fail("a number")
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return float(value) if ok else fail("a number")
    if kind is str:
        return value if isinstance(value, str) else fail("a string")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            fail("a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(convert(args[0], v, f"{path}[{i}]", source) for i, v in enumerate(value))
        if len(args) != len(value):
            fail(f"a list of {len(args)} items")
        return tuple(convert(a, v, f"{path}[{i}]", source) for i, (a, v) in enumerate(zip(args, value)))
    if origin in (dict, Mapping, typing.Mapping) or kind in (dict, Mapping):
        return types.MappingProxyType(dict(value)) if isinstance(value, Mapping) else fail("a mapping")
    raise ConfigError(f"{source}: {path}: unsupported annotation {kind!r}")


def apply_overrides(raw: dict[str, Any], overrides: list[str], source: str) -> dict[str, Any]:
    """Apply ``a.b=c`` assignments (values parsed as YAML) to a raw config dict."""
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. train.max_steps=100")
        node = raw
        parts = key.split(".")
        for part in parts[:-1]:
            if node.get(part) is None:
                node[part] = {}
            if not isinstance(node[part], dict):
                raise ConfigError(f"{source}: --set {key}: {part!r} is not a block")
            node = node[part]
        try:
            node[parts[-1]] = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ConfigError(f"--set {item!r}: the value is not valid YAML ({str(error).splitlines()[0]})") from error
    return raw


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return raw


def parse_run_config(raw: Mapping[str, Any], source: str) -> RunConfig:
    """A checked ``RunConfig`` from a raw dict; the pipeline named in it gives the block types."""
    raw = dict(raw)
    name = raw.get("pipeline")
    if not isinstance(name, str):
        raise ConfigError(f"{source}: missing key 'pipeline' (one of {', '.join(PIPELINES.names())})")
    try:
        pipeline = PIPELINES.entry(name).factory
    except UnknownPipeline as error:
        raise ConfigError(f"{source}: {error}") from error
    unknown = sorted(set(raw) - {"pipeline", "model", "data", "train"})
    if unknown:
        raise ConfigError(f"{source}: unknown key {unknown[0]!r} (allowed: pipeline, model, data, train)")
    raw = migrate_legacy(raw, pipeline, source)
    return RunConfig(
        pipeline=name,
        model=parse_dataclass(pipeline.model_config, raw.get("model"), "model", source),
        data=parse_dataclass(pipeline.data_config, raw.get("data"), "data", source),
        train=parse_dataclass(TrainConfig, raw.get("train"), "train", source),
    )


LEGACY_ADAPTER_KEYS = ("adapter", "lora_rank", "lora_targets")


def migrate_legacy(raw: dict[str, Any], pipeline: Any, source: str) -> dict[str, Any]:
    """An older config in the current shape: the adapter moved (``with_model_adapter``), and the
    task moves its own older model keys (``Pipeline.migrate_model_block``)."""
    raw = with_model_adapter(raw, source)
    try:
        model = pipeline.migrate_model_block(raw["model"])
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{source}: model: {error}") from error
    return {**raw, "model": model}


def with_model_adapter(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """``train.adapter: lora`` (+ ``lora_rank``, ``lora_targets``), as older configs and checkpoints
    have it, moved to ``model.adapter: {name: lora, rank, targets}``; plain dicts only, so that
    checkpoint headers are read without the task's code."""
    model = dict(raw.get("model") or {})
    train = dict(raw.get("train") or {})
    legacy = {key: train.pop(key) for key in LEGACY_ADAPTER_KEYS if key in train}
    if legacy.get("adapter", "none") not in ("none", None):
        if "adapter" in model:
            raise ConfigError(f"{source}: both train.adapter (older) and model.adapter; keep model.adapter")
        adapter = {"name": legacy["adapter"]}
        if "lora_rank" in legacy:
            adapter["rank"] = legacy["lora_rank"]
        if "lora_targets" in legacy:
            adapter["targets"] = legacy["lora_targets"]
        model["adapter"] = adapter
    return {**raw, "model": model, "train": train}


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read, override and check a run config file."""
    raw = apply_overrides(read_yaml(path), list(overrides or []), str(path))
    return parse_run_config(raw, str(path))

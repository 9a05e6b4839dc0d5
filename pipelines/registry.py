"""Task pipelines by name, imported only when used, and the functions doing each task's verbs.

An entry is ``"module:Class"`` (a task is imported the first time its class is asked for) or a
class (tests register their own). What the command line needs before that, a task's options and
verbs, comes from its ``options.py`` (``"module:SPEC"``), which imports nothing heavy. A task's
class-level verbs (samples, evaluate, bench, export_bundle, and the adapter and batch benches) are
``verb -> "module:function"`` entries in ``VERBS``, imported when the verb runs: benchmarks live in
``hybridvision.bench``, which nothing else imports.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import InputError
from .options import TaskSpec

TASKS = {  # name -> ("module:Class" of the pipeline, "module:SPEC" of its command-line surface)
    task: (f"hybridvision.pipelines.{task}.pipeline:{cls}", f"hybridvision.pipelines.{task}.options:SPEC")
    for task, cls in {
        "tumor3d": "Tumor3DPipeline",
        "xray2shape": "X2SPipeline",
        "spectral": "SpectralPipeline",
        "superres": "SuperresPipeline",
    }.items()
}

VERBS = {  # name -> verb -> "module:function" (a verb a task lacks is absent)
    "tumor3d": {
        "samples": "hybridvision.pipelines.tumor3d.samples:write_samples",
        "migrate_model_block": "hybridvision.pipelines.tumor3d.model_block:migrate_model_block",
        "evaluate": "hybridvision.pipelines.tumor3d.evaluate:evaluate_folders",
        "export_bundle": "hybridvision.pipelines.tumor3d.bundle:export_bundle",
        "bench": "hybridvision.bench.tumor3d.benchmark:run_benchmark",
        "adapter_bench": "hybridvision.bench.tumor3d.adapter_bench:run",
    },
    "xray2shape": {
        "samples": "hybridvision.pipelines.xray2shape.samples:write_samples",
        "migrate_model_block": "hybridvision.pipelines.xray2shape.model_block:migrate_model_block",
        "evaluate": "hybridvision.pipelines.xray2shape.evaluate:evaluate_folders",
        "export_bundle": "hybridvision.pipelines.xray2shape.bundle:export_bundle",
        "adapter_bench": "hybridvision.bench.xray2shape.adapter_bench:run",
    },
    "spectral": {
        "samples": "hybridvision.pipelines.spectral.samples:write_samples",
        "migrate_model_block": "hybridvision.pipelines.spectral.model_block:migrate_model_block",
        "evaluate": "hybridvision.pipelines.spectral.evaluate:evaluate_folders",
        "export_bundle": "hybridvision.pipelines.spectral.bundle:export_bundle",
        "bench": "hybridvision.bench.spectral.benchmark:run_benchmark",
        "adapter_bench": "hybridvision.bench.spectral.adapter_bench:run",
    },
    "superres": {
        "samples": "hybridvision.pipelines.superres.samples:write_samples",
        "migrate_model_block": "hybridvision.pipelines.superres.model_block:migrate_model_block",
        "evaluate": "hybridvision.pipelines.superres.evaluate:evaluate_folders",
        "export_bundle": "hybridvision.pipelines.superres.bundle:export_bundle",
        "bench": "hybridvision.bench.superres.bench_report:run_benchmark",
        "adapter_bench": "hybridvision.bench.superres.adapter_bench:run",
        "batch_bench": "hybridvision.bench.superres.batch_bench:run",
    },
}
VERB_NAMES = {  # every verb -> what the error calls it when a task lacks it
    "samples": "sample generator",
    "evaluate": "evaluation",
    "bench": "benchmark",
    "export_bundle": "MONAI bundle export",
    "adapter_bench": "adapter bench",
    "batch_bench": "batch bench",
    "migrate_model_block": "model block migration",  # light: list checkpoints reads configs without torch
}


def load(target: str) -> Any:
    """The object a ``"module:name"`` string names, its module imported now."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass
class LazyEntry:
    """A registered pipeline: its class is imported on first use of ``factory``."""

    name: str
    target: Any  # "module:Class" or the class
    spec_target: Any = None  # "module:SPEC", a TaskSpec, or None (read from the class)
    verbs: dict[str, Any] = field(default_factory=dict)  # verb -> "module:function" or the function
    _loaded: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.verbs) - set(VERB_NAMES))
        if unknown:  # a typo here would only show as "has no ..." when the verb runs
            raise ValueError(f"pipeline {self.name!r}: unknown verb {unknown[0]!r} (one of {', '.join(VERB_NAMES)})")

    @property
    def factory(self) -> type:
        if "class" not in self._loaded:
            self._loaded["class"] = load(self.target) if isinstance(self.target, str) else self.target
        return self._loaded["class"]

    @property
    def spec(self) -> TaskSpec:
        if "spec" not in self._loaded:
            if isinstance(self.spec_target, str):
                self._loaded["spec"] = load(self.spec_target)
            else:
                self._loaded["spec"] = self.spec_target or self.factory.task_spec(tuple(self.verbs))
        return self._loaded["spec"]

    def function(self, verb: str) -> Callable[..., Any]:
        """The function doing ``verb`` (a key of ``VERB_NAMES``) for this task, imported now.

        Raises:
            NotImplementedError: the task has no such verb (``pipeline spectral has no MONAI bundle export``).
        """
        target = self.verbs.get(verb)
        if target is None:
            raise NotImplementedError(f"pipeline {self.name} has no {VERB_NAMES[verb]}")
        return load(target) if isinstance(target, str) else target


class UnknownPipeline(InputError):
    """A pipeline name nobody registered."""


class PipelineRegistry:
    """Maps task names to lazily imported pipeline classes."""

    def __init__(self, tasks: dict[str, tuple[str, str]], verbs: dict[str, dict[str, str]]):
        self._entries = {
            name: LazyEntry(name, target, spec, dict(verbs.get(name, {}))) for name, (target, spec) in tasks.items()
        }

    def register(self, name: str, target: Any, spec: Any = None, verbs: dict[str, Any] | None = None) -> Any:
        """Register a pipeline class (or ``"module:Class"``) under ``name``, with the functions doing
        its verbs (``verb -> "module:function"`` or the function); returns the target."""
        if name in self._entries:
            raise ValueError(f"pipeline {name!r} is already registered")
        self._entries[name] = LazyEntry(name, target, spec, dict(verbs or {}))
        return target

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entry(self, name: str) -> LazyEntry:
        if name not in self._entries:
            close = difflib.get_close_matches(name, self.names(), n=5, cutoff=0.4)
            hint = f"; closest: {', '.join(close)}" if close else f"; known: {', '.join(self.names())}"
            raise UnknownPipeline(f"unknown pipeline {name!r}{hint}")
        return self._entries[name]

    def spec(self, name: str) -> TaskSpec:
        return self.entry(name).spec

    def function(self, name: str, verb: str) -> Callable[..., Any]:
        """The function doing ``verb`` for pipeline ``name``, imported now (see ``LazyEntry.function``)."""
        return self.entry(name).function(verb)


PIPELINES = PipelineRegistry(TASKS, VERBS)

"""Task pipelines by name, imported only when used.

An entry is ``"module:Class"`` (a task is imported the first time its class is asked for) or a
class (tests register their own). What the command line needs before that, a task's options and
verbs, comes from its ``options.py`` (``"module:SPEC"``), which imports nothing heavy.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import Any

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
    _loaded: dict = field(default_factory=dict)

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
                self._loaded["spec"] = self.spec_target or self.factory.task_spec()
        return self._loaded["spec"]


class UnknownPipeline(InputError):
    """A pipeline name nobody registered."""


class PipelineRegistry:
    """Maps task names to lazily imported pipeline classes."""

    def __init__(self, tasks: dict[str, tuple[str, str]]):
        self._entries = {name: LazyEntry(name, target, spec) for name, (target, spec) in tasks.items()}

    def register(self, name: str, target: Any, spec: Any = None) -> Any:
        """Register a pipeline class (or ``"module:Class"``) under ``name``; returns the target."""
        if name in self._entries:
            raise ValueError(f"pipeline {name!r} is already registered")
        self._entries[name] = LazyEntry(name, target, spec)
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


PIPELINES = PipelineRegistry(TASKS)

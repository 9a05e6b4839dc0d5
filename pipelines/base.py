"""The Pipeline template every task follows, and ``IOSpec``, what a model takes and gives.

A pipeline turns files into units of work and units into outputs; the array template:

    discover_units(input) -> [Unit]          how files group (4 MRI files, a pair of views, ...)
    output_names(unit)    -> [file names]    what a unit writes (used to resume)
    read(unit)            -> Sample          image + meta (name, affine, CRS ...)
    preprocess(sample)    -> sample          normalise, resample, crop for the network
    infer(model, sample)  -> sample          sets pred (sliding window; or a window function to stream)
    postprocess(sample)   -> sample          back to the input's grid and label values
    write(sample, paths)                     to the temporary paths the batch runner gives

and the streaming template (``Streaming``) for inputs larger than memory: read opens the input,
infer sets pred to a window function, write runs the windows of ``plan`` through it into a
``sink``. For training: build_model, loss, metrics, train_dataset / val_dataset. A ``Sample`` holds
``image``, ``meta``, ``pred`` (``infer`` always sets it) and ``label`` (ground truth only); training
batches are dicts. Apps only call pipelines; pipelines only call backbones.
"""

from __future__ import annotations

import abc
import importlib
import importlib.util
from dataclasses import asdict, field, make_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

import torch
from torch import nn

from .errors import InputError
from .io_spec import IOSpec, TensorSpec
from .options import CliOption, TaskSpec
from .registry import PIPELINES
from .streaming import Streaming
from .units import GROUND_TRUTH_SUFFIXES, Batch, Sample, Unit, is_ground_truth  # noqa: F401  (tasks import them from here)

if TYPE_CHECKING:
    from .report import Report

__all__ = [
    "PIPELINES",
    "Batch",
    "CliOption",
    "InputError",
    "IOSpec",
    "Pipeline",
    "Sample",
    "Streaming",
    "TensorSpec",
    "Unit",
]


# a task folder holds its files by role; these hooks are found there, by name, unless the class says
TASK_FUNCTIONS = {
    "write_samples": "samples:write_samples",
    "evaluate": "evaluate:evaluate_folders",
    "benchmark": "benchmark:run_benchmark",
    "export_bundle": "bundle:export_bundle",
    "adapter_bench": "adapter_bench:run",
    "batch_bench": "batch_bench:run",
}
MISSING_HOOK = {
    "write_samples": "sample generator",
    "evaluate": "evaluation",
    "benchmark": "benchmark",
    "export_bundle": "MONAI bundle export",
    "adapter_bench": "adapter bench (no adapter_bench.py in its folder)",
    "batch_bench": "batch bench (no batch_bench.py in its folder)",
}

_OPTION_TYPES: dict[type, type] = {}  # a task class -> its frozen options dataclass, made once


class Pipeline(abc.ABC):
    """A task: its model, its data, its files. Subclasses fill in the hooks.

    Class attributes:
        name: the registry name (``tumor3d``).
        model_config / data_config: the dataclasses of the config's ``model`` and ``data`` blocks.
        monitor: the validation metric that picks the best checkpoint, and whether higher is better.

    Args:
        model: the parsed ``model`` block of the run config.
        data: the parsed ``data`` block.
    """

    spec: ClassVar[TaskSpec | None] = None  # a task's command-line surface (its options.py); sets the below
    name: ClassVar[str]
    model_config: ClassVar[type]
    data_config: ClassVar[type]
    monitor: ClassVar[tuple[str, str]] = ("val/loss", "min")
    predict_options: ClassVar[tuple[CliOption, ...]] = ()
    samples_options: ClassVar[tuple[CliOption, ...]] = ()
    evaluate_options: ClassVar[tuple[CliOption, ...]] = ()
    description: ClassVar[str] = ""
    default_checkpoint_stem: ClassVar[str] = ""  # the shipped checkpoint used without --checkpoint
    # where a task's class-level work lives, when not where TASK_FUNCTIONS says (imported on first use)
    functions: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is not None:  # one declaration, in the task's options.py, for the CLI and the class
            cls.name, cls.description, cls.default_checkpoint_stem = (
                spec.name,
                spec.description,
                spec.default_checkpoint,
            )
            cls.predict_options = spec.predict
            cls.samples_options, cls.evaluate_options = spec.samples or (), spec.evaluate or ()

    @classmethod
    def task_spec(cls) -> TaskSpec:
        """The command-line surface: the declared ``spec``, or one read from the class (tests' pipelines)."""
        if cls.spec is not None:
            return cls.spec

        def overrides(hook: str) -> bool:
            return (
                cls.function_target(hook) is not None
                or getattr(cls, hook).__func__ is not getattr(Pipeline, hook).__func__
            )

        return TaskSpec(
            name=cls.name,
            description=cls.description,
            default_checkpoint=cls.default_checkpoint_stem,
            predict=cls.predict_options,
            samples=cls.samples_options if overrides("write_samples") else None,
            evaluate=cls.evaluate_options if overrides("evaluate") else None,
            bench=None,
            export_bundle=overrides("export_bundle"),
        )

    def __init__(self, model: Any, data: Any):
        self.model_cfg = model
        self.data_cfg = data
        self.options = self.options_type()()  # the batch runner's option set (configure_prediction)
        self.prediction_options: dict[str, Any] = asdict(self.options)

    # -- model and training -------------------------------------------------------------
    @property
    @abc.abstractmethod
    def io_spec(self) -> IOSpec:
        """The model's inputs and outputs under this config."""

    @abc.abstractmethod
    def build_model(self) -> nn.Module:
        """The network, freshly initialised."""

    @abc.abstractmethod
    def loss(self, pred: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Training loss of a batch's prediction."""

    def metrics(self, pred: torch.Tensor, batch: Batch) -> dict[str, float]:
        """Validation metrics of a batch (the loss is logged by the harness anyway)."""
        return {}

    def forward(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        """The training/validation forward pass; override when a model takes more than the image."""
        return model(batch["image"])

    def train_dataset(self, seed: int) -> torch.utils.data.Dataset:
        """Training data; a dataset may offer ``run_records() -> {file name: JSON}`` (a data split),
        which the harness writes into the run folder."""
        raise NotImplementedError(f"pipeline {self.name} has no training data yet")

    def val_dataset(self, seed: int) -> torch.utils.data.Dataset:
        raise NotImplementedError(f"pipeline {self.name} has no validation data yet")

    def describe(self) -> dict[str, Any]:
        """What a checkpoint must know beyond the config (label convention, scale, bands)."""
        return {}

    @classmethod
    def migrate_model_block(cls, block: dict[str, Any]) -> dict[str, Any]:
        """A raw ``model`` block of an older config in the current shape (shipped checkpoints keep
        their config as saved); raise ValueError for a mix of older and newer keys."""
        return block

    def migrate_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """A saved state dict in this model's current layout (checkpoints are migrated on load, never re-saved)."""
        return state

    @classmethod
    def shipped_checkpoint_for(cls, options: Mapping[str, Any]) -> str:
        """The stem of the shipped checkpoint that prediction options ask for (``--scale 4``: ``x4``)."""
        return cls.default_checkpoint_stem

    def model_summary(self) -> str:
        """A few words on what the loaded model does, printed beside its name (``x2``, ``femur``)."""
        return ""

    @classmethod
    def options_type(cls) -> type:
        """The task's prediction options as a frozen dataclass: a field per ``predict_options`` entry,
        with its default (``Tumor3DPipelineOptions(tta=True)``)."""
        if cls not in _OPTION_TYPES:
            fields = [(o.name, o.type, field(default=o.default)) for o in cls.predict_options]
            _OPTION_TYPES[cls] = make_dataclass(f"{cls.__name__}Options", fields, frozen=True)
        return _OPTION_TYPES[cls]

    def make_options(self, **given: Any) -> Any:
        """The options ``given`` (the rest at their defaults), checked; an unknown name is a TypeError."""
        known = {o.name for o in self.predict_options}
        unknown = set(given) - known
        if unknown:
            raise TypeError(f"{self.name} has no prediction option {sorted(unknown)[0]!r}")
        options = self.options_type()(**given)
        self.check_options(options)
        return options

    def check_options(self, options: Any) -> None:
        """Refuse a bad value in one ValueError naming its option; tasks add their rules."""
        return None

    def options_of(self, sample: Sample) -> Any:
        """The options ``sample`` runs under: its own (``predict_sample``'s), else the batch run's."""
        return sample.options if sample.options is not None else self.options

    def configure_prediction(self, **options: Any) -> None:
        """The option set of a batch run (the command line's values): what ``predict_unit`` and the
        files hooks use. The Python API and the demo pass options to ``predict_sample`` instead."""
        self.options = self.make_options(**options)
        self.prediction_options = asdict(self.options)

    # -- files -------------------------------------------------------------------------
    def finish_batch(self, output_dir: Path, results: list) -> None:
        """After every unit of a batch (``results``: their ``UnitResult``s in input order): write
        what gathers them (spectral chips' ``predictions.csv``). Most tasks need nothing."""
        return None

    @abc.abstractmethod
    def discover_units(self, input_path: Path) -> list[Unit]:
        """Group the files under ``input_path`` (a file or a folder) into units of work."""

    @abc.abstractmethod
    def output_names(self, unit: Unit) -> list[str]:
        """File names (no folder) that ``write`` produces for ``unit``."""

    @abc.abstractmethod
    def read(self, unit: Unit) -> Sample:
        """Load a unit; raise ``InputError`` with a clear message for bad input."""

    def preprocess(self, sample: Sample) -> Sample:
        return sample

    @abc.abstractmethod
    def infer(self, model: nn.Module, sample: Sample) -> Sample:
        """Run the model; set ``sample.pred`` (always: the runner refuses a sample without one)."""

    def postprocess(self, sample: Sample) -> Sample:
        return sample

    @abc.abstractmethod
    def write(self, sample: Sample, paths: Mapping[str, Path]) -> None:
        """Write outputs; ``paths`` maps each name of ``output_names`` to the path to write."""

    # -- samples and evaluation (class-level: no model needed) -----------------------
    @classmethod
    def function_target(cls, hook: str) -> str | None:
        """``package.module:function`` doing ``hook`` for this task, None when the task has none."""
        module, _, function = cls.functions.get(hook, TASK_FUNCTIONS[hook]).partition(":")
        package = cls.__module__.rpartition(".")[0]
        found = importlib.util.find_spec(f"{package}.{module}") if package else None
        return f"{package}.{module}:{function}" if found else None

    @classmethod
    def task_function(cls, hook: str) -> Callable[..., Any]:
        """The task's function for ``hook`` (its file by role, see ``TASK_FUNCTIONS``), imported now."""
        target = cls.function_target(hook)
        if target is None:
            raise NotImplementedError(f"pipeline {cls.name} has no {MISSING_HOOK[hook]}")
        module, _, function = target.partition(":")
        return getattr(importlib.import_module(module), function)

    @classmethod
    def write_samples(cls, output: Path, count: int, seed: int, **options: Any) -> dict[str, Any]:
        """Write ``output/inputs``, ``output/truth`` and ``output/manifest.json``; return the manifest."""
        return cls.task_function("write_samples")(output, count, seed, **options)

    @classmethod
    def evaluate(cls, pred: Path, truth: Path, **options: Any) -> dict[str, Any]:
        """Score predictions against truth paired by file name: ``{"cases": [...], "mean": {...}}``."""
        return cls.task_function("evaluate")(Path(pred), Path(truth), **options)

    @classmethod
    def score_report(cls, result: dict[str, Any]) -> "Report":
        """``evaluate``'s result as tables: a row per case and the mean, numbers only; tasks add their own."""
        from .report import Report, Table

        cases = result["cases"]
        keys = [k for k, v in result["mean"].items() if isinstance(v, (int, float))]
        rows = [[str(case["case"]), *[f"{case[k]:.3f}" for k in keys]] for case in cases]
        rows.append(["mean", *[f"{result['mean'][k]:.3f}" for k in keys]])
        notes = [f"no prediction for {missing}" for missing in result.get("missing_predictions", [])]
        return Report([Table(f"{cls.name}: {len(cases)} case(s)", ["case", *keys], rows)], notes)

    @classmethod
    def benchmark(cls, output: Path, log: Callable[[str], None], **options: Any) -> "Report":
        """Run the task's benchmark (options from ``spec.bench``), save its JSON to ``output``, return its tables."""
        return cls.task_function("benchmark")(output, log, **options)

    @classmethod
    def export_bundle(cls, checkpoint: Path, output: Path) -> dict[str, str]:
        """Write a MONAI bundle of a checkpoint; returns what was exported and how it went."""
        return cls.task_function("export_bundle")(checkpoint, output)

    def predict_sample(self, model: nn.Module, sample: Sample, options: Any = None) -> Sample:
        """preprocess -> infer -> postprocess, in memory and under inference mode, on the model's device.

        Args:
            sample: what ``read`` gives, or what the Python API builds from an array.
            options: the task's ``options_type`` (``make_options``); None: the batch run's.

        Returns:
            The sample with ``pred`` set (for streamed inputs, the window function ``write`` runs).
        """
        sample.options = self.options if options is None else options
        with torch.inference_mode():
            sample = self.preprocess(sample)
            sample = self.infer(model, sample)
            if sample.pred is None:
                raise RuntimeError(f"{type(self).__name__}.infer set no pred for {sample.meta.get('name')}")
            return self.postprocess(sample)

    def predict_unit(
        self,
        model: nn.Module,
        unit: Unit,
        paths: Mapping[str, Path],
        progress: Callable[[int, int], None] | None = None,
        options: Any = None,
    ) -> str | None:
        """read -> ``predict_sample`` -> write, for one unit; ``progress`` hears of the work inside it
        (streamed windows). Returns the out-of-distribution warning a hook put in
        ``sample.meta["warning"]`` (``common/unfamiliar.py``), or None."""
        if unit.error:
            raise InputError(unit.error)
        sample = self.read(unit)
        sample.progress = progress
        try:
            self.write(self.predict_sample(model, sample, options), paths)
            return sample.meta.get("warning")
        finally:
            sample.close()

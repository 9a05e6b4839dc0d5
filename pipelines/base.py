"""The Pipeline template every task follows, and ``IOSpec``, what a model takes and gives.

A pipeline turns files into units of work and units into outputs; the array template:

    discover_units(input, options) -> [Unit]      how files group (4 MRI files, a pair of views, ...)
    output_names(unit, options)    -> [names]     what a unit writes (used to resume)
    read(unit)            -> Sample          image + meta (name, affine, CRS ...)
    predict_sample(model, sample, options):  the in-memory core, under inference mode:
        preprocess(sample)    -> sample      normalise, resample, crop for the network
        infer(model, sample)  -> sample      sets pred (sliding window)
        postprocess(sample)   -> sample      back to the input's grid and label values
    write(sample, paths)                     to the temporary paths the batch runner gives

Options (``make_options``: a frozen dataclass per task) are passed in and ride on the sample,
never stored on the pipeline. The streaming template (``Streaming``), for inputs larger than
memory: read opens the input, and infer runs the windows of ``plan`` through the network into a
sink: the output files ``output_sink`` opened, or an array (the Python API).
Training is apart: the class's ``training`` names its ``TrainingTask`` (loss, metrics, datasets:
``<task>/training.py``, see ``common/training_task.py``), which only the training harness imports.
A ``Sample`` holds
``image``, ``meta``, ``pred`` (``infer`` always sets it) and ``label`` (ground truth only); training
batches are dicts. Apps only call pipelines; pipelines only call backbones.
"""

from __future__ import annotations

import abc
from contextlib import nullcontext
from dataclasses import field, make_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Collection, ContextManager, Mapping

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


# the class-level hooks below call the functions the registry names for these verbs (registry.VERBS)
HOOK_VERBS = {"write_samples": "samples", "evaluate": "evaluate", "export_bundle": "export_bundle"}

_OPTION_TYPES: dict[type, type] = {}  # a task class -> its frozen options dataclass, made once


class Pipeline(abc.ABC):
    """A task: its model, its data, its files. Subclasses fill in the hooks.

    Class attributes:
        name: the registry name (``tumor3d``).
        model_config / data_config: the dataclasses of the config's ``model`` and ``data`` blocks.
        training: its ``TrainingTask``: ``"module:Class"`` in the task's package
            (``"training:Tumor3DTraining"``) or the class; None: it does not train.

    Args:
        model: the parsed ``model`` block of the run config.
        data: the parsed ``data`` block.
    """

    spec: ClassVar[TaskSpec | None] = None  # a task's command-line surface (its options.py); sets the below
    name: ClassVar[str]
    model_config: ClassVar[type]
    data_config: ClassVar[type]
    training: ClassVar[str | type | None] = None
    predict_options: ClassVar[tuple[CliOption, ...]] = ()
    samples_options: ClassVar[tuple[CliOption, ...]] = ()
    evaluate_options: ClassVar[tuple[CliOption, ...]] = ()
    description: ClassVar[str] = ""
    default_checkpoint_stem: ClassVar[str] = ""  # the shipped checkpoint used without --checkpoint
    # the batch runner may run ``preprocess`` in its read-ahead thread, beside the previous unit's
    # network: true where preprocess reads only the sample and its options (not sink or progress)
    # and costs enough to be worth overlapping
    preprocess_ahead: ClassVar[bool] = False

    # the ONNX operators ``quantize`` runs in INT8 (None: every one ONNX Runtime can)
    int8_operators: ClassVar[tuple[str, ...] | None] = None

    def calibration_samples(self) -> dict[str, Any]:
        """Options for ``write_samples`` that give the inputs this checkpoint reads (``quantize``
        calibrates on them)."""
        return {}

    def int8_window(self, model: Any, common: tuple[int, ...]) -> tuple[int, ...]:
        """The window (channels, *spatial) an INT8 file of ``model`` is quantised for, given the one
        calibration saw most often: that one, unless the task's windows vary (tiles cut at an image's
        edge) and it names its largest; smaller windows are padded up to it."""
        return common

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
    def task_spec(cls, verbs: Collection[str] = ()) -> TaskSpec:
        """The command-line surface: the declared ``spec``, or one read from the class and the ``verbs``
        it was registered with (tests' pipelines)."""
        if cls.spec is not None:
            return cls.spec

        def overrides(hook: str) -> bool:
            return HOOK_VERBS[hook] in verbs or getattr(cls, hook).__func__ is not getattr(Pipeline, hook).__func__

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
        self.checkpoint: dict[str, str] | None = None  # name, path and SHA-256, when loaded from one (provenance)

    # -- model (its training: ``training``) ---------------------------------------------
    @property
    @abc.abstractmethod
    def io_spec(self) -> IOSpec:
        """The model's inputs and outputs under this config."""

    @abc.abstractmethod
    def build_model(self) -> nn.Module:
        """The network, freshly initialised."""

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

    def default_options(self) -> Any:
        """Every prediction option at its default (what ``None`` stands for in the hooks that take options)."""
        return self.options_type()()

    def inference_settings(self, options: Any, device: torch.device | str) -> dict[str, Any]:
        """What the network runs under on ``device`` for ``options`` (window, batch, precision), for the
        report; tasks that choose these per device say so."""
        return {}

    def options_of(self, sample: Sample) -> Any:
        """The options ``sample`` runs under (``predict_sample`` sets them), else the defaults."""
        return sample.options if sample.options is not None else self.default_options()

    # -- files -------------------------------------------------------------------------
    def finish_batch(self, output_dir: Path, results: list) -> None:
        """After every unit of a batch (``results``: their ``UnitResult``s in input order): write
        what gathers them (spectral chips' ``predictions.csv``). Most tasks need nothing."""
        return None

    @abc.abstractmethod
    def discover_units(self, input_path: Path, options: Any = None) -> list[Unit]:
        """Group the files under ``input_path`` (a file or a folder) into units of work; ``options``:
        the run's (``make_options``; None: the defaults), for tasks whose discovery they steer."""

    @abc.abstractmethod
    def output_names(self, unit: Unit, options: Any = None) -> list[str]:
        """File names (no folder) that ``write`` produces for ``unit`` under ``options`` (None: the defaults)."""

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

    def output_sink(self, sample: Sample, paths: Mapping[str, Path]) -> ContextManager[Any]:
        """Streaming tasks: the output files, open while the windows are predicted into them
        (``Streaming``); array tasks: nothing (None), ``write`` follows ``predict_sample``."""
        return nullcontext(None)

    # -- samples and evaluation (class-level: no model needed; the registry's VERBS do them) ----
    @classmethod
    def write_samples(cls, output: Path, count: int, seed: int, **options: Any) -> dict[str, Any]:
        """Write ``output/inputs``, ``output/truth`` and ``output/manifest.json``; return the manifest."""
        return PIPELINES.function(cls.name, "samples")(output, count, seed, **options)

    @classmethod
    def evaluate(cls, pred: Path, truth: Path, **options: Any) -> dict[str, Any]:
        """Score predictions against truth paired by file name: ``{"cases": [...], "mean": {...}}``."""
        return PIPELINES.function(cls.name, "evaluate")(Path(pred), Path(truth), **options)

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
        return PIPELINES.function(cls.name, "bench")(output, log, **options)

    @classmethod
    def export_bundle(cls, checkpoint: Path, output: Path) -> dict[str, str]:
        """Write a MONAI bundle of a checkpoint; returns what was exported and how it went."""
        return PIPELINES.function(cls.name, "export_bundle")(checkpoint, output)

    def predict_sample(self, model: nn.Module, sample: Sample, options: Any = None) -> Sample:
        """preprocess -> infer -> postprocess, in memory and under inference mode, on the model's device.

        Args:
            sample: what ``read`` gives, or what the Python API builds from an array.
            options: the task's ``options_type`` (``make_options``); None: the defaults. Passed in,
                never kept: one loaded model serves any option set.

        Returns:
            The sample with ``pred`` set.
        """
        sample.options = self.default_options() if options is None else options
        with torch.inference_mode():
            sample = sample if sample.preprocessed else self.preprocess(sample)
            sample = self.infer(model, sample)
            if sample.pred is None:
                raise RuntimeError(f"{type(self).__name__}.infer set no pred for {sample.meta.get('name')}")
            return self.postprocess(sample)

    def predict_unit(self, *args: Any, **kwargs: Any) -> str | None:
        """``compute_unit`` and the writing it leaves, at once (its arguments): read -> ``predict_sample``
        -> write for one unit. Returns the out-of-distribution warning a hook put in
        ``sample.meta["warning"]`` (``common/unfamiliar.py``), or None."""
        return self.compute_unit(*args, **kwargs)()

    def compute_unit(
        self,
        model: nn.Module,
        unit: Unit,
        paths: Mapping[str, Path],
        progress: Callable[[int, int], None] | None = None,
        options: Any = None,
        read: Callable[[Unit], Sample] | None = None,
    ) -> Callable[[], str | None]:
        """Read and predict one unit under ``options`` (None: the defaults; streamed outputs are written
        as they come); ``progress`` hears of the work inside it (streamed windows); ``read`` stands in
        for ``self.read`` (the batch runner's read-ahead). Returns the rest: a call that writes the
        outputs to ``paths``, releases the sample and gives the warning, so that the batch runner can
        write one unit while the next computes."""
        if unit.error:
            raise InputError(unit.error)
        sample = (read or self.read)(unit)
        sample.progress = progress
        sample.options = self.default_options() if options is None else options
        try:
            with self.output_sink(sample, paths) as sink:  # streamed outputs: opened before, finished after
                sample.sink = sink
                sample = self.predict_sample(model, sample, sample.options)
        except BaseException:
            sample.close()
            raise

        def write() -> str | None:
            try:
                if sink is None:
                    self.write(sample, paths)
                return sample.meta.get("warning")
            finally:
                sample.close()

        return write

"""The batch runner behind every ``predict``: a file or folder in, a folder out.

Units come from the pipeline's discovery; each unit's outputs are written atomically; a unit whose
outputs all exist is skipped (so a re-run resumes) unless ``overwrite``; a failing unit is reported
in one line and the batch goes on; ``report.json`` records what happened.
"""

from __future__ import annotations

import contextlib
import dataclasses
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ..base import InputError, Pipeline, Unit
from ..errors import PartialOutput
from .atomic import atomic_outputs, remove_stale_temporaries, write_json_atomic
from .read_ahead import ReadAhead
from .safe_names import refuse_collisions, refuse_outside_links, safe_file_name
from .write_behind import WriteBehind

REPORT_NAME = "report.json"


@dataclass
class UnitResult:
    name: str
    status: str  # done, partial (some outputs written; a re-run retries it), skipped (outputs there) or failed
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    warning: str | None = None  # the input is far from what the model learned from (unfamiliar.py)
    notes: list[str] = field(default_factory=list)  # choices discovery made (a DICOM study's series)
    worker: str | None = None  # the Dask worker that ran it (None: this process)
    retries: int = 0  # times it was started again after its worker died
    worker_memory_mb: float | None = None  # the worker process's peak resident memory so far
    device: str | None = None  # where its model ran: "cpu", "cuda:1" (each Dask worker resolves its own)


@dataclass
class BatchReport:
    pipeline: str
    input: str
    output: str
    environment: dict[str, Any]
    checkpoint: dict[str, str] = field(default_factory=dict)  # name, path, sha256
    units: list[UnitResult] = field(default_factory=list)

    @property
    def failed(self) -> list[UnitResult]:
        return [u for u in self.units if u.status == "failed"]

    @property
    def incomplete(self) -> list[UnitResult]:
        """Units that failed or wrote only part of their outputs (the CLI exits 1 on any)."""
        return [u for u in self.units if u.status in ("failed", "partial")]

    def count(self, status: str) -> int:
        return sum(u.status == status for u in self.units)

    def to_dict(self) -> dict[str, Any]:
        summary = {s: self.count(s) for s in ("done", "partial", "skipped", "failed")}
        return {**asdict(self), "summary": summary}


def environment(device: torch.device | str) -> dict[str, Any]:
    """Versions and settings worth keeping beside results."""
    from importlib.metadata import PackageNotFoundError, version

    def version_of(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    return {
        "hybridvision": version_of("hybridvision"),
        "torch": torch.__version__,
        "monai": version_of("monai"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": str(device),
        "threads": torch.get_num_threads(),
    }


def describe_error(error: BaseException) -> str:
    """One line: the message of an expected input error, the type and message otherwise."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if isinstance(error, (InputError, FileNotFoundError)):
        return text or type(error).__name__
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def check_folders(input_path: Path, output_dir: Path) -> None:
    """Refuse a missing input, and an output folder that is (or lies inside) the input folder."""
    if not input_path.exists():
        raise InputError(f"input not found: {input_path}")
    input_dir = (input_path if input_path.is_dir() else input_path.parent).resolve()
    output = output_dir.resolve()
    if output == input_dir or input_dir in output.parents:
        raise InputError(f"output folder {output_dir} is the input folder or inside it; choose another")


def run_batch(
    pipeline: Pipeline,
    model: torch.nn.Module | None,
    input_path: Path,
    output_dir: Path,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    console: Console | None = None,
    checkpoint: dict[str, str] | None = None,
    engine: Any = None,
    follow_symlinks: bool = False,
    options: Any = None,
) -> BatchReport:
    """Predict every unit under ``input_path`` into ``output_dir``.

    Args:
        pipeline: the task, already configured from a checkpoint.
        model: the network on its device, in eval mode (None for a dry run or an ``engine``: its
            workers load their own).
        overwrite: redo units whose outputs already exist.
        dry_run: list the units found and what would happen; write nothing.
        checkpoint: the model's identity for the report (``checkpoint_identity``).
        engine: where units run: None, this process, one after another; a ``DaskEngine``, on a cluster.
        follow_symlinks: read files that link outside the input folder (refused otherwise).
        options: the prediction options (``pipeline.make_options``); None: the defaults. A
            ``DaskEngine`` carries its own (the same set: the command line's).

    Returns:
        The report; ``report.incomplete`` lists failed and partial units (the CLI exits 1 on any).
    """
    console = console or Console(stderr=True)
    input_path, output_dir = Path(input_path), Path(output_dir)
    check_folders(input_path, output_dir)
    options = pipeline.default_options() if options is None else options
    units = pipeline.discover_units(input_path, options)
    if not units:
        raise InputError(f"no {pipeline.name} inputs found in {input_path}")
    units = units if follow_symlinks else refuse_outside_links(units, input_path)
    units = refuse_collisions(units, lambda unit: pipeline.output_names(unit, options))
    device = next(model.parameters()).device if model is not None else torch.device("cpu")
    if engine is not None:  # its workers load their own models: each one chooses
        device = engine.describe_device()
    report = BatchReport(pipeline.name, str(input_path), str(output_dir), environment(device), checkpoint or {})
    if dataclasses.is_dataclass(options):
        report.environment["options"] = dataclasses.asdict(options)
    if engine is None:  # a Dask worker resolves its own device
        report.environment |= {"inference": pipeline.inference_settings(options, device)}

    if dry_run:
        show_plan(pipeline, units, output_dir, overwrite, console, options)
        return report

    output_dir.mkdir(parents=True, exist_ok=True)
    for stale in remove_stale_temporaries(output_dir):
        console.print(f"removed a partial file from an interrupted run: {escape(stale.name)}")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False, disable=not console.is_terminal) as progress:
        task = progress.add_task(f"{pipeline.name}", total=len(units))
        windows = progress.add_task("  windows", total=None, visible=False)

        def inside(done: int, total: int) -> None:  # a streamed unit's windows, in its own bar
            progress.update(windows, completed=done, total=total, visible=done < total)

        def will_run(unit: Unit) -> bool:  # not skipped: worth reading ahead
            finals = output_paths(pipeline, unit, output_dir, options).values()
            return not unit.error and (overwrite or not all(path.exists() for path in finals))

        def record(result: UnitResult) -> None:
            progress.update(windows, visible=False)
            report.units.append(result)
            show_result(result, console)
            progress.advance(task)

        if engine is None:
            ahead = ReadAhead(pipeline, options)
            to_run = [unit for unit in units if will_run(unit)]  # once: a resumed folder skips most
            following = dict(zip((u.name for u in to_run), to_run[1:]))

            def record_here(result: UnitResult) -> None:
                result.device = str(device)
                record(result)

            behind = WriteBehind(record_here)
            try:
                for unit in units:
                    progress.update(task, description=f"{pipeline.name}: {escape(unit.name)}")
                    read = ahead.reader(unit, following.get(unit.name))
                    run_unit(pipeline, model, unit, output_dir, overwrite, inside, options, read, behind)
            finally:
                try:
                    behind.close()
                finally:
                    ahead.close()
        else:
            progress.update(task, description=f"{pipeline.name} on {engine.describe()}")
            there = {
                unit.name
                for unit in units
                if all(p.exists() for p in output_paths(pipeline, unit, output_dir, options).values())
            }

            def record_from_cluster(result: UnitResult) -> None:
                # A worker killed after writing a unit, before reporting it: the rerun finds the
                # outputs of this run, not of an earlier one, so the unit is done, not skipped.
                if result.status == "skipped" and not overwrite and result.name not in there:
                    result.status = "done"
                    result.notes.append("finished by a worker that died before reporting it")
                record(result)

            engine.run(units, input_path, output_dir, overwrite, record_from_cluster)
            order = {unit.name: index for index, unit in enumerate(units)}
            report.units.sort(key=lambda result: order.get(result.name, len(order)))
            remove_stale_temporaries(output_dir)  # left by a worker killed mid-write
    pipeline.finish_batch(output_dir, report.units)
    write_json_atomic(output_dir / REPORT_NAME, report.to_dict())
    console.print(
        f"{pipeline.name}: {report.count('done')} done, "
        + (f"{report.count('partial')} partial, " if report.count("partial") else "")
        + f"{report.count('skipped')} skipped, {report.count('failed')} failed; report in {output_dir / REPORT_NAME}",
        highlight=False,
    )
    return report


def show_result(result: UnitResult, console: Console) -> None:
    """One line per unit that needs one: its notes, then failed, warning, skipped or retried."""
    name = escape(result.name)
    for note in result.notes:
        console.print(f"note {name}: {escape(note)}", highlight=False)
    if result.status == "failed":
        console.print(f"[red]failed[/red] {name}: {escape(result.error or '')}", highlight=False)
    elif result.status == "partial":
        console.print(f"[yellow]partial[/yellow] {name}: {escape(result.error or '')}", highlight=False)
    elif result.warning:
        console.print(f"[yellow]warning[/yellow] {name}: {escape(result.warning)}", highlight=False)
    elif result.status == "skipped":
        console.print(f"skipped {name}: outputs exist (use --overwrite to redo)", highlight=False)
    if result.retries:
        console.print(f"retried {name}: its worker died {result.retries} time(s); run again elsewhere", highlight=False)


def run_unit(
    pipeline: Pipeline,
    model: torch.nn.Module,
    unit: Unit,
    output_dir: Path,
    overwrite: bool,
    progress: Callable[[int, int], None] | None = None,
    options: Any = None,
    read: Callable[[Unit], Any] | None = None,
    behind: WriteBehind | None = None,
) -> UnitResult | None:
    """Predict one unit atomically, under ``options`` (None: the defaults), reading it with ``read``
    (None: ``pipeline.read``); never raises for a unit's own failure. With ``behind``, the unit's
    writing goes to its thread and its result to ``behind.record`` (None is returned)."""
    finals = output_paths(pipeline, unit, output_dir, options)
    notes = list(unit.extra.get("notes", ()))
    early = None
    if unit.error:  # before looking for outputs: a colliding unit's names may exist (its rival's)
        early = UnitResult(unit.name, "failed", error=unit.error, notes=notes)
    elif not overwrite and all(path.exists() for path in finals.values()):
        early = UnitResult(unit.name, "skipped", outputs=sorted(finals), notes=notes)
    if early is not None:
        return early if behind is None else behind.done(early)
    start = time.perf_counter()
    outputs = contextlib.ExitStack()
    temps = outputs.enter_context(atomic_outputs(finals))

    def finish(write: Callable[[], str | None]) -> UnitResult:
        """Write (inside the atomic block: renamed into place on success, removed on failure)."""
        try:
            with outputs:
                warning = write()
        except PartialOutput as partial:  # what was written is in place; the missing part makes a re-run retry
            seconds = round(time.perf_counter() - start, 3)
            return UnitResult(unit.name, "partial", seconds, sorted(partial.kept), error=str(partial), notes=notes)
        except Exception as error:  # one unit's failure must not stop the batch
            seconds = time.perf_counter() - start
            return UnitResult(unit.name, "failed", seconds, error=describe_error(error), notes=notes)
        seconds = round(time.perf_counter() - start, 3)
        return UnitResult(unit.name, "done", seconds, outputs=sorted(finals), warning=warning, notes=notes)

    try:
        write = pipeline.compute_unit(model, unit, temps, progress, options, read)
    except Exception as error:
        failed = finish(raising(error))
        return failed if behind is None else behind.done(failed)
    except BaseException:  # an interrupt: the temporaries go, nothing is renamed
        outputs.__exit__(*sys.exc_info())
        raise
    if behind is None:
        return finish(write)
    behind.write(lambda: finish(write))
    return None


def raising(error: Exception) -> Callable[[], None]:
    def write() -> None:
        raise error

    return write


def output_paths(pipeline: Pipeline, unit: Unit, output_dir: Path, options: Any = None) -> dict[str, Path]:
    """The pipeline's output names (the keys its ``write`` uses) to safe paths in ``output_dir``."""
    return {name: output_dir / safe_file_name(name) for name in pipeline.output_names(unit, options)}


def show_plan(
    pipeline: Pipeline, units: list[Unit], output_dir: Path, overwrite: bool, console: Console, options: Any = None
) -> None:
    table = Table(title=f"{pipeline.name}: {len(units)} unit(s) found (dry run, nothing written)")
    for column in ("unit", "files", "outputs", "action"):
        table.add_column(column)
    for unit in units:
        names = [path.name for path in output_paths(pipeline, unit, output_dir, options).values()]
        done = all((output_dir / n).exists() for n in names)
        action = "skip (outputs exist)" if done and not overwrite else "predict"
        files = [f.name for f in unit.files[:4]] + ([f"... {len(unit.files) - 4} more"] if len(unit.files) > 4 else [])
        files = unit.extra.get("summary") or files  # a unit of many files says what they are
        table.add_row(escape(unit.name), escape("\n".join(files)), escape("\n".join(names)), action)
    console.print(table)

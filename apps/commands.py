"""The verbs' bodies, kept out of cli.py: training, prediction and the shared option helpers."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape

from hybridvision.pipelines.common.devices import check_device_choice, resolve_device

console = Console()
errors = Console(stderr=True)


# what a slim install (no extras) lacks, and the extra that brings it
EXTRAS = {"lightning": "train", "albumentations": "train", "peft": "train", "gradio": "demo", "spandrel": "bench",
          "onnxruntime": "deploy"}  # fmt: skip


def friendly(func: Callable) -> Callable:
    """Turn an error in the user's input into ``error: <message>`` and exit code 2; a package of an
    extra that is not installed into the line that installs it."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from hybridvision.pipelines.errors import one_line, user_errors

        try:
            return func(*args, **kwargs)
        except user_errors() as error:
            errors.print(f"[red]error:[/red] {escape(one_line(error))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except ModuleNotFoundError as error:
            package = (error.name or "").split(".")[0]
            if package not in EXTRAS:
                raise
            extra = EXTRAS[package]
            line = f"this needs {package}, in the {extra} extra: pip install 'hybridvision[{extra}]'"
            errors.print(f"[red]error:[/red] {escape(line)}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def set_threads(threads: Optional[int]) -> None:
    import torch

    if threads is not None:
        if threads < 1:
            raise ValueError(f"--threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)


def typer_parameter(name: str, annotation, default, *flags: str, help: str) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=typer.Option(default, *flags, help=help)
    )


def make_command(function_name: str, doc: str, shared: list[inspect.Parameter], extra, run: Callable) -> Callable:
    """A Typer command whose options are ``shared`` plus a task's ``CliOption``s."""
    shared_names = [p.name for p in shared]

    def command(**kwargs):
        run(**{k: kwargs.pop(k) for k in shared_names}, options=kwargs)

    params = list(shared)
    for option in extra:
        flag = "--" + option.name.replace("_", "-")
        params.append(typer_parameter(option.name, option.type, option.default, flag, help=option.help))
    command.__signature__ = inspect.Signature(params)
    command.__doc__ = doc
    command.__name__ = function_name
    return friendly(command)


def choose_checkpoint(pipeline_name: str, checkpoint: Optional[Path], options: dict[str, Any]) -> Path:
    """``--checkpoint`` (a file, or a shipped name like ``<task>/<name>``), else the shipped one the
    options ask for (a scale, an anatomy), else the pipeline's default."""
    from hybridvision.pipelines.common.checkpoint import default_checkpoint, resolve_checkpoint

    return resolve_checkpoint(checkpoint) if checkpoint is not None else default_checkpoint(pipeline_name, options)


def run_predict(
    pipeline_name: str,
    input: Path,
    output: Path,
    checkpoint: Optional[Path],
    device: str,
    threads: Optional[int],
    overwrite: bool,
    dry_run: bool,
    workers: int = 0,
    scheduler: Optional[str] = None,
    follow_symlinks: bool = False,
    runtime: str = "torch",
    **options: Any,
) -> None:
    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.common.checkpoint import load_checkpoint, load_pipeline

    set_threads(threads)
    path = choose_checkpoint(pipeline_name, checkpoint, {**options, "input": input})
    on_dask = bool(workers or scheduler)
    if on_dask:  # each worker loads the model and resolves --device: this machine may have no GPU
        check_device_choice(device)
        (pipeline, metadata), model = load_pipeline(path), None
    else:
        pipeline, model, metadata = load_checkpoint(path, resolve_device(device))
    if metadata["pipeline"] != pipeline_name:
        raise ValueError(f"{path} is a {metadata['pipeline']} checkpoint, not {pipeline_name}")
    chosen = pipeline.make_options(**options)  # a bad value fails here, before any unit is read
    identity = dict(pipeline.checkpoint)  # hashed once, when the pipeline was loaded
    if runtime not in ("torch", "onnxruntime"):
        raise ValueError(f"--runtime must be torch or onnxruntime, got {runtime!r}")
    if runtime == "onnxruntime":
        from hybridvision.pipelines.common.onnx_runtime import onnx_network

        if on_dask:
            raise ValueError("--runtime onnxruntime runs in this process; leave out --workers and --scheduler")
        if path.suffix != ".onnx":  # an INT8 .onnx file runs in ONNX Runtime already
            model = onnx_network(model.cpu(), identity["sha256"], threads)
        identity["runtime"] = "onnxruntime"
    summary = pipeline.model_summary()
    errors.print(f"checkpoint {identity['name']}" + (f" ({summary})" if summary else ""), highlight=False)
    engine = None
    if on_dask:
        from hybridvision.pipelines.common.dask_engine import DaskEngine

        if workers < 0:
            raise ValueError(f"--workers must be at least 1, got {workers}")
        engine = DaskEngine(
            path, asdict(chosen), workers, scheduler, threads or 1, device=device, sha256=identity["sha256"]
        )
    report = run_batch(
        pipeline,
        model,
        input,
        output,
        overwrite=overwrite,
        dry_run=dry_run,
        console=errors,
        checkpoint=identity,
        engine=engine,
        follow_symlinks=follow_symlinks,
        options=chosen,
    )
    if report.incomplete:  # a failed unit, or a partial one (its label written, its DICOM-SEG not)
        raise typer.Exit(1)


def train_command(
    config: Path = typer.Option(
        None, "--config", "-c", help="run config YAML (configs/<task>/<name>.yaml); optional with --init"
    ),
    data: Path = typer.Option(
        None,
        "--data",
        help="your labelled folder instead of generated data: DIR/inputs as predict takes them, DIR/truth "
        "as samples writes it (README: Training on your own data)",
    ),
    init: str = typer.Option(
        None,
        "--init",
        help="start from this checkpoint (a shipped name or a file) and keep its model; with --config, "
        "that config's data and training settings (its adapter: frozen model + a fresh adapter)",
    ),
    overrides: list[str] = typer.Option([], "--set", help="override a key: --set train.max_steps=100"),
    output: Path = typer.Option(None, "--output", "-o", help="run folder (default runs/<task>-<config name>)"),
    resume: Path = typer.Option(
        None, "--resume", help="Lightning checkpoint to resume from (RUN/checkpoints/last.ckpt)"
    ),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda"),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for torch"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an earlier run in the same folder"),
) -> None:
    """Train a pipeline from a config, or fine-tune a checkpoint (--init), on generated data or your
    folder (--data); writes checkpoints, CSV logs and model.safetensors."""
    from hybridvision.pipelines.common.checkpoint import init_run_config
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.common.training import train
    from hybridvision.pipelines.common.user_data import own_classes

    set_threads(threads)
    if config is None and init is None:
        raise ValueError("give --config (a run config YAML) or --init (a checkpoint to start from), or both")
    if data is not None and not data.is_dir():
        raise FileNotFoundError(f"--data: no such folder: {data}")
    run_config = init_run_config(init, config, overrides) if init else load_config(config, overrides)
    if data is not None:
        chosen = dataclasses.replace(run_config.train, data_dir=str(data.resolve()))
        run_config = dataclasses.replace(run_config, train=chosen)
        classes = own_classes(data, run_config.model)
        if classes:  # the labels 1..K are yours: the model's class list, colours and head follow them
            names, colours = classes
            model = dataclasses.replace(run_config.model, classes=names, colours=colours)
            run_config = dataclasses.replace(run_config, model=model)
            console.print(f"classes from {data.name}/classes.json: {', '.join(names)}")
    name = config.stem if config else init.replace("/", "-").removesuffix(".safetensors").split("/")[-1]
    run_dir = output or Path("runs") / f"{run_config.pipeline}-{name}"
    if resume is not None and not resume.is_file():
        raise FileNotFoundError(f"--resume: checkpoint not found: {resume}")
    if resume is None and not overwrite and (run_dir / "model.safetensors").exists():
        raise FileExistsError(f"{run_dir} holds an earlier run; pass --output NEW, --resume or --overwrite")
    result = train(run_config, run_dir, resume=resume, device=resolve_device(device))
    console.print(f"model: {result.model_path}")
    console.print("metrics: " + ", ".join(f"{k}={v}" for k, v in result.metrics.items()))


def pipeline_class(name: str):
    from hybridvision.pipelines.registry import PIPELINES

    return PIPELINES.entry(name).factory


def pipeline_function(name: str, verb: str) -> Callable:
    """The function the registry names for a pipeline's ``verb`` (``bench`` ones live in hybridvision.bench)."""
    from hybridvision.pipelines.registry import PIPELINES

    return PIPELINES.function(name, verb)

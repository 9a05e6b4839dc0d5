"""The ``hybridvision`` command: ``hybridvision <verb> <pipeline> [options]``.

Verbs: ``list``, ``train``, ``predict``, ``bench``. Every pipeline's ``predict`` shares
``--input --output --checkpoint --device --threads --overwrite --dry-run`` and adds its own
options. Errors in what the user gave (files, configs, names) are one line, never a traceback.
"""

from __future__ import annotations

import functools
import inspect
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors in what the user gave: shown as one line. Anything else is a bug and keeps its traceback."""
    import yaml

    from hybridvision.backbones.registry import BuildError, RegistryError

    return (ValueError, OSError, RegistryError, BuildError, NotImplementedError, yaml.YAMLError)


def friendly(func: Callable) -> Callable:
    """Turn an error in the user's input into ``error: <message>`` and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except user_errors() as error:
            message = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
            errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def set_threads(threads: Optional[int]) -> None:
    import torch

    if threads is not None:
        if threads < 1:
            raise ValueError(f"--threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)


def resolve_device(device: str) -> str:
    import torch

    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"--device must be auto, cpu or cuda, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked but no CUDA device is available")
    return "cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device)


# -- train -----------------------------------------------------------------------------------
def train_command(
    config: Path = typer.Option(..., "--config", "-c", help="run config YAML (configs/<task>/<name>.yaml)"),
    overrides: list[str] = typer.Option([], "--set", help="override a key: --set train.max_steps=100"),
    output: Path = typer.Option(None, "--output", "-o", help="run folder (default runs/<task>-<config name>)"),
    resume: Path = typer.Option(
        None, "--resume", help="Lightning checkpoint to resume from (RUN/checkpoints/last.ckpt)"
    ),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda"),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for torch"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an earlier run in the same folder"),
) -> None:
    """Train a pipeline from a config; writes checkpoints, CSV logs and model.safetensors."""
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.common.training import train

    set_threads(threads)
    run_config = load_config(config, overrides)
    run_dir = output or Path("runs") / f"{run_config.pipeline}-{config.stem}"
    if resume is not None and not resume.is_file():
        raise FileNotFoundError(f"--resume: checkpoint not found: {resume}")
    if resume is None and not overwrite and (run_dir / "model.safetensors").exists():
        raise FileExistsError(f"{run_dir} holds an earlier run; pass --output NEW, --resume or --overwrite")
    result = train(run_config, run_dir, resume=resume, device=resolve_device(device))
    console.print(f"model: {result.model_path}")
    console.print("metrics: " + ", ".join(f"{k}={v}" for k, v in result.metrics.items()))


# -- predict ---------------------------------------------------------------------------------
def run_predict(
    pipeline_name: str,
    input: Path,
    output: Path,
    checkpoint: Optional[Path],
    device: str,
    threads: Optional[int],
    overwrite: bool,
    dry_run: bool,
    **options: Any,
) -> None:
    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.common.checkpoint import checkpoint_identity, load_checkpoint

    set_threads(threads)
    path = choose_checkpoint(pipeline_name, checkpoint, options)
    pipeline, model, metadata = load_checkpoint(path, resolve_device(device))
    if metadata["pipeline"] != pipeline_name:
        raise ValueError(f"{path} is a {metadata['pipeline']} checkpoint, not {pipeline_name}")
    pipeline.configure_prediction(**options)
    identity = checkpoint_identity(path)
    summary = pipeline.model_summary()
    errors.print(f"checkpoint {identity['name']}" + (f" ({summary})" if summary else ""), highlight=False)
    report = run_batch(
        pipeline, model, input, output, overwrite=overwrite, dry_run=dry_run, console=errors, checkpoint=identity
    )
    if report.failed:
        raise typer.Exit(1)


def choose_checkpoint(pipeline_name: str, checkpoint: Optional[Path], options: dict[str, Any]) -> Path:
    """``--checkpoint`` (a file, or a shipped name like ``superres/x4``), else the shipped one the
    options ask for (``--scale 4``, ``--anatomy spine``), else the pipeline's default."""
    from hybridvision.pipelines.common.checkpoint import default_checkpoint, resolve_checkpoint

    return resolve_checkpoint(checkpoint) if checkpoint is not None else default_checkpoint(pipeline_name, options)


def typer_parameter(name: str, annotation, default, *flags: str, help: str) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=typer.Option(default, *flags, help=help)
    )


def make_command(function_name: str, doc: str, shared: list[inspect.Parameter], extra, run: Callable) -> Callable:
    """A Typer command whose options are ``shared`` plus a pipeline's ``CliOption``s."""
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


def make_predict_command(pipeline_cls) -> Callable:
    name = pipeline_cls.name
    shared = [
        typer_parameter("input", Path, ..., "--input", "-i", help="a file or a folder of inputs"),
        typer_parameter("output", Path, ..., "--output", "-o", help="output folder (never the input folder)"),
        typer_parameter(
            "checkpoint", Optional[Path], None, "--checkpoint", help="a file or a shipped name (superres/x4)"
        ),
        typer_parameter("device", str, "auto", "--device", help="auto, cpu or cuda"),
        typer_parameter("threads", Optional[int], None, "--threads", help="CPU threads for torch"),
        typer_parameter("overwrite", bool, False, "--overwrite", help="redo units whose outputs exist"),
        typer_parameter("dry_run", bool, False, "--dry-run", help="list the units found; write nothing"),
    ]

    def run(options, **shared_values):
        run_predict(name, **shared_values, **options)

    doc = f"Predict with {name}: {pipeline_cls.description}"
    return make_command(f"predict_{name}", doc, shared, pipeline_cls.predict_options, run)


def make_samples_command(pipeline_cls) -> Callable:
    shared = [
        typer_parameter("output", Path, ..., "--output", "-o", help="folder for inputs/, truth/, manifest.json"),
        typer_parameter("count", int, 3, "--n", help="how many samples"),
        typer_parameter("seed", int, 1000, "--seed", help="first seed (sample i uses seed + i)"),
    ]

    def run(options, output: Path, count: int, seed: int):
        if count < 1:
            raise ValueError(f"--n must be at least 1, got {count}")
        with errors.status(f"writing {count} {pipeline_cls.name} sample(s) ...") as status:
            manifest = pipeline_cls.write_samples(
                output, count, seed, progress=lambda message: status.update(message), **options
            )
        console.print(f"wrote {len(manifest.get('cases', [])) or count} sample(s) to {output} (manifest.json)")

    doc = f"Write generated {pipeline_cls.name} samples: OUT/inputs, OUT/truth, OUT/manifest.json."
    return make_command(f"samples_{pipeline_cls.name}", doc, shared, pipeline_cls.samples_options, run)


def make_evaluate_command(pipeline_cls) -> Callable:
    shared = [
        typer_parameter("pred", Path, ..., "--pred", help="folder of predictions"),
        typer_parameter("truth", Path, ..., "--truth", help="folder of ground truth, named as the predictions"),
        typer_parameter("output", Optional[Path], None, "--output", "-o", help="write the scores as JSON"),
    ]

    def run(options, pred: Path, truth: Path, output: Optional[Path]):
        from hybridvision.pipelines.common.atomic import write_json_atomic

        result = pipeline_cls.evaluate(pred, truth, **options)
        print_scores(pipeline_cls.name, result)
        if output is not None:
            write_json_atomic(output, result)
            console.print(f"scores: {output}")

    doc = f"Score {pipeline_cls.name} predictions against ground truth, per case and on average."
    return make_command(f"evaluate_{pipeline_cls.name}", doc, shared, pipeline_cls.evaluate_options, run)


def make_export_bundle_command(pipeline_cls) -> Callable:
    shared = [
        typer_parameter("output", Path, ..., "--output", "-o", help="bundle folder to write"),
        typer_parameter(
            "checkpoint", Optional[Path], None, "--checkpoint", help="a file or a shipped name (xray2shape/spine)"
        ),
    ]

    def run(options, output: Path, checkpoint: Optional[Path]):
        path = choose_checkpoint(pipeline_cls.name, checkpoint, {})
        with errors.status(f"exporting a {pipeline_cls.name} MONAI bundle ..."):
            exports = pipeline_cls.export_bundle(path, output)
        for name, status in exports.items():
            console.print(f"models/{name}: {status}")
        console.print(f"bundle: {output} (see {output / 'docs' / 'README.md'})")

    doc = f"Export a {pipeline_cls.name} checkpoint as a MONAI bundle (configs, models, docs)."
    return make_command(f"export_bundle_{pipeline_cls.name}", doc, shared, (), run)


def print_scores(name: str, result: dict) -> None:
    cases = result["cases"]
    keys = [k for k, v in result["mean"].items() if isinstance(v, (int, float))]  # tables below for the rest
    table = Table(title=f"{name}: {len(cases)} case(s)")
    table.add_column("case")
    for key in keys:
        table.add_column(key, justify="right")
    for case in cases:
        table.add_row(str(case["case"]), *[f"{case[k]:.3f}" for k in keys])
    table.add_row("[bold]mean[/bold]", *[f"[bold]{result['mean'][k]:.3f}[/bold]" for k in keys])
    console.print(table)
    per_class = result["mean"].get("per_class_accuracy")
    if per_class:
        classes = Table(title="per-class accuracy (%), all cases pooled")
        classes.add_column("class")
        classes.add_column("accuracy", justify="right")
        classes.add_column("pixels / files", justify="right")
        for label, accuracy in per_class.items():
            support = result["mean"].get("support", {}).get(label, "")
            classes.add_row(label, "-" if accuracy is None else f"{accuracy:.2f}", str(support))
        console.print(classes)
    for missing in result.get("missing_predictions", []):
        errors.print(f"no prediction for {missing}", highlight=False)


# -- bench -----------------------------------------------------------------------------------
def bench_backbones_command(
    size: int = typer.Option(96, "--size", help="cube side of the 1x4xSxSxS input (multiple of 32)"),
    repeats: int = typer.Option(5, "--repeats", help="timed passes per model (median reported)"),
    threads: int = typer.Option(2, "--threads", help="CPU threads"),
    models: list[str] = typer.Option([], "--model", help="backbones to measure (default: closest size per family)"),
    output: Path = typer.Option(Path("bench-backbones.json"), "--output", "-o", help="JSON results"),
) -> None:
    """3D encoders: forward latency and peak memory against MONAI's Swin encoder, same run."""
    from hybridvision.backbones.benchmark import bench_backbones
    from hybridvision.pipelines.common.atomic import write_json_atomic

    result = bench_backbones(size, repeats, threads, models or None, log=lambda m: errors.print(m, highlight=False))
    table = Table(title=f"3D backbones, input {result['input']}, {threads} threads, median of {repeats}")
    for column in ("model", "params (M)", "median s", "peak MB", "speed-up vs ref", "memory ratio vs ref"):
        table.add_column(column, justify="right")
    for row in result["rows"]:
        table.add_row(
            row["model"],
            f"{row['parameters_m']:.2f}",
            f"{row['median_s']:.3f}",
            f"{row['peak_mb']:.0f}",
            f"{row['speedup_vs_reference']:.1f}x",
            f"{row['memory_ratio_vs_reference']:.1f}x",
        )
    console.print(table)
    write_json_atomic(output, result)
    console.print(f"results: {output}")


def bench_tumor3d_command(
    roi: int = typer.Option(128, "--roi", help="sliding-window ROI side (voxels), the same for both"),
    overlap: float = typer.Option(0.25, "--overlap", help="sliding-window overlap, the same for both"),
    threads: int = typer.Option(2, "--threads", help="CPU threads"),
    seeds: int = typer.Option(3, "--seeds", help="training seeds for the accuracy comparison"),
    train_steps: int = typer.Option(150, "--train-steps", help="training budget per model and seed (0: skip)"),
    output: Path = typer.Option(Path("bench-tumor3d.json"), "--output", "-o", help="JSON results"),
) -> None:
    """tumor3d against MONAI's SwinUNETR: one BraTS-sized volume, and Dice after the same budget."""
    from hybridvision.pipelines.common.atomic import write_json_atomic
    from hybridvision.pipelines.tumor3d.benchmark import bench_tumor3d

    def save(partial):
        write_json_atomic(output, partial)
        errors.print(f"speed: {partial['speedup']}x faster, memory ratio {partial['memory_ratio']}x", highlight=False)

    result = bench_tumor3d(
        roi, overlap, threads, seeds, train_steps, log=lambda m: errors.print(m, highlight=False), save=save
    )
    table = Table(title=f"tumor3d: 4x240x240x155, ROI {roi}^3, overlap {overlap}, {threads} threads")
    for column in ("model", "params (M)", "seconds / volume", "peak MB", "mean Dice (short budget)"):
        table.add_column(column, justify="right")
    dice = result.get("accuracy", {}).get("mean_dice", {})
    for row in result["speed"]:
        mean = dice.get(row["model"])
        table.add_row(
            row["model"],
            f"{row['parameters_m']:.2f}",
            f"{row['seconds']:.1f}",
            f"{row['peak_mb']:.0f}",
            "-" if mean is None else f"{mean:.3f}",
        )
    console.print(table)
    console.print(
        f"speed-up {result['speedup']}x, memory ratio {result['memory_ratio']}x"
        + (f", Dice difference {result['dice_difference']:+.3f}" if "dice_difference" in result else "")
    )
    write_json_atomic(output, result)
    console.print(f"results: {output}")


def bench_spectral_command(
    steps: int = typer.Option(1000, "--steps", help="training steps of each compared model (batch 64)"),
    limit: int = typer.Option(6000, "--test-pixels", help="test pixels per scene and band set (a random subset)"),
    threads: int = typer.Option(2, "--threads", help="CPU threads"),
    output: Path = typer.Option(Path("bench-spectral.json"), "--output", "-o", help="JSON results"),
) -> None:
    """spectral: same-scene 5% protocol (ChannelViT+HCS vs plain ViT), other scenes, missing bands, LoRA."""
    from hybridvision.pipelines.common.atomic import write_json_atomic
    from hybridvision.pipelines.spectral.benchmark import SUBSETS, bench_spectral

    if steps < 1 or limit < 1 or threads < 1:
        raise ValueError("--steps, --test-pixels and --threads must be at least 1")
    result = bench_spectral(
        steps,
        threads,
        limit,
        log=lambda m: errors.print(m, highlight=False),
        save=lambda partial: write_json_atomic(output, partial),
    )
    table = Table(title=f"spectral: overall accuracy (%) by bands kept; {steps} training steps where trained")
    for column in ("protocol", "model", *SUBSETS, "worst drop", "pixels/s"):
        table.add_column(column, justify="right")
    for model, row in result["same_scene"].items():
        if isinstance(row, dict):
            cells = [f"{row[k]:.2f}" for k in (*SUBSETS, "worst drop")]
            table.add_row("same scene, 5% labels", model, *cells, str(row["pixels_per_s"]))
    for scene, row in result["other_scenes"].items():
        if isinstance(row, dict):
            cells = [f"{row[k]:.2f}" for k in (*SUBSETS, "worst drop")]
            table.add_row(f"shipped, scene {scene}", "channelvit+hcs", *cells, str(row["pixels_per_s"]))
    console.print(table)
    lora = result["lora"]
    table = Table(title=f"adapting to another scene from {lora['target_labels_per_class']} labels per class")
    for column in ("method", "OA %", "trainable fraction"):
        table.add_column(column, justify="right")
    for method in ("no adaptation", "lora", "full fine-tuning"):
        table.add_row(method, f"{lora[method]['OA']:.2f}", f"{lora[method]['trainable']:.4f}")
    console.print(table)
    chips = result["chips"]
    if "skipped" not in chips:
        table = Table(title=f"chips: accuracy (%) on {chips['test_chips']} unseen chips by bands kept")
        for column in ("model", *SUBSETS, "one"):
            table.add_column(column, justify="right")
        for model in ("channelvit+hcs (shipped)", "plain vit (zero-filled)"):
            table.add_row(model, *[f"{chips[model][k]:.2f}" for k in (*SUBSETS, "one")])
        console.print(table)
    console.print(f"results: {output}")


def bench_superres_command(
    threads: int = typer.Option(2, "--threads", help="CPU threads"),
    sizes: str = typer.Option("2048,4096,8192", "--sizes", help="GeoTIFF sides for the x2 model, comma-separated"),
    stream_size: int = typer.Option(20000, "--stream-size", help="side of the identity-streaming raster (0: skip)"),
    repeats: int = typer.Option(3, "--repeats", help="timed passes per model (median reported)"),
    max_seconds: float = typer.Option(600, "--max-seconds", help="skip a GeoTIFF size extrapolated to take longer"),
    psnr_steps: int = typer.Option(
        300, "--psnr-steps", help="same-budget training steps, ours and SwinIR-light (0: skip)"
    ),
    quick: bool = typer.Option(
        False, "--quick", help="only the smallest of --sizes, at most 2 timed passes, 30 PSNR steps"
    ),
    output: Path = typer.Option(Path("bench-superres.json"), "--output", "-o", help="JSON results"),
) -> None:
    """superres against spandrel's SwinIR and HAT (x4 speed, same-budget PSNR), and peak memory on large GeoTIFFs."""
    from hybridvision.pipelines.common.atomic import write_json_atomic
    from hybridvision.pipelines.superres.benchmark import bench_superres

    try:
        side = sorted({int(s) for s in sizes.split(",") if s.strip()})
    except ValueError:
        raise ValueError(f"--sizes must be integers separated by commas, got {sizes!r}") from None
    if any(s < 64 for s in side) or 0 < stream_size < 64 or threads < 1 or repeats < 1:
        raise ValueError("--sizes and --stream-size must be at least 64, --threads and --repeats at least 1")
    if psnr_steps < 0:
        raise ValueError(f"--psnr-steps must be 0 (skip) or more, got {psnr_steps}")
    if quick:
        side, repeats, psnr_steps = side[:1], min(repeats, 2), min(psnr_steps, 30)
    result = bench_superres(
        threads,
        tuple(side),
        stream_size,
        min(2048, stream_size),
        repeats,
        max_seconds=max_seconds,
        psnr_steps=psnr_steps,
        log=lambda m: errors.print(m, highlight=False),
        save=lambda partial: write_json_atomic(output, partial),
    )
    table = Table(title=f"superres x4 of a 3x64x64 image, {threads} threads, median of {repeats}")
    for column in ("model", "params M", "s", "CPU s", "peak MB", "speed-up", "CPU speed-up", "memory"):
        table.add_column(column, justify="right")
    shown = set()
    for pair in result["throughput"]["pairs"]:
        for key in ("reference", "ours"):
            row, mine = pair[key], key == "ours"
            if row["model"] in shown:
                continue
            shown.add(row["model"])
            table.add_row(
                row["model"],
                f"{row['parameters_m']:.2f}",
                f"{row['median_s']:.3f}",
                f"{row['median_cpu_s']:.3f}",
                f"{row['peak_mb']:.0f}",
                f"{pair['speedup']:.2f}x" if mine else "ref",
                f"{pair['cpu_speedup']:.2f}x" if mine else "ref",
                f"{pair['memory_ratio']:.2f}x" if mine else "ref",
            )
    console.print(table)
    console.print("speed-up (wall, CPU seconds) and memory: reference / ours (above 1: ours is better)")
    psnr = result.get("psnr", {})
    if isinstance(psnr, dict) and "holdout_psnr_y" in psnr:
        budget = psnr["budget"]
        table = Table(
            title=f"hold-out Y-PSNR (dB), x4, both trained {budget['steps']} steps of {budget['batch']} patches"
        )
        columns = list(psnr["holdout_psnr_y"]["mean"])
        for column in ("image", *columns):
            table.add_column(column, justify="right")
        for image, row in psnr["holdout_psnr_y"].items():
            table.add_row(image, *(f"{row[c]:.2f}" for c in columns))
        console.print(table)
    runs = result.get("rasters", {}).get("runs", []) + result.get("streaming", {}).get("runs", [])
    if runs:
        table = Table(title="x2 of one-band GeoTIFFs, tile 256, overlap 16; peak RSS of the whole process")
        for column in ("side", "model", "GDAL cache", "s", "CPU s", "peak MB", "before MB", "georef"):
            table.add_column(column, justify="right")
        for run in runs:
            model = "identity" if run.get("model", "").startswith("identity") else "x2 model"
            if run.get("skipped"):
                estimate = f"~{run['extrapolated_seconds'] / 60:.0f} min"
                table.add_row(str(run["size"]), model, "-", f"skipped, {estimate}", "-", "-", "-", "-")
                continue
            cache = f"{run['gdal_cache_mb']} MB"
            table.add_row(
                str(run["size"]),
                model,
                cache,
                f"{run['seconds']:.1f}",
                f"{run['cpu_seconds']:.1f}",
                f"{run['peak_rss_mb']:.0f}",
                f"{run['rss_before_mb']:.0f}",
                "ok" if run["transform_scaled"] and run["crs_kept"] and run["size_scaled"] else "WRONG",
            )
        console.print(table)
    streaming = result.get("streaming", {})
    if "peak_growth_mb" in streaming:
        console.print(f"streaming: peak RSS grew {streaming['peak_growth_mb']} MB from the small raster")
    write_json_atomic(output, result)
    console.print(f"results: {output}")


# -- assembly --------------------------------------------------------------------------------
def demo_command(
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (0.0.0.0 exposes it to the network)"),
    port: int = typer.Option(7860, "--port", help="port to serve on"),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for torch"),
) -> None:
    """Serve the Gradio demo: a tab per pipeline with a shipped checkpoint, samples one click away."""
    set_threads(threads)
    from hybridvision.apps.demo import launch

    errors.print(f"hybridvision demo on http://{host}:{port} (Ctrl+C stops it)", highlight=False)
    launch(host, port)


def build_app() -> typer.Typer:
    """The Typer app, with one ``predict`` sub-command per registered pipeline."""
    from hybridvision.pipelines import PIPELINES, Pipeline

    from .listing import list_backbones, list_checkpoints, list_pipelines

    app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__.split("\n")[0])
    list_app = typer.Typer(no_args_is_help=True, help="List backbones, pipelines or shipped checkpoints.")
    list_app.command("backbones")(friendly(list_backbones))
    list_app.command("pipelines")(friendly(list_pipelines))
    list_app.command("checkpoints")(friendly(list_checkpoints))
    app.add_typer(list_app, name="list")
    app.command("train")(friendly(train_command))
    app.command("demo")(friendly(demo_command))
    bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks: ours against a reference, in the same run.")
    bench_app.command("backbones")(friendly(bench_backbones_command))
    bench_app.command("tumor3d")(friendly(bench_tumor3d_command))
    bench_app.command("superres")(friendly(bench_superres_command))
    bench_app.command("spectral")(friendly(bench_spectral_command))
    app.add_typer(bench_app, name="bench")
    verbs = (
        ("predict", "Batch prediction over a file or a folder.", make_predict_command, None),
        ("samples", "Generated samples in the common layout.", make_samples_command, "write_samples"),
        ("evaluate", "Score predictions against ground truth.", make_evaluate_command, "evaluate"),
        ("export-bundle", "Export a checkpoint as a MONAI bundle.", make_export_bundle_command, "export_bundle"),
    )
    for verb, help_text, make, hook in verbs:
        pipelines = [PIPELINES.entry(n).factory for n in PIPELINES.names()]
        pipelines = [
            p for p in pipelines if hook is None or getattr(p, hook).__func__ is not getattr(Pipeline, hook).__func__
        ]
        if pipelines:
            verb_app = typer.Typer(no_args_is_help=True, help=help_text)
            for pipeline_cls in pipelines:
                verb_app.command(pipeline_cls.name)(make(pipeline_cls))
            app.add_typer(verb_app, name=verb)
    return app


def main() -> None:
    build_app()(prog_name="hybridvision")


if __name__ == "__main__":
    sys.exit(main())

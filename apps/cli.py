"""The ``hybridvision`` command: ``hybridvision VERB PIPELINE --option value ...``.

Verbs: ``list``, ``train``, ``predict``, ``samples``, ``evaluate``, ``export-bundle``, ``bench``,
``demo``. Every pipeline's ``predict`` shares ``--input --output --checkpoint --device --threads
--overwrite --dry-run`` and adds its own options. Errors in what the user gave (files, configs,
names) are one line, never a traceback. Each task's options come from its ``TaskSpec``, read
without importing the task, so ``--help`` at any level loads no torch, MONAI or Gradio.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional

import typer

from .commands import (
    choose_checkpoint,
    console,
    errors,
    friendly,
    make_command,
    run_predict,
    set_threads,
    train_command,
    typer_parameter,
)


def pipeline_class(name: str):
    from hybridvision.pipelines.registry import PIPELINES

    return PIPELINES.entry(name).factory


def pipeline_function(name: str, verb: str) -> Callable:
    """The function the registry names for a pipeline's ``verb`` (``bench`` ones live in hybridvision.bench)."""
    from hybridvision.pipelines.registry import PIPELINES

    return PIPELINES.function(name, verb)


def make_predict_command(spec) -> Callable:
    shared = [
        typer_parameter("input", Path, ..., "--input", "-i", help="a file or a folder of inputs"),
        typer_parameter("output", Path, ..., "--output", "-o", help="output folder (never the input folder)"),
        typer_parameter(
            "checkpoint", Optional[Path], None, "--checkpoint", help="a file or a shipped name (<task>/<name>)"
        ),
        typer_parameter("device", str, "auto", "--device", help="auto, cpu or cuda"),
        typer_parameter("threads", Optional[int], None, "--threads", help="CPU threads for torch"),
        typer_parameter("overwrite", bool, False, "--overwrite", help="redo units whose outputs exist"),
        typer_parameter("dry_run", bool, False, "--dry-run", help="list the units found; write nothing"),
        typer_parameter(
            "follow_symlinks", bool, False, "--follow-symlinks", help="read files that link outside the input"
        ),
        typer_parameter(
            "runtime",
            str,
            "torch",
            "--runtime",
            help="torch, or onnxruntime (where the task's network exports; the deploy extra)",
        ),
        typer_parameter("workers", int, 0, "--workers", help="run units on a local Dask cluster of N processes"),
        typer_parameter(
            "scheduler", Optional[str], None, "--scheduler", help="run units on the Dask cluster at tcp://HOST:PORT"
        ),
    ]

    def run(options, **shared_values):
        run_predict(spec.name, **shared_values, **options)

    doc = f"Predict with {spec.name}: {spec.description}"
    return make_command(f"predict_{spec.name}", doc, shared, spec.predict, run)


def make_samples_command(spec) -> Callable:
    shared = [
        typer_parameter("output", Path, ..., "--output", "-o", help="folder for inputs/, truth/, manifest.json"),
        typer_parameter("count", int, 3, "--n", help="how many samples"),
        typer_parameter("seed", int, 1000, "--seed", help="first seed (sample i uses seed + i)"),
    ]

    def run(options, output: Path, count: int, seed: int):
        if count < 1:
            raise ValueError(f"--n must be at least 1, got {count}")
        with errors.status(f"writing {count} {spec.name} sample(s) ...") as status:
            manifest = pipeline_class(spec.name).write_samples(
                output, count, seed, progress=lambda message: status.update(message), **options
            )
        console.print(f"wrote {len(manifest.get('cases', [])) or count} sample(s) to {output} (manifest.json)")

    doc = f"Write generated {spec.name} samples: OUT/inputs, OUT/truth, OUT/manifest.json."
    return make_command(f"samples_{spec.name}", doc, shared, spec.samples, run)


def make_evaluate_command(spec) -> Callable:
    shared = [
        typer_parameter("pred", Path, ..., "--pred", help="folder of predictions"),
        typer_parameter("truth", Path, ..., "--truth", help="folder of ground truth, named as the predictions"),
        typer_parameter("output", Optional[Path], None, "--output", "-o", help="write the scores as JSON"),
    ]

    def run(options, pred: Path, truth: Path, output: Optional[Path]):
        from hybridvision.pipelines.common.atomic import write_json_atomic

        from .printing import print_report

        cls = pipeline_class(spec.name)
        result = cls.evaluate(pred, truth, **options)
        print_report(cls.score_report(result), console)
        if output is not None:
            write_json_atomic(output, result)
            console.print(f"scores: {output}")

    doc = f"Score {spec.name} predictions against ground truth, per case and on average."
    return make_command(f"evaluate_{spec.name}", doc, shared, spec.evaluate, run)


def make_export_bundle_command(spec) -> Callable:
    shared = [
        typer_parameter("output", Path, ..., "--output", "-o", help="bundle folder to write"),
        typer_parameter(
            "checkpoint", Optional[Path], None, "--checkpoint", help="a file or a shipped name (<task>/<name>)"
        ),
    ]

    def run(options, output: Path, checkpoint: Optional[Path]):
        path = choose_checkpoint(spec.name, checkpoint, {})
        with errors.status(f"exporting a {spec.name} MONAI bundle ..."):
            exports = pipeline_class(spec.name).export_bundle(path, output)
        for name, status in exports.items():
            console.print(f"models/{name}: {status}")
        console.print(f"bundle: {output} (see {output / 'docs' / 'README.md'})")

    doc = f"Export a {spec.name} checkpoint as a MONAI bundle (configs, models, docs)."
    return make_command(f"export_bundle_{spec.name}", doc, shared, (), run)


def make_bench_command(spec) -> Callable:
    shared = [
        typer_parameter("output", Path, Path(f"bench-{spec.name}.json"), "--output", "-o", help="JSON results"),
    ]

    def run(options, output: Path):
        from .printing import print_report

        report = pipeline_class(spec.name).benchmark(output, lambda m: errors.print(m, highlight=False), **options)
        print_report(report, console)

    return make_command(f"bench_{spec.name}", spec.bench_help, shared, spec.bench, run)


def bench_backbones_command(
    size: int = typer.Option(96, "--size", help="cube side of the 1x4xSxSxS input (multiple of 32)"),
    repeats: int = typer.Option(5, "--repeats", help="timed passes per model (median reported)"),
    threads: int = typer.Option(2, "--threads", help="CPU threads"),
    models: list[str] = typer.Option([], "--model", help="backbones to measure (default: closest size per family)"),
    output: Path = typer.Option(Path("bench-backbones.json"), "--output", "-o", help="JSON results"),
) -> None:
    """3D encoders: forward latency and peak memory against MONAI's Swin encoder, same run."""
    from hybridvision.bench.backbone_bench import backbone_report, bench_backbones
    from hybridvision.pipelines.common.atomic import write_json_atomic

    from .printing import print_report

    result = bench_backbones(size, repeats, threads, models or None, log=lambda m: errors.print(m, highlight=False))
    print_report(backbone_report(result, threads, repeats), console)
    write_json_atomic(output, result)
    console.print(f"results: {output}")


def bench_batch_command(
    pipeline: str = typer.Option(..., "--pipeline", help="the task whose work to time (its batch_bench verb)"),
    units: int = typer.Option(12, "--units", help="units each engine runs"),
    side: int = typer.Option(128, "--side", help="unit side in pixels"),
    output: Path = typer.Option(Path("bench-batch.json"), "--output", "-o", help="JSON results"),
) -> None:
    """The batch runner: units per minute serially and on 1 and 2 local Dask workers, same run."""
    from hybridvision.pipelines.common.atomic import write_json_atomic

    task = pipeline_function(pipeline, "batch_bench")
    result = task(units, side, log=lambda m: errors.print(m, highlight=False))
    for name, row in result["engines"].items():
        memory = ", ".join(f"{m:.0f}" for m in row["peak_memory_mb_per_process"])
        console.print(
            f"{name:8s} {row['units_per_minute']:7.1f} units/min ({row['steady_units_per_minute']:.1f} steady)  "
            f"{row['speed_vs_serial']:.2f}x serial  "
            f"{row['seconds']:6.1f} s  peak MB per process: {memory}"
        )
    write_json_atomic(output, result)
    console.print(f"results: {output}")


def bench_runtimes_command(
    checkpoint: Optional[list[str]] = typer.Option(
        None, "--checkpoint", help="a shipped name or file, repeatable (default: each task's default)"
    ),
    threads: int = typer.Option(2, "--threads", help="CPU threads for every runtime"),
    repeats: int = typer.Option(5, "--repeats", help="timed calls per runtime (the median is kept)"),
    samples: int = typer.Option(1, "--samples", help="generated samples whose windows calibrate INT8"),
    output: Path = typer.Option(Path("bench-runtimes.json"), "--output", "-o", help="JSON results (resumed)"),
) -> None:
    """torch, ONNX Runtime and INT8 on each model's window: seconds, achieved GFLOP/s against a
    matrix-multiply peak measured in the same run, and the share of multiply-adds run in INT8."""
    from hybridvision.bench.runtime_bench import run

    from .printing import print_report

    report = run(output, lambda m: errors.print(m, highlight=False), checkpoint, threads, repeats, samples)
    print_report(report, console)


def bench_adapters_command(
    pipeline: str = typer.Option(..., "--pipeline", help="the task whose arms to train (its adapter_bench verb)"),
    steps: int = typer.Option(100, "--steps", help="training steps per arm and learning rate"),
    quick: bool = typer.Option(False, "--quick", help="one arm, one learning rate, 2 steps at test size (CI)"),
    output: Path = typer.Option(Path("bench-adapters.json"), "--output", "-o", help="JSON results (resumed)"),
    data: Optional[Path] = typer.Option(
        None, "--data", help="your labelled folder (as train --data takes it): arms trained on --labels of its units"
    ),
    labels: int = typer.Option(5, "--labels", help="with --data: units each arm trains on (2, 5, 10 ...)"),
    seeds: int = typer.Option(3, "--seeds", help="with --data: seeds, each its own draw of units (mean and spread)"),
    lr: Optional[list[float]] = typer.Option(
        None, "--lr", help="with --data: learning rate(s) (default: the task's best)"
    ),
) -> None:
    """Frozen pretrained backbones + adapters against training from scratch: same data, same steps."""
    from .printing import print_report

    task = pipeline_function(pipeline, "adapter_bench")
    chosen = {"data": data, "labels": labels, "seeds": seeds, "learning_rates": tuple(lr or ())} if data else {}
    report = task(output, lambda m: errors.print(m, highlight=False), steps=steps, quick=quick, **chosen)
    print_report(report, console)
    console.print(f"results: {output}")


def quantize_command(
    checkpoint: str = typer.Argument(..., help="a checkpoint file or a shipped name (<task>/<name>)"),
    output: Path = typer.Option(..., "--output", "-o", help="the INT8 network, FILE.onnx"),
    samples: int = typer.Option(2, "--samples", help="generated samples whose windows calibrate it"),
) -> None:
    """INT8 static quantisation for ONNX Runtime, calibrated on the windows predict feeds the network;
    predict --checkpoint FILE.onnx runs it."""
    from hybridvision.pipelines.common.quantize import quantize_checkpoint

    facts = quantize_checkpoint(checkpoint, output, samples, log=lambda line: errors.print(line, highlight=False))
    for key, value in facts.items():
        console.print(f"{key}: {value}", highlight=False)
    console.print(f"wrote {output}")


def demo_command(
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (0.0.0.0 exposes it to the network)"),
    port: int = typer.Option(7860, "--port", help="port to serve on"),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for torch"),
) -> None:
    """Serve the Gradio demo: a tab per pipeline with a shipped checkpoint, samples one click away."""
    set_threads(threads)
    from hybridvision.apps.demo import launch

    errors.print(f"hybridvision demo on http://{host}:{port} (Ctrl+C stops it)", highlight=False)
    launch(host, port, announce=lambda message: errors.print(message, highlight=False))


VERBS = (  # verb, help, command maker, the spec field that says a task has the verb
    ("predict", "Batch prediction over a file or a folder.", make_predict_command, "predict"),
    ("samples", "Generated samples in the common layout.", make_samples_command, "samples"),
    ("evaluate", "Score predictions against ground truth.", make_evaluate_command, "evaluate"),
    ("export-bundle", "Export a checkpoint as a MONAI bundle.", make_export_bundle_command, "export_bundle"),
)


def build_app() -> typer.Typer:
    """The Typer app, with one sub-command per registered pipeline under each verb it has."""
    from hybridvision.pipelines.registry import PIPELINES

    from .listing import list_adapters, list_backbones, list_checkpoints, list_decoders, list_pipelines

    specs = [PIPELINES.spec(name) for name in PIPELINES.names()]
    app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__.split("\n")[0])
    list_app = typer.Typer(
        no_args_is_help=True, help="List backbones, decoders, adapters, pipelines or shipped checkpoints."
    )
    list_app.command("backbones")(friendly(list_backbones))
    list_app.command("decoders")(friendly(list_decoders))
    list_app.command("adapters")(friendly(list_adapters))
    list_app.command("pipelines")(friendly(list_pipelines))
    list_app.command("checkpoints")(friendly(list_checkpoints))
    app.add_typer(list_app, name="list")
    app.command("train")(friendly(train_command))
    app.command("demo")(friendly(demo_command))
    app.command("quantize")(friendly(quantize_command))
    bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks: ours against a reference, in the same run.")
    bench_app.command("backbones")(friendly(bench_backbones_command))
    bench_app.command("adapters")(friendly(bench_adapters_command))
    bench_app.command("batch")(friendly(bench_batch_command))
    bench_app.command("runtimes")(friendly(bench_runtimes_command))
    for spec in specs:
        if spec.bench is not None:
            bench_app.command(spec.name)(make_bench_command(spec))
    app.add_typer(bench_app, name="bench")
    for verb, help_text, make, field in VERBS:
        having = [spec for spec in specs if getattr(spec, field) not in (None, False)]
        if having:
            verb_app = typer.Typer(no_args_is_help=True, help=help_text)
            for spec in having:
                verb_app.command(spec.name)(make(spec))
            app.add_typer(verb_app, name=verb)
    return app


def main() -> None:
    build_app()(prog_name="hybridvision")


if __name__ == "__main__":
    sys.exit(main())

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

from .bench_commands import bench_app
from .commands import (
    choose_checkpoint,
    console,
    errors,
    friendly,
    make_command,
    pipeline_class,
    run_predict,
    set_threads,
    train_command,
    typer_parameter,
)


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
    app.add_typer(bench_app(specs), name="bench")
    for verb, help_text, make, field in VERBS:
        having = [spec for spec in specs if getattr(spec, field) not in (None, False)]
        if having:
            verb_app = typer.Typer(no_args_is_help=True, help=help_text)
            for spec in having:
                verb_app.command(spec.name)(make(spec))
            app.add_typer(verb_app, name=verb)
    return app


def main() -> None:
    from hybridvision.pipelines.common.allocator import keep_freed_memory

    keep_freed_memory()  # training and prediction reuse freed tensors' pages (allocator.py)
    build_app()(prog_name="hybridvision")


if __name__ == "__main__":
    sys.exit(main())

"""``hybridvision bench ...``: the benchmark commands (each pipeline's own, backbones, batch, adapters,
runtimes, device). Benchmarks live in ``hybridvision.bench``, imported only when one runs."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer

from .commands import console, errors, friendly, make_command, pipeline_class, pipeline_function, typer_parameter


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
    """torch, ONNX Runtime and INT8 on each model's window: seconds, GFLOP/s against a matmul peak, INT8 share."""
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


def bench_device_command(
    device: str = typer.Option("cuda", "--device", help="cuda (the goals are a GPU's) or cpu (a dry run)"),
    case: Optional[Path] = typer.Option(
        None, "--case", help="a tumor3d case folder to copy --units times (default: a BraTS-sized stand-in brain)"
    ),
    units: int = typer.Option(8, "--units", help="units per task in the predict-throughput part"),
    repeats: int = typer.Option(5, "--repeats", help="timed calls per network setting (the median is kept)"),
    psnr_steps: int = typer.Option(0, "--psnr-steps", help="bench superres's same-budget training here (0: skip)"),
    quick: bool = typer.Option(False, "--quick", help="small sizes, one repeat, 2 units: a dry run of the script"),
    output: Path = typer.Option(Path("bench-device.json"), "--output", "-o", help="JSON results"),
) -> None:
    """On one device (a GPU): network per BraTS volume against SwinUNETR-48, superres x4, predict throughput."""
    from hybridvision.bench.device_bench import run

    from .printing import print_report

    log = lambda m: errors.print(m, highlight=False)  # noqa: E731
    settings = {"device": device, "case": case, "units": units, "repeats": repeats, "psnr_steps": psnr_steps}
    print_report(run(output, log, **settings, quick=quick), console)


def bench_app(specs) -> typer.Typer:
    """``bench`` and its sub-commands: one per pipeline with a bench, and the shared ones."""
    app = typer.Typer(no_args_is_help=True, help="Benchmarks: ours against a reference, in the same run.")
    app.command("backbones")(friendly(bench_backbones_command))
    app.command("adapters")(friendly(bench_adapters_command))
    app.command("batch")(friendly(bench_batch_command))
    app.command("runtimes")(friendly(bench_runtimes_command))
    app.command("device")(friendly(bench_device_command))
    for spec in specs:
        if spec.bench is not None:
            app.command(spec.name)(make_bench_command(spec))
    return app

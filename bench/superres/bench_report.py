"""``hybridvision bench superres``: checks its options, runs ``benchmark.bench_superres`` and turns
the result into tables (x4 speed against spandrel's SwinIR-light and HAT, same-budget PSNR, peak
memory on large GeoTIFFs)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from hybridvision.pipelines.common.atomic import write_json_atomic
from hybridvision.pipelines.report import Report, Table


def run_benchmark(
    output: Path,
    log: Callable[[str], None],
    threads: int,
    sizes: str,
    stream_size: int,
    repeats: int,
    max_seconds: float,
    psnr_steps: int,
    quick: bool,
    psnr_models: str = "ours,dlgsa,swinir",
) -> Report:
    import json

    from .benchmark import bench_superres
    from .same_budget import MODELS

    try:
        side = sorted({int(s) for s in sizes.split(",") if s.strip()})
    except ValueError:
        raise ValueError(f"--sizes must be integers separated by commas, got {sizes!r}") from None
    if any(s < 64 for s in side) or 0 < stream_size < 64 or threads < 1 or repeats < 1:
        raise ValueError("--sizes and --stream-size must be at least 64, --threads and --repeats at least 1")
    if psnr_steps < 0:
        raise ValueError(f"--psnr-steps must be 0 (skip) or more, got {psnr_steps}")
    models = tuple(dict.fromkeys(m.strip() for m in psnr_models.split(",") if m.strip()))
    if not models or set(models) - set(MODELS):
        raise ValueError(f"--psnr-models must name some of {', '.join(MODELS)}, got {psnr_models!r}")
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
        log=log,
        save=lambda partial: write_json_atomic(output, partial),
        psnr_models=models,
        previous=json.loads(output.read_text()) if output.is_file() else None,
    )
    write_json_atomic(output, result)
    tables = [speed_table(result, threads, repeats)]
    notes = ["speed-up (wall, CPU seconds) and memory: reference / ours (above 1: ours is better)"]
    psnr = result.get("psnr", {})
    if isinstance(psnr, dict) and "holdout_psnr_y" in psnr:
        budget = psnr["budget"]
        columns = list(psnr["holdout_psnr_y"]["mean"])
        rows = [[image, *(f"{row[c]:.2f}" for c in columns)] for image, row in psnr["holdout_psnr_y"].items()]
        title = f"hold-out Y-PSNR (dB), x4, both trained {budget['steps']} steps of {budget['batch']} patches"
        tables.append(Table(title, ["image", *columns], rows))
        if psnr.get("curves"):
            tables.append(curve_table(psnr["curves"]))
            notes.extend(plateau_line(name, reading) for name, reading in psnr["plateau"].items())
    runs = result.get("rasters", {}).get("runs", []) + result.get("streaming", {}).get("runs", [])
    if runs:
        tables.append(raster_table(runs))
    streaming = result.get("streaming", {})
    if "peak_growth_mb" in streaming:
        notes.append(f"streaming: peak RSS grew {streaming['peak_growth_mb']} MB from the small raster")
    return Report(tables, [*notes, f"results: {output}"])


def curve_table(curves: dict[str, list[list[float]]]) -> Table:
    """The training curves side by side: mean hold-out Y-PSNR per model at each measured step."""
    names = list(curves)
    steps = sorted({int(step) for curve in curves.values() for step, _ in curve})
    value = {(name, int(step)): psnr for name, curve in curves.items() for step, psnr in curve}
    rows = [
        [str(step), *(f"{value[name, step]:.2f}" if (name, step) in value else "-" for name in names)] for step in steps
    ]
    return Table("training curves: mean hold-out Y-PSNR (dB) after each step count", ["step", *names], rows)


def plateau_line(name: str, reading: dict) -> str:
    span = f"steps {reading['from_step']}-{reading['to_step']}"
    if reading["reached"]:
        return f"{name}: plateau reached ({reading['gain_db']:+.3f} dB over {span}, under 0.05)"
    return f"{name}: no plateau yet ({reading['gain_db']:+.3f} dB over {span}, the last 20% of the steps)"


def speed_table(result: dict, threads: int, repeats: int) -> Table:
    """One row per model; ours carry the ratios against the reference they were paired with."""
    rows, shown = [], set()
    for pair in result["throughput"]["pairs"]:
        for key in ("reference", "ours"):
            row, mine = pair[key], key == "ours"
            if row["model"] in shown:
                continue
            shown.add(row["model"])
            rows.append(
                [
                    row["model"],
                    f"{row['parameters_m']:.2f}",
                    f"{row['median_s']:.3f}",
                    f"{row['median_cpu_s']:.3f}",
                    f"{row['peak_mb']:.0f}",
                    achieved(row, result.get("matmul_peak_gflops")),
                    f"{pair['speedup']:.2f}x" if mine else "ref",
                    f"{pair['cpu_speedup']:.2f}x" if mine else "ref",
                    f"{pair['memory_ratio']:.2f}x" if mine else "ref",
                ]
            )
    columns = ["model", "params M", "s", "CPU s", "peak MB", "GFLOP/s (% of peak)", "speed-up", "CPU speed-up"]
    columns.append("memory")
    title = f"superres x4 of a 3x64x64 image, {threads} threads, median of {repeats}"
    if result.get("matmul_peak_gflops"):
        title += f"; matrix-multiply peak {result['matmul_peak_gflops']:.0f} GFLOP/s"
    return Table(title, columns, rows)


def achieved(row: dict, peak: float | None) -> str:
    """GFLOP/s of a timed model (torch.utils.flop_counter's count over its median time) and its share
    of the matrix-multiply peak measured in the same run."""
    if "gflops" not in row:
        return "-"
    return f"{row['gflops']:.1f}" + (f" ({100 * row['gflops'] / peak:.0f}%)" if peak else "")


def raster_table(runs: list[dict]) -> Table:
    rows = []
    for run in runs:
        model = "identity" if run.get("model", "").startswith("identity") else "x2 model"
        if run.get("skipped"):
            estimate = f"~{run['extrapolated_seconds'] / 60:.0f} min"
            rows.append([str(run["size"]), model, "-", f"skipped, {estimate}", "-", "-", "-", "-"])
            continue
        georef = "ok" if run["transform_scaled"] and run["crs_kept"] and run["size_scaled"] else "WRONG"
        rows.append(
            [
                str(run["size"]),
                model,
                f"{run['gdal_cache_mb']} MB",
                f"{run['seconds']:.1f}",
                f"{run['cpu_seconds']:.1f}",
                f"{run['peak_rss_mb']:.0f}",
                f"{run['rss_before_mb']:.0f}",
                georef,
            ]
        )
    columns = ["side", "model", "GDAL cache", "s", "CPU s", "peak MB", "before MB", "georef"]
    return Table("x2 of one-band GeoTIFFs, tile 256, overlap 16; peak RSS of the whole process", columns, rows)

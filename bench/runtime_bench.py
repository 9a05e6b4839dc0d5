"""``hybridvision bench runtimes``: each shipped model's network on the window predict feeds it,
through torch, ONNX Runtime in float and its INT8 file, against a matrix-multiply peak measured in
the same run.

Per checkpoint: the window (recorded from predict on a generated sample, as ``quantize`` calibrates),
its FLOPs (``torch.utils.flop_counter``), the median seconds per window of each runtime, achieved
GFLOP/s and its share of the float32 matrix-multiply peak, and, from ONNX Runtime's profile, the
share of multiply-adds each file really ran in integer kernels; and ``predict`` on a generated sample
in a fresh process through each runtime: the seconds to reach its unit (start-up: imports, model
loading, ONNX Runtime's export) and the unit's own (a whole volume, image or scene). Rows are saved as they
come; a re-run skips checkpoints already measured at the same threads.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable

import torch

from hybridvision.pipelines.report import Report, Table

from .limit import executed_multiply_adds, matmul_peak, median_seconds, network_flops


def default_checkpoints() -> list[str]:
    from hybridvision.pipelines.registry import PIPELINES

    return [f"{name}/{PIPELINES.spec(name).default_checkpoint}" for name in PIPELINES.names()]


def bench_checkpoint(checkpoint: str, threads: int, repeats: int, samples: int, log: Callable[[str], None]) -> dict:
    """One checkpoint's window through the three runtimes."""
    from hybridvision.pipelines.common.checkpoint import load_checkpoint
    from hybridvision.pipelines.common.onnx_runtime import FixedBands, cpu_session
    from hybridvision.pipelines.common.quantize import calibration_windows, int8_files

    torch.set_num_threads(threads)
    pipeline, model, _ = load_checkpoint(checkpoint)
    bands, windows = calibration_windows(pipeline, model, samples, 5000, log)
    network = (model if bands is None else FixedBands(model, torch.tensor(bands))).eval()
    example = torch.from_numpy(windows[0])
    flops = network_flops(network, example)
    feed = {"image": windows[0]}
    runtimes: dict[str, Any] = {}
    with torch.inference_mode():
        runtimes["torch"] = {"seconds": median_seconds(lambda: network(example), repeats)}
    with tempfile.TemporaryDirectory() as folder:
        log(f"{checkpoint}: exporting and quantising (calibrated on {len(windows)} windows)")
        fp32, int8 = int8_files(pipeline, network, windows, Path(folder))
        for runtime, path in (("onnxruntime fp32", fp32), ("onnxruntime int8", int8)):
            session = cpu_session(path, threads)
            seconds = median_seconds(lambda s=session: s.run(None, feed), repeats)
            runtimes[runtime] = {"seconds": seconds, **executed_multiply_adds(path, feed, threads)}
    for row in runtimes.values():
        row["gflops"] = flops / row["seconds"] / 1e9
    return {"checkpoint": checkpoint, "window": list(example.shape[1:]), "gflop": flops / 1e9, "runtimes": runtimes}


def predict_seconds(checkpoint: str, threads: int, log: Callable[[str], None] = print) -> dict[str, dict]:
    """``hybridvision predict`` on one generated sample in a fresh process, as a user runs it, through
    each runtime (torch; ``--runtime onnxruntime``, its export included in the start-up; the INT8 file
    of ``quantize``): per runtime the seconds before its unit starts (the process's wall time less the
    unit's own, from report.json) and the unit's own seconds (read, compute, write)."""
    import subprocess
    import sys
    import time

    from hybridvision.pipelines.common.checkpoint import load_pipeline
    from hybridvision.pipelines.common.quantize import quantize_checkpoint

    pipeline, _ = load_pipeline(checkpoint)
    result = {}
    with tempfile.TemporaryDirectory() as folder:
        samples, int8 = Path(folder) / "samples", Path(folder) / "int8.onnx"
        type(pipeline).write_samples(samples, 1, 5000, **pipeline.calibration_samples())
        quantize_checkpoint(checkpoint, int8, log=lambda message: None)
        ways = {
            "torch": ["--checkpoint", checkpoint],
            "onnxruntime fp32": ["--checkpoint", checkpoint, "--runtime", "onnxruntime"],
            "onnxruntime int8": ["--checkpoint", str(int8)],
        }
        command = "from hybridvision.apps.cli import main; main()"
        for runtime, args in ways.items():
            log(f"{checkpoint}: predict in a fresh process, {runtime} ...")
            out = Path(folder) / runtime.replace(" ", "-")
            predict = ["predict", pipeline.name, "-i", str(samples / "inputs"), "-o", str(out), *args]
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", command, *predict, "--threads", str(threads)], capture_output=True, text=True
            )
            wall = time.perf_counter() - start
            if done.returncode != 0:
                raise RuntimeError(
                    f"predict {pipeline.name} ({runtime}) failed: {done.stderr.strip().splitlines()[-1:]}"
                )
            unit = json.loads((out / "report.json").read_text())["units"][0]["seconds"]
            result[runtime] = {"seconds_to_first_unit": wall - unit, "unit_seconds": unit}
    return result


def run(
    output: Path,
    log: Callable[[str], None],
    checkpoints: list[str] | None = None,
    threads: int = 2,
    repeats: int = 5,
    samples: int = 1,
) -> Report:
    """``bench runtimes``: measures, saving ``output`` after each checkpoint, and gives the table."""
    from hybridvision.pipelines.common.atomic import write_json_atomic

    previous = json.loads(output.read_text()) if output.is_file() else {}
    kept = previous.get("checkpoints", []) if previous.get("threads") == threads else []
    result = {"threads": threads, "repeats": repeats, "checkpoints": kept}
    log(f"measuring a float32 matrix-multiply peak on {threads} threads")
    peak = matmul_peak(threads)  # each entry keeps the peak of its own run
    for checkpoint in checkpoints or default_checkpoints():
        if any(entry["checkpoint"] == checkpoint for entry in kept):
            log(f"{checkpoint}: measured before, kept (--output {output})")
            continue
        entry = bench_checkpoint(checkpoint, threads, repeats, samples, log)
        entry["predict"] = predict_seconds(checkpoint, threads, log)
        result["checkpoints"].append({**entry, "matmul_peak_gflops": peak})
        write_json_atomic(output, result)
    write_json_atomic(output, result)
    return runtime_report(result, output)


def predict_note(entry: dict) -> str:
    """predict's seconds to its first unit and for the unit itself, per runtime (an older JSON: the
    torch start-up alone, or nothing)."""
    if "predict" not in entry:
        first = entry.get("seconds_to_first_unit")
        return f"; predict reaches its first unit in {first:.1f} s" if first is not None else ""
    ways = [
        f"{RUNTIME_LABELS[runtime]} {row['unit_seconds']:.1f} s (start-up {row['seconds_to_first_unit']:.1f} s)"
        for runtime, row in entry["predict"].items()
    ]
    return "; predict on a generated sample, the unit: " + ", ".join(ways)


def runtime_report(result: dict, output: Path) -> Report:
    columns = ["model", "runtime", "s / window", "GFLOP/s", "% of peak", "x torch", "MACs in INT8"]
    rows, notes = [], []
    for entry in result["checkpoints"]:
        torch_seconds, peak = entry["runtimes"]["torch"]["seconds"], entry["matmul_peak_gflops"]
        window = "x".join(map(str, entry["window"]))
        work = f"a {window} window, {entry['gflop']:.3g} GFLOP; peak {peak:.0f} GFLOP/s"
        notes.append(f"{entry['checkpoint']}: {work}{predict_note(entry)}")
        for runtime, row in entry["runtimes"].items():
            share = row.get("int8_share")
            rows.append([
                entry["checkpoint"], RUNTIME_LABELS[runtime], f"{row['seconds']:.4f}", f"{row['gflops']:.1f}",
                f"{100 * row['gflops'] / peak:.0f}", f"{torch_seconds / row['seconds']:.2f}",
                "-" if share is None else f"{100 * share:.0f}%",
            ])  # fmt: skip
    title = f"one window per model, {result['threads']} threads, median of {result['repeats']}"
    notes += [
        "peak: a float32 matrix multiply measured in the same run as the model's row",
        "GFLOP/s: the network's FLOPs (torch.utils.flop_counter, 2 per multiply-add) over each runtime's time",
        "MACs in INT8: multiply-adds ONNX Runtime ran in integer kernels, read from its profile",
        f"results: {output}",
    ]
    return Report([Table(title, columns, rows)], notes)


RUNTIME_LABELS = {"torch": "torch", "onnxruntime fp32": "ORT fp32", "onnxruntime int8": "ORT INT8"}

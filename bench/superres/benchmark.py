"""``hybridvision bench superres``: speed against spandrel's SwinIR and HAT, and memory on large rasters.

Every measurement runs in a fresh process (spawned), so each peak RSS is that run's own; torch uses
``--threads`` threads. Ratios are reference / ours, so above 1 means ours is better.

1. **Throughput.** Seconds to upscale one 64x64 RGB image x4 (median of ``repeats`` timed passes
   after one warm-up pass), two pairs measured in the same run, references built with random
   weights from spandrel's architecture classes (nothing downloaded):

   - spandrel ``SwinIR`` in its classical "light" configuration (embed_dim 60, depths and heads
     [6, 6, 6, 6], window 8, mlp_ratio 2, ``pixelshuffledirect``, 0.93M parameters) against our
     shipped x4 checkpoint (``configs/superres/x4.safetensors``: ``hat_light`` body, 0.26M
     parameters) through ``SuperresPipeline.predict_array``, the code ``predict`` runs, twice: by
     luma (``--color luma``, what ``predict`` does to an RGB photo: the network sees Y only) and
     by bands (``--color bands``: the one-band model sees R, G and B as a batch of three).
   - spandrel ``HAT`` with our ``hat_small`` dimensions (embed_dim 96, 6 groups of 6 blocks, 6
     heads, window 16, mlp_ratio 2, channel-attention compress 3 / squeeze 16, 6.38M parameters:
     the same architecture and within 0.01% of our parameter count) against a 3-band x4
     ``SuperresPipeline`` model with a ``hat_small`` body (random init). The paper's HAT-S (embed
     144, compress/squeeze 24, 9.6M) takes about 18 s per pass here, so it is not the default pair.

   - the same SwinIR-light against a DLGSANet body (``dlgsa_light``, random init) under the shipped
     x4's head, by luma.

   Peak memory in this part is the peak RSS above the RSS after the model was built.

2. **Same-budget PSNR** (``same_budget``): our x4 architecture, the same with a DLGSANet body, and
   SwinIR-light, all from scratch,
   trained ``psnr_steps`` steps on identical batches with one loss, optimiser and learning rate,
   then Y-PSNR on the hold-out images beside bicubic.

3. **Large GeoTIFFs.** One-band uint16 GeoTIFFs with a CRS (smooth noise, written strip by strip so
   generation is bounded) of each size in ``sizes``, upscaled x2 by the shipped x2 checkpoint
   through ``run_batch`` (what ``hybridvision predict superres`` runs), tile 256, overlap 16:
   seconds, peak RSS of the whole process (imports and model included) and the RSS before the
   batch, and a check that the output has the CRS, twice the size and the transform scaled by 1/2.
   Sizes run smallest first; a size whose time, extrapolated from the megapixels per second of the
   runs before it, exceeds ``max_seconds`` is skipped and its extrapolated time recorded.

4. **Streaming.** A ``stream_size`` square one-band uint8 GeoTIFF through the same ``run_batch`` /
   ``upscale_tiled`` / ``ImageSink`` code, with the network replaced by ``Interpolate`` (nearest-
   neighbour x2 in an ``nn.Module``; the pipeline takes any module, nothing in it is changed), and
   the same at ``small_size``: the difference of peak RSS is what grows with the raster. The output
   is checked to be exactly the nearest-neighbour upscaling on a sample window. The tiles take
   constant memory; GDAL's raster block cache, which keeps written blocks until it is full (5% of
   physical memory by default), is bounded by the pipeline itself (``GDAL_CACHE_BYTES``, 64 MB).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hybridvision.pipelines.superres.files import GDAL_CACHE_BYTES

from ..isolated import current_rss_mb, isolated, peak_rss_mb
from ..limit import flops_of, peak_in_child
from .bench_models import (  # noqa: F401  (the models' names, as the tests and the report read them)
    HAT_REFERENCE,
    OURS_DLGSA,
    OURS_HAT_SMALL,
    OURS_X4,
    OURS_X4_BANDS,
    PAIRS,
    SWINIR_LIGHT,
    Interpolate,
    build_ours,
    build_reference,
    shipped,
    upscaler,
)

SCALE = 4  # throughput part
RASTER_SCALE = 2  # raster parts: the shipped x2 checkpoint
CRS = "EPSG:32633"


# -- processes ---------------------------------------------------------------------------------
def time_upscale(name: str, size: int, repeats: int, threads: int, queue) -> None:
    """Child process: one warm-up and ``repeats`` timed x4 upscalings of a (3, size, size) image."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    run, parameters = upscaler(name)
    image = np.random.default_rng(0).random((3, size, size)).astype(np.float32)
    baseline = current_rss_mb()
    out = run(image)
    if out.shape != (3, size * SCALE, size * SCALE):
        queue.put({"error": f"{name} returned {out.shape}"})
        return
    flops = flops_of(lambda: run(image))
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run(image)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    queue.put(
        {
            "model": name,
            "parameters_m": round(parameters / 1e6, 3),
            "median_s": round(statistics.median(times), 4),
            "median_cpu_s": round(statistics.median(cpu), 4),
            "gflop": round(flops / 1e9, 3),
            "gflops": round(flops / statistics.median(times) / 1e9, 2),
            "peak_mb": round(max(0.0, peak_rss_mb() - baseline), 1),
        }
    )


# -- rasters -----------------------------------------------------------------------------------
def write_test_raster(path: Path, size: int, dtype: str = "uint16", strip: int = 512, seed: int = 0) -> Path:
    """A ``size`` x ``size`` one-band GeoTIFF with a CRS: smooth noise, written ``strip`` rows at a time."""
    import rasterio
    from rasterio.transform import from_origin

    profile = dict(
        driver="GTiff",
        height=size,
        width=size,
        count=1,
        dtype=dtype,
        crs=CRS,
        transform=from_origin(500000.0, 5000000.0, 10.0, 10.0),
        tiled=True,
        blockxsize=256,
        blockysize=256,
        BIGTIFF="IF_SAFER",
    )
    x = np.arange(size, dtype=np.float32)[None]
    with rasterio.open(path, "w", **profile) as dataset:
        for top in range(0, size, strip):
            rows = min(strip, size - top)
            y = np.arange(top, top + rows, dtype=np.float32)[:, None]
            value = 0.5 + 0.25 * np.sin(x / 41.0 + 0.3 * np.sin(y / 97.0)) * np.cos(y / 53.0)
            value = value + 0.15 * np.sin((x + y) / 211.0)
            value = value + np.random.default_rng((seed, top)).normal(0.0, 0.03, (rows, size)).astype(np.float32)
            value = np.clip(value, 0.0, 1.0)
            stored = value * 255 if dtype == "uint8" else 200 + value * 3800
            dataset.write(np.round(stored).astype(dtype), 1, window=((top, top + rows), (0, size)))
    return path


def predict_raster(source: str, output: str, identity: bool, threads: int, tile: int, overlap: int, queue) -> None:
    """Child process: ``source`` upscaled x2 by ``run_batch`` (the shipped x2 model, or ``Interpolate``)."""
    import io

    import rasterio
    from rich.console import Console

    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.common.checkpoint import load_checkpoint

    torch.set_num_threads(threads)
    pipeline, model, _ = load_checkpoint(shipped(RASTER_SCALE))
    scale = pipeline.model_cfg.scale
    if identity:
        model = Interpolate(scale)
    options = pipeline.make_options(tile=tile, overlap=overlap)
    baseline = current_rss_mb()
    start, start_cpu = time.perf_counter(), time.process_time()
    quiet = Console(file=io.StringIO())
    report = run_batch(pipeline, model, Path(source), Path(output), console=quiet, options=options)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    peak = peak_rss_mb()
    if report.failed:
        queue.put({"error": report.failed[0].error})
        return
    result_path = Path(output) / Path(source).name
    with rasterio.open(source) as src, rasterio.open(result_path) as out:
        transform_scaled = out.transform == src.transform @ rasterio.Affine.scale(1 / scale)
        checks = {
            "crs_kept": out.crs == src.crs,
            "size_scaled": (out.width, out.height) == (src.width * scale, src.height * scale),
            "transform_scaled": bool(transform_scaled),
        }
        if identity:  # nearest-neighbour x2 of uint8 data is exact: compare a window in the middle
            top = left = src.height // 2
            window = src.read(1, window=((top, top + 64), (left, left + 64)))
            upscaled = out.read(1, window=((top * scale, (top + 64) * scale), (left * scale, (left + 64) * scale)))
            checks["identity_exact"] = bool(np.array_equal(upscaled, np.repeat(np.repeat(window, scale, 0), scale, 1)))
        size = src.width
    queue.put(
        {
            "size": size,
            "model": "identity (nearest x2)" if identity else "shipped x2 (hat_light)",
            "gdal_cache_mb": GDAL_CACHE_BYTES // 2**20,
            "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu_seconds, 1),
            "megapixels_per_s": round(size * size / 1e6 / seconds, 4),
            "peak_rss_mb": round(peak, 1),
            "rss_before_mb": round(baseline, 1),
            "output": [size * scale, size * scale],
            **checks,
        }
    )


def run_raster(folder: Path, size: int, dtype: str, identity: bool, threads: int, tile: int, overlap: int):
    """Write a test raster, upscale it in a fresh process, delete both; the child's result dict."""
    run_dir = folder / f"{'identity' if identity else 'model'}-{size}"
    (run_dir / "in").mkdir(parents=True)
    try:
        source = write_test_raster(run_dir / "in" / f"raster{size}.tif", size, dtype)
        args = (str(source), str(run_dir / "out"), identity, threads, tile, overlap)
        return isolated(predict_raster, *args)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


# -- the whole bench ---------------------------------------------------------------------------
def bench_superres(
    threads: int = 2,
    sizes: tuple[int, ...] = (2048, 4096, 8192),
    stream_size: int = 20000,
    small_size: int = 2048,
    repeats: int = 3,
    image_size: int = 64,
    max_seconds: float = 600.0,
    tile: int = 256,
    overlap: int = 16,
    psnr_steps: int = 300,
    workdir: Path | None = None,
    log=print,
    save=None,
    psnr_models: tuple[str, ...] = ("ours", "dlgsa", "swinir"),
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run parts 1-4 (see the module docstring); ``save(result)`` gets partial results.

    ``psnr_steps`` 0 skips part 2, ``sizes`` empty part 3, ``stream_size`` 0 part 4. Part 2 trains
    ``psnr_models`` and takes the ones ``previous`` (an earlier result) finished at the same budget.
    """
    result: dict[str, Any] = {
        "threads": threads,
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "throughput": {"input": [3, image_size, image_size], "scale": SCALE, "repeats": repeats, "pairs": []},
        "psnr": "skipped (--psnr-steps 0)",
    }
    log(f"a float32 matrix-multiply peak on {threads} threads ...")
    result["matmul_peak_gflops"] = isolated(peak_in_child, threads)
    timed: dict[str, dict[str, Any]] = {}  # a reference in two pairs is timed once
    for reference, ours in PAIRS:
        for name in (reference, ours):
            if name not in timed:
                log(f"x{SCALE} on a 3x{image_size}x{image_size} image: {name} ...")
                timed[name] = isolated(time_upscale, name, image_size, repeats, threads)
        rows = [timed[reference], timed[ours]]
        result["throughput"]["pairs"].append(
            {
                "reference": rows[0],
                "ours": rows[1],
                "speedup": round(rows[0]["median_s"] / rows[1]["median_s"], 2),
                # CPU seconds: what a busy machine's descheduling does not inflate (one thread)
                "cpu_speedup": round(rows[0]["median_cpu_s"] / rows[1]["median_cpu_s"], 2),
                "memory_ratio": round(rows[0]["peak_mb"] / max(rows[1]["peak_mb"], 1e-3), 2),
                "parameter_ratio": round(rows[0]["parameters_m"] / rows[1]["parameters_m"], 2),
            }
        )
        if save is not None:
            save(result)

    if psnr_steps:
        from .same_budget import same_budget_psnr

        torch.set_num_threads(threads)
        earlier = (previous or {}).get("psnr")

        def save_psnr(psnr: dict[str, Any]) -> None:
            if save is not None:
                save(result | {"psnr": psnr})

        result["psnr"] = same_budget_psnr(
            psnr_steps,
            log=log,
            models=psnr_models,
            previous=earlier if isinstance(earlier, dict) else None,
            save=save_psnr,
        )
        if save is not None:
            save(result)

    with tempfile.TemporaryDirectory(prefix="bench-superres-", dir=workdir) as temp:
        folder = Path(temp)
        if sizes:
            rasters: list[dict[str, Any]] = []
            result["rasters"] = {"tile": tile, "overlap": overlap, "scale": RASTER_SCALE, "runs": rasters}
            for size in sorted(sizes):
                done = [r for r in rasters if "seconds" in r]
                if done:
                    rate = statistics.mean(r["megapixels_per_s"] for r in done)
                    estimate = size * size / 1e6 / rate
                    if estimate > max_seconds:
                        log(f"skipping {size}x{size}: about {estimate / 60:.0f} min at the measured rate")
                        rasters.append({"size": size, "skipped": True, "extrapolated_seconds": round(estimate)})
                        continue
                log(f"x{RASTER_SCALE} of a {size}x{size} uint16 GeoTIFF with the shipped model ...")
                rasters.append(run_raster(folder, size, "uint16", False, threads, tile, overlap))
                if save is not None:
                    save(result)
        if stream_size:
            stream: list[dict[str, Any]] = []
            result["streaming"] = {"tile": tile, "overlap": overlap, "runs": stream}
            for size in (small_size, stream_size):
                log(f"x{RASTER_SCALE} of a {size}x{size} uint8 GeoTIFF, nearest upscaling as the network ...")
                stream.append(run_raster(folder, size, "uint8", True, threads, tile, overlap))
                if save is not None:
                    save(result)
            result["streaming"]["peak_growth_mb"] = round(stream[1]["peak_rss_mb"] - stream[0]["peak_rss_mb"], 1)
    result["environment"] = {
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
    }
    return result

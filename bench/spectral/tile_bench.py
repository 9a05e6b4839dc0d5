"""``hybridvision bench spectral --tile``: a whole Sentinel-2 tile classified, against the
hyperspectral ChannelViT scene model extrapolated from a timed window, in the same run.

The tile: a generated Level-2A product of ``size`` x ``size`` 10 m pixels (10980, a real tile, by
default), a mosaic of generated land-cover scenes (``multispectral``; 16 scenes of 192 x 192,
flipped and rotated at random) in the real layout (12 JPEG 2000 bands at 10/20/60 m, SCL). It is
written once into ``cache`` (outside the work tree) and reused. Ours: the shipped
``spectral/landcover`` model through the installed command on the whole product (every band read,
resampled, masked, classified and written as COGs with STAC Items), timed from outside, its peak
resident memory read back. The reference: the shipped ``spectral/scene`` (ChannelViT, a token per
band group, 9 x 9 patch per pixel) on a 512 x 512 window of a generated 128-band scene, its pixels
per second extrapolated to the tile. The achieved GFLOP/s of ours (2 x its multiply-adds per pixel,
from its card, x pixels / seconds) is set against a float32 matrix-multiply peak measured here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from hybridvision.pipelines.report import Report, Table

from ..limit import matmul_peak, timed

MOSAIC_SCENES, SCENE_SIDE, WINDOW = 16, 192, 512


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hybridvision" / "bench"


def mosaic(size: int, seed: int = 0, count: int = MOSAIC_SCENES) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The bands (at native resolutions) and the SCL (20 m) of a ``size`` x ``size`` mosaic."""
    from hybridvision.pipelines.spectral.multispectral import SENTINEL2_L2A, scene
    from hybridvision.pipelines.spectral.multispectral_samples import quality_layer

    scenes = [scene(SENTINEL2_L2A, SCENE_SIDE, seed + i) for i in range(count)]
    rng = np.random.default_rng(seed)
    cells = -(-size // SCENE_SIDE)
    layout = rng.integers(0, count, (cells, cells))
    turns = rng.integers(0, 4, (cells, cells))

    def assemble(pieces: list[np.ndarray], factor: int) -> np.ndarray:
        side = SCENE_SIDE // factor
        out = np.empty((cells * side, cells * side), pieces[0].dtype)
        for r in range(cells):
            for c in range(cells):
                out[r * side : (r + 1) * side, c * side : (c + 1) * side] = np.rot90(pieces[layout[r, c]], turns[r, c])
        return out[: size // factor, : size // factor]

    bands = {
        name: assemble([s.bands[name] for s in scenes], resolution // 10)
        for name, resolution in zip(SENTINEL2_L2A.names, SENTINEL2_L2A.resolutions)
    }
    return bands, assemble([quality_layer(s) for s in scenes], 2)


def cached_tile(size: int, cache: Path, log: Callable[[str], None], count: int = MOSAIC_SCENES) -> Path:
    """The tile's ``.SAFE.zip``, written on first use (minutes for a full tile: JPEG 2000 encoding)."""
    from hybridvision.pipelines.common.product_samples import ProductContent, write_sentinel2

    if size % 60:
        raise ValueError(f"--tile-size must be a multiple of 60 (whole 60 m pixels), got {size}")
    folder = cache / f"tile{size}"
    found = sorted(folder.glob("*.SAFE.zip")) if folder.is_dir() else []
    if found:
        return found[0]
    log(f"writing a {size} x {size} Sentinel-2 tile once into {folder} ...")
    bands, scl = mosaic(size, count=count)
    return write_sentinel2(folder, 0, size, content=ProductContent(bands, scl))


def reference_pixels_per_second(threads: int, log: Callable[[str], None]) -> float:
    """The shipped ChannelViT scene model on a 512 x 512 window of a 128-band scene."""
    from hybridvision.pipelines.api import load
    from hybridvision.pipelines.spectral.generator import scene
    from hybridvision.pipelines.spectral.library import imaging_spectrometer

    torch.set_num_threads(threads)
    cube = scene(WINDOW, imaging_spectrometer(128), 7).reflectance
    predictor = load("spectral/scene")
    seconds = timed(lambda: predictor.predict(cube))
    log(f"reference: spectral/scene, {WINDOW} x {WINDOW} window in {seconds:.1f} s")
    return WINDOW * WINDOW / seconds


def ours(product: Path, threads: int, checkpoint: str) -> tuple[float, float]:
    """Seconds and peak resident MB of ``predict spectral`` on the tile (a child process, as users run it)."""
    command = str(Path(sys.executable).parent / "hybridvision")
    with tempfile.TemporaryDirectory(prefix="hv-tile-") as out:
        args = [command, "predict", "spectral", "--checkpoint", checkpoint, "--input", str(product), "--output", out]
        args += ["--threads", str(threads)]
        start = time.perf_counter()
        with tempfile.TemporaryFile("w+") as errors:
            child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=errors, text=True)
            _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the tile writer's
            child.returncode = os.waitstatus_to_exitcode(status)
            seconds = time.perf_counter() - start
            errors.seek(0)
            if child.returncode != 0:
                raise RuntimeError(f"predict spectral on the tile failed: {errors.read().strip().splitlines()[-1]}")
    return seconds, usage.ru_maxrss / 1024


def tile_bench(
    size: int, threads: int, cache: Path | None, log: Callable[[str], None], checkpoint: str = "spectral/landcover"
) -> dict[str, Any]:
    from hybridvision.pipelines.common.checkpoint import load_checkpoint

    product = cached_tile(size, cache or default_cache(), log)
    _, model, _ = load_checkpoint(checkpoint)
    macs = model.backbone.macs_per_pixel(12) + model.decoder.linear.weight.numel()
    pixels = size * size
    log(f"ours: predict spectral on {product.name} ({size} x {size}) ...")
    seconds, peak_mb = ours(product, threads, checkpoint)
    reference = reference_pixels_per_second(threads, log)
    peak = matmul_peak(threads)
    achieved = 2 * macs * pixels / seconds / 1e9
    return {
        "tile": {"size": size, "pixels": pixels, "product": product.name},
        "threads": threads,
        "ours": {
            "checkpoint": checkpoint,
            "minutes_per_tile": seconds / 60,
            "pixels_per_s": pixels / seconds,
            "peak_rss_mb": peak_mb,
            "macs_per_pixel": macs,
            "achieved_gflops": achieved,
        },
        "reference": {
            "checkpoint": "spectral/scene",
            "window": WINDOW,
            "pixels_per_s": reference,
            "minutes_per_tile_extrapolated": pixels / reference / 60,
        },
        "matmul_peak_gflops": peak,
        "ratios": {"speed_vs_reference": (pixels / seconds) / reference, "share_of_matmul_peak": achieved / peak},
    }


def tile_report(result: dict[str, Any]) -> Report:
    ours, reference, tile = result["ours"], result["reference"], result["tile"]
    rows = [
        [f"ours: {ours['checkpoint']}, whole product", f"{ours['minutes_per_tile']:.1f}", f"{ours['pixels_per_s']:.0f}",
         f"{ours['peak_rss_mb']:.0f}", f"{ours['achieved_gflops']:.1f}"],
        [f"spectral/scene (ChannelViT), {reference['window']}² window, extrapolated",
         f"{reference['minutes_per_tile_extrapolated']:.1f}", f"{reference['pixels_per_s']:.0f}", "-", "-"],
    ]  # fmt: skip
    title = (
        f"spectral: a {tile['size']} x {tile['size']} Sentinel-2 tile on {result['threads']} threads; "
        f"{result['ratios']['speed_vs_reference']:.0f}x the reference's speed, "
        f"{100 * result['ratios']['share_of_matmul_peak']:.0f}% of a {result['matmul_peak_gflops']:.0f} GFLOP/s "
        "matrix-multiply peak"
    )
    columns = ["model", "minutes per tile", "pixels/s", "peak RSS MB", "GFLOP/s"]
    return Report(tables=[Table(title, columns, rows)])

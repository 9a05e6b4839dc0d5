"""``hybridvision bench backbones``: CPU latency and peak memory of the 3D encoders.

Each model runs in a fresh process (so peak memory is its own): 2 threads, one warm-up pass, then
the median of several timed forward passes on a (1, 4, S, S, S) input. The reference is MONAI's
Swin encoder (the ``SwinTransformer`` inside ``monai.networks.nets.SwinUNETR``, feature size 48),
measured in the same run; ratios are reference / ours, so above 1 means ours is better.
"""

from __future__ import annotations

import statistics
import time

from hybridvision.pipelines.report import Report, Table

from .isolated import current_rss_mb, isolated, peak_rss_mb

REFERENCE = "monai:SwinUNETR-encoder-48"
FAMILIES_3D = ("hybrid", "convnext", "swin", "paratrans")


def build(name: str, in_channels: int):
    import torch  # noqa: F401  (the child process imports lazily)

    if name == REFERENCE:
        from monai.networks.nets.swin_unetr import SwinTransformer

        return SwinTransformer(
            in_chans=in_channels,
            embed_dim=48,
            window_size=(7, 7, 7),
            patch_size=(2, 2, 2),
            depths=(2, 2, 2, 2),
            num_heads=(3, 6, 12, 24),
            spatial_dims=3,
        )
    from hybridvision.backbones import build_backbone

    return build_backbone(name, in_channels=in_channels, spatial_dims=3)


def measure(name: str, size: int, repeats: int, threads: int, queue) -> None:
    """Child process: build, warm up, time; put a result dict on ``queue``."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(name, 4).eval()
    x = torch.randn(1, 4, size, size, size)
    baseline = current_rss_mb()
    times = []
    with torch.inference_mode():
        model(x)
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    peak = peak_rss_mb()
    queue.put(
        {
            "model": name,
            "parameters_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 2),
            "median_s": round(statistics.median(times), 4),
            "peak_mb": round(max(0.0, peak - baseline), 1),
        }
    )


def closest_sizes(reference_params_m: float) -> list[str]:
    """For each 3D family, the registered size whose parameter count is closest to the reference."""
    from hybridvision.backbones import BACKBONES, build_backbone, count_parameters

    chosen = []
    for family in FAMILIES_3D:
        names = [n for n in BACKBONES.names(f"{family}_*") if not n.endswith("_test")]
        counts = {n: count_parameters(build_backbone(n, in_channels=4, spatial_dims=3)) / 1e6 for n in names}
        chosen.append(min(counts, key=lambda n: abs(counts[n] - reference_params_m)))
    return chosen


def bench_backbones(size: int = 96, repeats: int = 5, threads: int = 2, models: list[str] | None = None, log=print):
    """Measure the reference and our models; returns rows with ratios against the reference."""
    if size % 32:
        raise ValueError(f"--size must be a multiple of 32, got {size}")
    log(f"measuring {REFERENCE} on 1x4x{size}^3 ...")
    reference = isolated(measure, REFERENCE, size, repeats, threads)
    rows = [reference]
    for name in models or closest_sizes(reference["parameters_m"]):
        log(f"measuring {name} ...")
        rows.append(isolated(measure, name, size, repeats, threads))
    for row in rows:
        row["speedup_vs_reference"] = round(reference["median_s"] / row["median_s"], 2)
        row["memory_ratio_vs_reference"] = round(reference["peak_mb"] / max(row["peak_mb"], 1e-3), 2)
    return {"input": [1, 4, size, size, size], "threads": threads, "repeats": repeats, "rows": rows}


def backbone_report(result: dict, threads: int, repeats: int) -> Report:
    """``bench backbones``' table: one row per model, ratios against the reference."""
    rows = [
        [
            row["model"],
            f"{row['parameters_m']:.2f}",
            f"{row['median_s']:.3f}",
            f"{row['peak_mb']:.0f}",
            f"{row['speedup_vs_reference']:.1f}x",
            f"{row['memory_ratio_vs_reference']:.1f}x",
        ]
        for row in result["rows"]
    ]
    columns = ["model", "params (M)", "median s", "peak MB", "speed-up vs ref", "memory ratio vs ref"]
    title = f"3D backbones, input {result['input']}, {threads} threads, median of {repeats}"
    return Report([Table(title, columns, rows)])

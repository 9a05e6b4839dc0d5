"""``hybridvision bench tumor3d``: ours against MONAI's SwinUNETR, in the same run.

Speed: one 4 x 240 x 240 x 155 volume (the BraTS size) through full sliding-window inference, the
same ROI, overlap and Gaussian blending for both, at a matched parameter count (within 20%);
seconds per volume and peak memory, each model in a fresh process. Accuracy: both models trained
with the same short budget (steps x batch x ROI) on generated cases, then the Dice of both on held-
out generated cases, over several seeds. Ratios are reference / ours (above 1: ours is better).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from hybridvision.pipelines.report import Report, Table

from ..isolated import current_rss_mb, isolated, peak_rss_mb
from ..limit import peak_in_child

BRATS_SHAPE = (240, 240, 155)
REFERENCE = "monai:SwinUNETR(feature_size=12)"
# our bench model: the hybrid encoder, narrowed to MONAI's parameter count, and the U-decoder with
# its light full-resolution stage (the refined one was 5.8x SwinUNETR here, the light one about 20x)
OURS = "hybridvision:hybrid(dims=20-40-80-160-320)+unet(light)"
OURS_BACKBONE = {"name": "hybrid_small", "dims": (20, 40, 80, 160, 320), "heads": (5, 10), "drop_path": 0.0}
OURS_DECODER = {"name": "unet", "input_skip_channels": 16, "full_resolution": "light"}


def build(name: str):
    import torch  # noqa: F401

    if name == REFERENCE:
        from monai.networks.nets import SwinUNETR

        return SwinUNETR(in_channels=4, out_channels=3, feature_size=12)
    from hybridvision.pipelines.common.composition import build_composed
    from hybridvision.pipelines.common.config import parse_dataclass
    from hybridvision.pipelines.tumor3d.pipeline import Tumor3DModelConfig

    block = {"backbone": OURS_BACKBONE, "decoder": OURS_DECODER}  # read as a config's model block is
    config = parse_dataclass(Tumor3DModelConfig, block, "model", "bench tumor3d")
    return build_composed(config, 4, 3, {"out_channels": 3})


def parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def time_volume(name: str, roi: int, overlap: float, threads: int, queue) -> None:
    """Child process: one BraTS-sized volume through sliding-window inference."""
    import torch

    from hybridvision.pipelines.common.inference import sliding_window

    from ..limit import network_flops

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(name).eval()
    volume = torch.randn(1, 4, *BRATS_SHAPE)
    windows = []

    def counted(x):
        windows.append(x.shape[0])
        return model(x)

    baseline = current_rss_mb()
    with torch.inference_mode():
        start = time.perf_counter()
        sliding_window(counted, volume, (roi,) * 3, 1, overlap)
        seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    flops = network_flops(model, torch.randn(1, 4, roi, roi, roi)) * sum(windows)
    queue.put(
        {
            "model": name,
            "parameters_m": round(parameters(model) / 1e6, 2),
            "seconds": round(seconds, 2),
            "peak_mb": round(peak - baseline, 1),
            "windows": sum(windows),
            "gflop": round(flops / 1e9, 1),
            "gflops": round(flops / seconds / 1e9, 2),
        }
    )


def train_and_score(name: str, seed: int, steps: int, roi: int, spacing: float, threads: int, queue) -> None:
    """Child process: train ``steps`` steps on generated cases, score Dice on held-out ones."""
    import torch
    from monai.losses import DiceCELoss

    from hybridvision.pipelines.common.inference import sliding_window
    from hybridvision.pipelines.tumor3d.generator import GeneratorRanges
    from hybridvision.pipelines.tumor3d.metrics import soft_region_dice
    from hybridvision.pipelines.tumor3d.training_data import CropDataset, cached_cases

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    ranges = GeneratorRanges(working_spacing=spacing)
    train_cases = cached_cases(range(0, 12), ranges, (spacing,) * 3, None, workers=1)
    test_cases = cached_cases(range(2000, 2004), ranges, (spacing,) * 3, None, workers=1)
    data = torch.utils.data.DataLoader(CropDataset(train_cases, (roi,) * 3, 1000, seed), batch_size=2, shuffle=True)
    model = build(name)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    loss_fn = DiceCELoss(sigmoid=True)
    batches = iter(data)
    start = time.perf_counter()
    model.train()
    for _ in range(steps):
        batch = next(batches)
        optimizer.zero_grad()
        loss = loss_fn(model(batch["image"]), batch["label"])
        loss.backward()
        optimizer.step()
        scheduler.step()
    train_seconds = time.perf_counter() - start
    model.eval()
    scores = []
    with torch.inference_mode():
        for case in test_cases:
            logits = sliding_window(model, case["image"][None], (roi,) * 3, 2, 0.5)
            from hybridvision.pipelines.tumor3d.transforms import label_to_regions

            scores.append(soft_region_dice(logits, label_to_regions(case["label"].float())[None])["dice"])
    queue.put({"model": name, "seed": seed, "dice": float(np.mean(scores)), "train_seconds": round(train_seconds, 1)})


def bench_tumor3d(
    roi: int = 128,
    overlap: float = 0.25,
    threads: int = 2,
    seeds: int = 3,
    train_steps: int = 150,
    train_roi: int = 64,
    train_spacing: float = 3.0,
    first_seed: int = 0,
    log=print,
    save=None,
    previous: dict | None = None,
) -> dict[str, Any]:
    """Run both parts; ``train_steps=0`` skips the accuracy part. ``save(result)`` gets partial results;
    ``previous`` (an earlier result) lends its speed part and its training runs at the same budget.

    The training crops are 64^3 at least: SwinUNETR's instance norms need more than one voxel at
    its bottleneck (reduction 32).
    """
    ours, reference = build(OURS), build(REFERENCE)
    ratio = parameters(ours) / parameters(reference)
    if not 0.8 <= ratio <= 1.2:
        raise RuntimeError(f"bench models differ by more than 20% in parameters ({ratio:.2f})")
    previous = previous or {}
    same_models = [row["model"] for row in previous.get("speed", [])] == [REFERENCE, OURS]
    same_windows = (previous.get("roi"), previous.get("overlap")) == (roi, overlap)
    speed = previous.get("speed") if same_models and same_windows else None
    peak = previous.get("matmul_peak_gflops")
    if speed and previous.get("threads") == threads:
        log(f"speed part measured before, kept ({speed[0]['seconds']} s and {speed[1]['seconds']} s a volume)")
    else:
        speed = []
        log(f"a float32 matrix-multiply peak on {threads} threads ...")
        peak = isolated(peak_in_child, threads)
        for name in (REFERENCE, OURS):
            log(f"sliding window over {BRATS_SHAPE}, ROI {roi}^3, overlap {overlap}: {name} ...")
            speed.append(isolated(time_volume, name, roi, overlap, threads))
    result: dict[str, Any] = {
        "matmul_peak_gflops": peak,
        "volume": [4, *BRATS_SHAPE],
        "roi": roi,
        "overlap": overlap,
        "threads": threads,
        "speed": speed,
        "speedup": round(speed[0]["seconds"] / speed[1]["seconds"], 2),
        "memory_ratio": round(speed[0]["peak_mb"] / max(speed[1]["peak_mb"], 1e-3), 2),
    }
    if save is not None:
        save(result)
    if train_steps > 0:
        budget = {"steps": train_steps, "batch": 2, "roi": train_roi, "spacing_mm": train_spacing}
        earlier = previous.get("accuracy", {})
        runs = list(earlier.get("runs", [])) if earlier.get("budget") == budget else []
        for seed in range(first_seed, first_seed + seeds):
            for name in (REFERENCE, OURS):
                if any(r["model"] == name and r["seed"] == seed for r in runs):
                    continue  # a resumed run: this seed was trained before at this budget
                log(f"training {name}, seed {seed}, {train_steps} steps of 2 x {train_roi}^3 ...")
                runs.append(isolated(train_and_score, name, seed, train_steps, train_roi, train_spacing, threads))
                log(f"  Dice {runs[-1]['dice']:.3f} after {runs[-1]['train_seconds']} s of training")
                result["accuracy"] = accuracy_summary(budget, runs)
                if save is not None:
                    save(result)
        result["accuracy"] = accuracy_summary(budget, runs)
        dice = result["accuracy"]["dice"]
        result["dice_difference"] = round(statistics.mean(dice[OURS]) - statistics.mean(dice[REFERENCE]), 4)
    return result


def accuracy_summary(budget: dict, runs: list[dict]) -> dict[str, Any]:
    """The training runs so far, with each model's Dice per seed, mean and spread."""
    dice = {name: [r["dice"] for r in runs if r["model"] == name] for name in (REFERENCE, OURS)}
    return {
        "budget": budget,
        "runs": runs,
        "dice": dice,
        "mean_dice": {name: round(statistics.mean(v), 4) for name, v in dice.items() if v},
        "sd_dice": {name: round(statistics.stdev(v), 4) for name, v in dice.items() if len(v) > 1},
    }


def run_benchmark(
    output: Path,
    log: Callable[[str], None],
    roi: int,
    overlap: float,
    threads: int,
    seeds: int,
    train_steps: int,
    first_seed: int = 0,
) -> Report:
    """``bench tumor3d``: runs ``bench_tumor3d``, saving its JSON as it goes, and gives its table."""
    from hybridvision.pipelines.common.atomic import write_json_atomic

    def save(partial: dict) -> None:
        write_json_atomic(output, partial)
        if "accuracy" not in partial:
            log(f"speed: {partial['speedup']}x faster, memory ratio {partial['memory_ratio']}x")

    previous = json.loads(output.read_text()) if output.is_file() else None
    result = bench_tumor3d(
        roi, overlap, threads, seeds, train_steps, first_seed=first_seed, log=log, save=save, previous=previous
    )
    write_json_atomic(output, result)
    accuracy = result.get("accuracy", {})
    rows = []
    peak = result.get("matmul_peak_gflops")
    for row in result["speed"]:
        dice = accuracy.get("dice", {}).get(row["model"], [])
        achieved = f"{row['gflops']:.1f} ({100 * row['gflops'] / peak:.0f}%)" if peak and "gflops" in row else "-"
        spread = f" ± {statistics.stdev(dice):.3f}" if len(dice) > 1 else ""
        rows.append(
            [
                row["model"],
                f"{row['parameters_m']:.2f}",
                f"{row['seconds']:.1f}",
                f"{row['peak_mb']:.0f}",
                achieved,
                f"{statistics.mean(dice):.3f}{spread} ({len(dice)} seeds, min {min(dice):.3f})" if dice else "-",
            ]
        )
    steps = accuracy.get("budget", {}).get("steps")
    dice_column = f"Dice after {steps} steps (mean ± sd)"
    columns = ["model", "params (M)", "seconds / volume", "peak MB", "GFLOP/s (% of peak)", dice_column]
    title = f"tumor3d: 4x240x240x155, ROI {roi}^3, overlap {overlap}, {threads} threads"
    if peak:
        title += f"; matrix-multiply peak {peak:.0f} GFLOP/s"
    summary = f"speed-up {result['speedup']}x, memory ratio {result['memory_ratio']}x" + (
        f", Dice difference {result['dice_difference']:+.3f}" if "dice_difference" in result else ""
    )
    return Report([Table(title, columns, rows)], [summary, f"results: {output}"])

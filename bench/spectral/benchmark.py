"""``hybridvision bench spectral``: the protocols of the hyperspectral literature, in one run.

1. Same scene: a generated scene never used for the shipped model (seed 100, 145 x 145, 128
   bands); 5% of each class's labelled pixels train, the rest test. ChannelViT trained with
   Hierarchical Channel Sampling against a plain timm ViT (``in_chans`` = bands, no HCS), same
   steps, batch and learning rate. Both then tested with all bands, every other band, and the
   first half only (the plain ViT gets the missing bands zero-filled).
2. Another scene: the shipped scene checkpoint on scenes generated with other seeds, the same
   three band sets.
3. LoRA: the spectral window net (3D-conv front end + window attention) trained on scene 100
   (at most ``LORA_STEPS`` steps),
   then adapted to scene 101 from 10 labelled pixels per class, by LoRA alone (PEFT, attention
   and projection layers) against full fine-tuning, same steps: OA and trainable fraction.
4. Chips: the shipped chip model (ChannelViT + HCS) against a plain ViT trained with the same
   steps, batch and learning rate, on unseen generated chips: all bands, every other, the first
   half, one band.

Training here is a plain AdamW loop with a cosine schedule (no Lightning): the numbers compare
models under one budget; the shipped checkpoint's own training is ``hybridvision train``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from hybridvision.backbones import BACKBONES, EncoderDecoder, build_decoder
from hybridvision.pipelines.report import Report, Table
from hybridvision.pipelines.spectral.bands import band_subset, dead_bands, hierarchical_channel_sample
from hybridvision.pipelines.spectral.data import LabelledScene, PixelPatches, stratified_split
from hybridvision.pipelines.spectral.patches import patches_at, robust_scale
from hybridvision.pipelines.spectral.training_data import generated_scene

SUBSETS = ("all", "every-other", "first-half")
SCENE = {"size": 145, "bands": 128, "patch": 9}
CHANNELVIT = {"dim": 48, "depth": 3, "heads": 4, "group_size": 8, "centre_token": True}
PLAIN_VIT = {"dim": 48, "depth": 3, "heads": 4, "patch_size": 3}
WINDOW_NET = {"dim": 48, "depth": 2, "heads": 4, "window": 3}
LORA_STEPS = 300  # the 3D-conv front end costs ~1 s a step on 2 CPU threads: the LoRA part is capped


def labelled(seed: int, fraction: float = 0.05, per_class: int = 0) -> LabelledScene:
    cube, labels = generated_scene(SCENE["size"], SCENE["bands"], seed)
    train, rest = stratified_split(labels, fraction, per_class, np.random.default_rng(seed))
    return LabelledScene(cube, labels, train, rest)


def fit(model, scene, steps: int, hcs: bool, lr: float = 2e-3, batch: int = 64, seed: int = 0):
    """AdamW with warm-up and cosine decay on a scene's training pixels (or a dataset); returns seconds."""
    torch.manual_seed(seed)
    if isinstance(scene, LabelledScene):
        data = PixelPatches([scene], "train", SCENE["patch"], brightness=0.2, seed=seed)
    else:
        data = scene
    loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True, drop_last=len(data) >= batch)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=lr, weight_decay=0.05)
    warmup = max(1, steps // 15)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / warmup if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / steps))
    )
    sampler = torch.Generator().manual_seed(seed)
    model.train()
    start, step = time.perf_counter(), 0
    while step < steps:
        for batch_data in loader:
            x, y = batch_data["image"], batch_data["label"]
            if hcs:
                group_size = model.channel_group_size
                channels = hierarchical_channel_sample(x.shape[1], sampler, group_size=group_size)
                logits = model(x[:, channels], channel_ids=channels)
            else:
                logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=0.05)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            if step >= steps:
                break
    model.eval()
    return time.perf_counter() - start


def accuracy(model, scene: LabelledScene, subset: str = "all", limit: int = 0, batch: int = 512) -> float:
    """Overall accuracy (%) on the scene's held-out pixels with only ``subset`` of the bands."""
    points = scene.rest
    if limit and len(points) > limit:
        points = points[np.random.default_rng(0).choice(len(points), limit, replace=False)]
    live = ~dead_bands(scene.cube)  # as ``predict`` does: a dead band is a missing band
    kept = np.intersect1d(band_subset(subset, len(scene.cube)), np.flatnonzero(live))
    channels = torch.as_tensor(kept)
    rescale = np.float32(1 / robust_scale(scene.cube[kept]))  # and scales by the bands it uses
    full = len(channels) == len(scene.cube)
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(points), batch):
            chunk = points[start : start + batch]
            x = torch.from_numpy(patches_at(scene.cube, chunk, SCENE["patch"]) * rescale)
            logits = model(x) if full else model(x[:, channels], channel_ids=channels)
            correct += int((logits.argmax(1).numpy() + 1 == scene.labels[chunk[:, 0], chunk[:, 1]]).sum())
    return 100 * correct / len(points)


def band_table(model, scene: LabelledScene, limit: int) -> dict[str, float]:
    """OA by band subset, the worst drop, and pixels per second with all bands (patches included)."""
    table = {}
    for subset in SUBSETS:
        start = time.perf_counter()
        table[subset] = round(accuracy(model, scene, subset, limit), 2)
        if subset == "all":
            pixels = min(len(scene.rest), limit) if limit else len(scene.rest)
            table["pixels_per_s"] = round(pixels / (time.perf_counter() - start))
    table["worst drop"] = round(table["all"] - min(table[s] for s in SUBSETS[1:]), 2)
    return table


def build(name: str, kwargs: dict, bands: int = SCENE["bands"], classes: int = 11, side: int = SCENE["patch"]):
    """A spectral backbone + ``classifier`` decoder; a full-resolution backbone is pooled at the centre pixel."""
    extra = {"image_size": side} if BACKBONES.entry(name).metadata["support"].fixed_input_size else {}
    backbone = BACKBONES.build(name, in_channels=bands, spatial_dims=2, **kwargs, **extra)
    pool = "centre_mean" if backbone.full_resolution else "mean"
    head = build_decoder("classifier", backbone.feature_info, bands, 2, classes=classes, pool=pool)
    return EncoderDecoder(backbone, head)


def same_scene(steps: int, limit: int, log) -> dict[str, Any]:
    scene = labelled(100)
    log(f"same scene: {len(scene.train)} training pixels, {len(scene.rest)} test pixels")
    result = {"training_pixels": len(scene.train), "test_pixels": len(scene.rest)}
    for label, name, kwargs, hcs in (
        ("channelvit+hcs", "channelvit", CHANNELVIT, True),
        ("plain vit (zero-filled)", "vit", PLAIN_VIT, False),
    ):
        torch.manual_seed(0)
        model = build(name, kwargs)
        seconds = fit(model, scene, steps, hcs)
        result[label] = {**band_table(model, scene, limit), "train_seconds": round(seconds, 1)}
        log(f"{label}: {result[label]}")
    return result


def other_scenes(seeds: tuple[int, ...], limit: int, log) -> dict[str, Any]:
    from hybridvision.pipelines.base import InputError
    from hybridvision.pipelines.common.checkpoint import default_checkpoint, load_checkpoint

    try:
        _, model, metadata = load_checkpoint(default_checkpoint("spectral"))
    except InputError as error:
        log(f"other scenes: skipped ({error})")
        return {"skipped": str(error)}
    result = {"checkpoint": metadata.get("provenance", {}).get("data", "")}
    for seed in seeds:
        scene = labelled(seed, fraction=0.0, per_class=1)  # (almost) every labelled pixel is a test pixel
        result[f"seed {seed}"] = band_table(model, scene, limit)
        log(f"shipped checkpoint, scene seed {seed}: {result[f'seed {seed}']}")
    return result


def lora_adaptation(steps: int, limit: int, log) -> dict[str, Any]:
    from hybridvision.backbones.adapters import add_lora, trainable_fraction

    source, target = labelled(100), labelled(101, per_class=10)
    torch.manual_seed(0)
    base = build("spectral_window", WINDOW_NET)
    fit(base, source, steps, hcs=False)
    state = {k: v.clone() for k, v in base.state_dict().items()}
    result = {"target_labels_per_class": 10, "source OA": round(accuracy(base, source, limit=limit), 2)}
    result["no adaptation"] = {"OA": round(accuracy(base, target, limit=limit), 2), "trainable": 0.0}
    adapt_steps = max(1, steps // 3)
    for label in ("lora", "full fine-tuning"):
        model = build("spectral_window", WINDOW_NET)
        model.load_state_dict(state)
        if label == "lora":
            model = add_lora(model)
        fraction = trainable_fraction(model)
        fit(model, target, adapt_steps, hcs=False, lr=1e-3)
        result[label] = {"OA": round(accuracy(model, target, limit=limit), 2), "trainable": round(fraction, 4)}
        log(f"{label}: {result[label]}")
    return result


def chips_robustness(limit: int, log) -> dict[str, Any]:
    """The shipped chip model against a plain ViT trained with its budget, on unseen chips, by band set."""
    from hybridvision.pipelines.common.checkpoint import load_checkpoint, read_metadata, shipped_checkpoints
    from hybridvision.pipelines.spectral.data import Chips
    from hybridvision.pipelines.spectral.training_data import VAL_SEED_OFFSET, generated_chips

    found = [p for p in shipped_checkpoints() if p.parent.name == "spectral" and p.stem == "chips"]
    if not found:
        log("chips: skipped (no shipped chips checkpoint)")
        return {"skipped": "no shipped chips checkpoint"}
    pipeline, shipped, _ = load_checkpoint(found[0])
    train_config = read_metadata(found[0])["config"]["train"]
    side, per_class = pipeline.model_cfg.patch, max(1, limit // 9 // 20)
    test_chips, test_labels = generated_chips(per_class, 7 * VAL_SEED_OFFSET, side)
    torch.manual_seed(0)
    vit = build("vit", {"patch_size": 8, "dim": 48, "depth": 3, "heads": 4}, bands=13, classes=9, side=side)
    train_chips, train_labels = generated_chips(pipeline.data_cfg.generated, pipeline.data_cfg.generated_seed, side)
    seconds = fit(
        vit,
        Chips(train_chips, train_labels, 0.2),
        train_config["max_steps"],
        hcs=False,
        lr=train_config["learning_rate"],
        batch=train_config["batch_size"],
    )
    result = {"test_chips": len(test_labels), "plain vit train_seconds": round(seconds, 1)}
    for label, model in (("channelvit+hcs (shipped)", shipped), ("plain vit (zero-filled)", vit)):
        row = {}
        for subset in (*SUBSETS, "one"):
            channels = torch.as_tensor(band_subset(subset, 13))
            with torch.inference_mode():
                x = torch.from_numpy(test_chips)
                logits = model(x) if len(channels) == 13 else model(x[:, channels], channel_ids=channels)
            row[subset] = round(100 * float((logits.argmax(1).numpy() == test_labels).mean()), 2)
        result[label] = row
        log(f"chips, {label}: {row}")
    return result


def bench_spectral(
    steps: int = 1000, threads: int = 2, limit: int = 6000, log: Callable[[str], None] = print, save=None
) -> dict[str, Any]:
    """All three protocols; ``save(partial)`` is called after each so a long run keeps what it has."""
    torch.set_num_threads(threads)
    result: dict[str, Any] = {"steps": steps, "threads": threads, "test_pixel_limit": limit, **SCENE}
    for key, run in (
        ("same_scene", lambda: same_scene(steps, limit, log)),
        ("other_scenes", lambda: other_scenes((200, 201), limit, log)),
        ("lora", lambda: lora_adaptation(min(steps, LORA_STEPS), limit, log)),
        ("chips", lambda: chips_robustness(limit, log)),
    ):
        result[key] = run()
        if save:
            save(result)
    return result


def run_benchmark(
    output: Path,
    log: Callable[[str], None],
    steps: int,
    test_pixels: int,
    threads: int,
    tile: bool = False,
    tile_size: int = 10980,
    cache: str = "",
    tile_checkpoint: str = "spectral/landcover",
) -> Report:
    """``bench spectral``: runs ``bench_spectral`` (or, ``--tile``, the tile bench), saving its JSON
    as it goes, and gives its tables."""
    from hybridvision.pipelines.common.atomic import write_json_atomic

    if steps < 1 or test_pixels < 1 or threads < 1:
        raise ValueError("--steps, --test-pixels and --threads must be at least 1")
    if tile:
        from .tile_bench import tile_bench, tile_report

        result = tile_bench(tile_size, threads, Path(cache) if cache else None, log, tile_checkpoint)
        write_json_atomic(output, result)
        return tile_report(result)
    result = bench_spectral(
        steps, threads, test_pixels, log=log, save=lambda partial: write_json_atomic(output, partial)
    )
    write_json_atomic(output, result)

    def cells(row: dict) -> list[str]:
        return [f"{row[k]:.2f}" for k in (*SUBSETS, "worst drop")] + [str(row["pixels_per_s"])]

    rows = [
        ["same scene, 5% labels", model, *cells(row)]
        for model, row in result["same_scene"].items()
        if isinstance(row, dict)
    ]
    rows += [
        [f"shipped, scene {scene}", "channelvit+hcs", *cells(row)]
        for scene, row in result["other_scenes"].items()
        if isinstance(row, dict)
    ]
    title = f"spectral: overall accuracy (%) by bands kept; {steps} training steps where trained"
    tables = [Table(title, ["protocol", "model", *SUBSETS, "worst drop", "pixels/s"], rows)]
    lora = result["lora"]
    methods = ("no adaptation", "lora", "full fine-tuning")
    tables.append(
        Table(
            f"adapting to another scene from {lora['target_labels_per_class']} labels per class",
            ["method", "OA %", "trainable fraction"],
            [[m, f"{lora[m]['OA']:.2f}", f"{lora[m]['trainable']:.4f}"] for m in methods],
        )
    )
    chips = result["chips"]
    if "skipped" not in chips:
        models = ("channelvit+hcs (shipped)", "plain vit (zero-filled)")
        tables.append(
            Table(
                f"chips: accuracy (%) on {chips['test_chips']} unseen chips by bands kept",
                ["model", *SUBSETS, "one"],
                [[m, *[f"{chips[m][k]:.2f}" for k in (*SUBSETS, "one")]] for m in models],
            )
        )
    return Report(tables, [f"results: {output}"])

"""``hybridvision bench device``: the GPU goals of the speed issue, measured on one device in one run.

1. **Network per BraTS volume**: a 4 x 240 x 240 x 155 volume through Gaussian-blended sliding
   windows (overlap 0.5), network only, median of ``repeats`` after a warm-up call: the shipped
   ``tumor3d/demo`` at its CPU settings (64^3, 2 a call) and at the device's (128^3, 4 a call),
   each in fp32 and bf16 autocast; the shipped ``tumor3d/fast`` (the unet's light_mlp
   full-resolution stage) at both settings; against MONAI's SwinUNETR at the paper's
   feature size 48 (128^3, 4 a call). Peak memory: the device's allocator high-water mark (CUDA only).
2. **superres network**: a 3 x 256 x 256 image upscaled x4 by the shipped ``superres/x4`` (by band)
   and by SwinIR-light (random weights, spandrel), median of ``repeats``.
3. **predict throughput**: ``units`` BraTS-sized cases (copies of one case folder: a stand-in brain
   of exactly 240 x 240 x 155 at 1 mm unless ``case`` names a real one) and ``units``
   1024 x 1024 RGB images (x4) through the batch runner with its read-ahead and write-behind, the
   model on the device: units per second over the whole batch, and steady (the first unit, with
   its warm-up, left out).
   Then one case predicted on the device and on the CPU, both at the CPU's windows in fp32: the
   voxels whose labels differ (the check of the device-side steps: inverting the resampling on
   the device where the prediction is).
4. **Same-budget PSNR on the device** (``psnr_steps`` > 0): ``bench superres``'s training
   comparison run where steps are cheap (``same_budget.py``).

``--quick`` shrinks every part (a 96^3 volume, 64^3 windows, 2 units, 256^2 images, one repeat)
so the whole script can be dry-run on a CPU before a GPU's minutes are spent on it.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch

from hybridvision.pipelines.report import Report, Table

BRATS_SHAPE = (240, 240, 155)
OVERLAP = 0.5
PAPER = "monai:SwinUNETR(feature_size=48)"
OURS = "tumor3d/demo"
FAST = "tumor3d/fast"  # the demo's encoder shape, a light full-resolution stage


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(run: Callable[[], Any], repeats: int, device: torch.device) -> tuple[float, float | None]:
    """(median seconds of ``repeats`` calls after one warm-up call, peak device memory in GB or None)."""
    run()
    synchronize(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        synchronize(device)
        times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return statistics.median(times), peak


def network_rows(device: torch.device, shape: tuple[int, ...], big_roi: int, repeats: int, log) -> list[dict]:
    """Part 1: seconds and peak memory per volume for each (model, ROI, window batch, precision)."""
    from monai.networks.nets import SwinUNETR

    from hybridvision.pipelines.common.checkpoint import load_checkpoint
    from hybridvision.pipelines.common.inference import sliding_window

    _, ours, _ = load_checkpoint(OURS, device)
    _, fast, _ = load_checkpoint(FAST, device)
    paper = SwinUNETR(in_channels=4, out_channels=3, feature_size=48).to(device).eval()
    settings = [  # (model, ROI, windows a call, precision, whose settings)
        (OURS, ours, 64, 2, "fp32", "cpu"),
        (OURS, ours, 64, 2, "bf16", "cpu"),
        (OURS, ours, big_roi, 4, "fp32", "device"),
        (OURS, ours, big_roi, 4, "bf16", "device"),
        (FAST, fast, 64, 2, "fp32", "cpu"),
        (FAST, fast, big_roi, 4, "fp32", "device"),
        (FAST, fast, big_roi, 4, "bf16", "device"),
        (PAPER, paper, big_roi, 4, "fp32", "device"),
        (PAPER, paper, big_roi, 4, "bf16", "device"),
    ]
    volume = torch.randn(1, 4, *shape, device=device)
    rows = []
    for name, model, roi, batch, precision, whose in settings:
        log(f"{name}: ROI {roi}^3, {batch} a call, {precision} ...")

        def run(model=model, roi=roi, batch=batch, precision=precision):
            with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16, enabled=precision == "bf16"):
                return sliding_window(model, volume, (roi,) * 3, batch, OVERLAP)

        seconds, peak = median_seconds(run, repeats, device)
        rows.append(
            {"model": name, "settings": whose, "roi": roi, "window_batch": batch, "precision": precision}
            | {"seconds": round(seconds, 3)}
            | ({"peak_gb": round(peak, 2)} if peak is not None else {})
        )
    del ours, fast, paper
    return rows


def superres_rows(device: torch.device, side: int, repeats: int, log) -> list[dict]:
    """Part 2: x4 of a 3 x side x side image, ours (each band through the one-band model) and SwinIR-light."""
    from hybridvision.pipelines.common.checkpoint import load_checkpoint

    from .superres.bench_models import SWINIR_LIGHT, build_reference

    _, ours, _ = load_checkpoint("superres/x4", device)
    reference = build_reference(SWINIR_LIGHT).to(device)
    image = torch.rand(3, side, side, device=device)
    rows = []
    for name, model, batch in (("superres/x4", ours, image[:, None]), (SWINIR_LIGHT, reference, image[None])):
        log(f"x4 of 3x{side}x{side}: {name} ...")

        def run(model=model, batch=batch):
            with torch.inference_mode():
                return model(batch)

        seconds, peak = median_seconds(run, repeats, device)
        rows.append({"model": name, "seconds": round(seconds, 4)} | ({"peak_gb": round(peak, 2)} if peak else {}))
    return rows


def write_superres_units(folder: Path, count: int, side: int) -> Path:
    """``count`` RGB PNGs of ``side`` pixels: scikit-image's astronaut resized, each shifted a little."""
    import numpy as np
    from skimage import data, io, transform

    folder.mkdir(parents=True, exist_ok=True)
    base = transform.resize(data.astronaut(), (side + count, side + count), anti_aliasing=True)
    for index in range(count):
        crop = (base[index : index + side, index : index + side] * 255).round().astype(np.uint8)
        io.imsave(folder / f"image{index:03d}.png", crop, check_contrast=False)
    return folder


def standin_case(folder: Path, seed: int = 0) -> Path:
    """A skull-stripped-looking brain of exactly the BraTS grid (240 x 240 x 155, 1 mm, RAS) in four
    modalities: an ellipsoid of smooth tissue texture with a brighter lesion, written as NIfTI. It
    needs neither the generator's atlas (nilearn, absent from the GPU machine) nor 13 MB of carried
    files; what predict costs depends on the grid, not on the anatomy."""
    import nibabel as nib
    import numpy as np
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    axes = [np.linspace(-1, 1, n, dtype=np.float32) for n in BRATS_SHAPE]
    x, y, z = np.meshgrid(*axes, indexing="ij")
    brain = (x / 0.75) ** 2 + (y / 0.85) ** 2 + (z / 0.8) ** 2 < 1
    lesion = (x - 0.3) ** 2 + (y + 0.2) ** 2 + z**2 < 0.04
    texture = ndimage.gaussian_filter(rng.standard_normal(BRATS_SHAPE).astype(np.float32), 3)
    case = folder / "BRATS_STANDIN"
    case.mkdir(parents=True, exist_ok=True)
    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    for index, modality in enumerate(("t1", "t1ce", "t2", "flair")):
        volume = (300 + 40 * index + 400 * texture + 250 * lesion * (index + 1)) * brain
        nib.save(nib.Nifti1Image(volume.astype(np.float32), affine), case / f"{case.name}_{modality}.nii.gz")
    return case


def copy_case(case: Path, folder: Path, count: int) -> Path:
    """``count`` copies of one tumor3d case folder (its files renamed to each copy's unit name)."""
    for index in range(count):
        unit = folder / f"case{index:03d}"
        unit.mkdir(parents=True, exist_ok=True)
        for path in sorted(case.iterdir()):
            shutil.copyfile(path, unit / path.name.replace(case.name, unit.name))
    return folder


def throughput(checkpoint: str, inputs: Path, output: Path, device: torch.device) -> dict:
    """Part 3 for one task: the batch runner over ``inputs`` with the model on ``device``."""
    from rich.console import Console

    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.common.checkpoint import load_checkpoint

    pipeline, model, _ = load_checkpoint(checkpoint, device)
    start = time.perf_counter()
    report = run_batch(pipeline, model, inputs, output, console=Console(stderr=True, quiet=True))
    seconds = time.perf_counter() - start
    done = report.count("done")
    if done != len(report.units):
        failed = [f"{u.name}: {u.error}" for u in report.units if u.status != "done"]
        raise RuntimeError(f"bench device: {checkpoint} finished {done} of {len(report.units)} units ({failed[:2]})")
    first = report.units[0].seconds
    return {
        "checkpoint": checkpoint,
        "units": done,
        "seconds": round(seconds, 2),
        "units_per_second": round(done / seconds, 3),
        "steady_units_per_second": round((done - 1) / max(seconds - first, 1e-9), 3) if done > 1 else None,
    }


def cpu_agreement(checkpoint: str, case: Path, folder: Path, device: torch.device) -> dict:
    """Part 3's check: ``case`` predicted on ``device`` and on the CPU at the CPU's window settings in
    fp32; the voxels whose labels differ."""
    import nibabel as nib
    import numpy as np
    from rich.console import Console

    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.common.checkpoint import load_checkpoint

    inputs = copy_case(case, folder / "agreement-in", 1)
    labels = []
    for where in (torch.device("cpu"), device):
        pipeline, model, _ = load_checkpoint(checkpoint, where)
        windows = pipeline.data_cfg
        options = pipeline.make_options(roi=windows.roi[0], window_batch=windows.sw_batch_size, precision="fp32")
        output = folder / f"agreement-{where.type}"
        run_batch(pipeline, model, inputs, output, console=Console(stderr=True, quiet=True), options=options)
        labels.append(np.asarray(nib.load(next(output.rglob("*_seg.nii.gz"))).dataobj))
    return {
        "checkpoint": checkpoint,
        "voxels": int(labels[0].size),
        "differing_voxels": int(np.count_nonzero(labels[0] != labels[1])),
        "tumour_voxels_cpu": int(np.count_nonzero(labels[0])),
    }


def bench_device(
    device: str = "cuda",
    case: Path | None = None,
    units: int = 8,
    repeats: int = 5,
    psnr_steps: int = 0,
    quick: bool = False,
    log: Callable[[str], None] = print,
    save: Callable[[dict], None] | None = None,
) -> dict[str, Any]:
    """Parts 1-4 (the module docstring) on ``device``; ``case``: a tumor3d case folder as ``samples``
    writes it (None: a BraTS-sized stand-in, ``standin_case``); ``save(result)`` gets partial results."""
    keep = save or (lambda partial: None)
    target = torch.device(device)
    if target.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("bench device: --device cuda, but torch sees no CUDA device here")
    shape, big_roi, side, image_side = ((96, 96, 96), 64, 128, 256) if quick else (BRATS_SHAPE, 128, 256, 1024)
    repeats, units = (1, 2) if quick else (repeats, units)
    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(target) if target.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "volume": [4, *shape],
        "overlap": OVERLAP,
        "repeats": repeats,
    }
    result["network"] = network_rows(target, shape, big_roi, repeats, log)
    keep(result)
    result["superres_network"] = superres_rows(target, side, repeats, log)
    keep(result)
    with tempfile.TemporaryDirectory(prefix="hybridvision-bench-device-") as scratch:
        folder = Path(scratch)
        if case is None:
            case, result["case"] = standin_case(folder / "standin"), "stand-in brain, 240x240x155 at 1 mm"
        else:
            case, result["case"] = Path(case), str(case)
        log(f"predict tumor3d: {units} copies of {case.name} on {device} ...")
        volumes = copy_case(case, folder / "tumor3d", units)
        result["predict"] = [throughput(OURS, volumes, folder / "tumor3d-out", target)]
        keep(result)
        log(f"predict tumor3d: one case on {device} and on the cpu, the cpu's windows ...")
        result["agreement"] = cpu_agreement(OURS, case, folder, target)
        keep(result)
        log(f"predict superres x4: {units} RGB images of {image_side}^2 on {device} ...")
        images = write_superres_units(folder / "superres", units, image_side)
        result["predict"].append(throughput("superres/x4", images, folder / "superres-out", target))
        keep(result)
    if psnr_steps:
        from .superres.same_budget import same_budget_psnr

        result["psnr"] = same_budget_psnr(psnr_steps, device=device, log=log)
        keep(result)
    return result


def device_report(result: dict[str, Any], output: Path) -> Report:
    """The tables ``bench device`` prints, with the goals' ratios."""
    memory = lambda row: f"{row['peak_gb']:.1f}" if "peak_gb" in row else "-"  # noqa: E731
    network = [
        [r["model"], f"{r['roi']}^3", str(r["window_batch"]), r["precision"], f"{r['seconds']:.3f}", memory(r)]
        for r in result["network"]
    ]
    volume = "x".join(str(n) for n in result["volume"])
    tables = [
        Table(
            f"network per {volume} volume on {result['device']}, overlap {result['overlap']}, median of "
            f"{result['repeats']}",
            ["model", "ROI", "windows a call", "precision", "seconds", "peak GB"],
            network,
        ),
        Table(
            "superres x4 network, 3-band image",
            ["model", "seconds", "peak GB"],
            [[r["model"], f"{r['seconds']:.4f}", memory(r)] for r in result["superres_network"]],
        ),
        Table(
            "predict throughput (read-ahead and write-behind on)",
            ["checkpoint", "units", "seconds", "units/s", "steady units/s"],
            [
                [r["checkpoint"], str(r["units"]), f"{r['seconds']:.1f}", f"{r['units_per_second']:.2f}"]
                + [f"{r['steady_units_per_second']:.2f}" if r["steady_units_per_second"] else "-"]
                for r in result.get("predict", [])
            ],
        ),
    ]
    best_ours = min(r["seconds"] for r in result["network"] if r["model"] == OURS and r["settings"] == "device")
    shipped = min(r["seconds"] for r in result["network"] if r["model"] == OURS and r["settings"] == "cpu")
    paper = min(r["seconds"] for r in result["network"] if r["model"] == PAPER)
    sr = {r["model"]: r["seconds"] for r in result["superres_network"]}
    fast = [r["seconds"] for r in result["network"] if r["model"] == FAST and r["settings"] == "device"]
    lines = [
        f"SwinUNETR-48 / ours, per volume: {paper / best_ours:.2f}x at the device's settings, "
        f"{paper / shipped:.2f}x at the CPU's (above 1: ours is faster)"
        + (f"; {FAST} {paper / min(fast):.2f}x at the device's" if fast else ""),
        f"SwinIR-light / ours, x4 network: {sr['SwinIR-light (spandrel)'] / sr['superres/x4']:.1f}x",
    ]
    agreement = result.get("agreement")
    if agreement:
        lines.append(
            f"labels on {result['device']} against the cpu's (same windows, fp32): "
            f"{agreement['differing_voxels']} of {agreement['voxels']} voxels differ "
            f"({agreement['tumour_voxels_cpu']} tumour voxels on the cpu)"
        )
    psnr = result.get("psnr")
    if psnr:
        steps = psnr["budget"]["steps"]
        levelled = ", ".join(f"{name}: {'yes' if p['reached'] else 'no'}" for name, p in psnr["plateau"].items())
        lines.append(
            f"same-budget PSNR after {steps} steps, ours - SwinIR-light: {psnr['ours_minus_swinir_db']:+.2f} dB"
        )
        lines.append(f"levelled off (under 0.05 dB over the last 20% of steps): {levelled}")
    lines.append(f"results: {output}")
    return Report(tables, lines)


def run(output: Path, log: Callable[[str], None], **settings: Any) -> Report:
    """``bench device``: runs ``bench_device`` with ``settings`` (its arguments), saving its JSON as
    it goes, and gives its tables."""
    from hybridvision.pipelines.common.atomic import write_json_atomic

    result = bench_device(**settings, log=log, save=lambda partial: write_json_atomic(output, partial))
    write_json_atomic(output, result)
    return device_report(result, output)

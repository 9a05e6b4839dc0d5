"""``bench device`` (the GPU goals in one prepared run): its parts on the CPU at small sizes. The
whole command is dry-run with ``--quick`` before a GPU's minutes go to it (bench/device_session.sh);
here, what could silently measure the wrong thing: the units it makes, the warm-up, the ratios."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from hybridvision.bench import device_bench


def network_row(model: str, settings: str, roi: int, batch: int, precision: str, seconds: float) -> dict:
    return {"model": model, "settings": settings, "roi": roi, "window_batch": batch, "precision": precision} | {
        "seconds": seconds
    }


NETWORK = [
    network_row(device_bench.OURS, "cpu", 64, 2, "fp32", 2.0),
    network_row(device_bench.OURS, "device", 64, 4, "fp32", 1.0),  # --quick: windows no larger than the CPU's
    network_row(device_bench.OURS, "device", 128, 4, "bf16", 0.5),
    network_row(device_bench.PAPER, "device", 128, 4, "fp32", 1.0),
    network_row(device_bench.PAPER, "device", 128, 4, "bf16", 0.8),
]
REPORTED = {
    "device": "a GPU",
    "volume": [4, 240, 240, 155],
    "overlap": 0.5,
    "repeats": 5,
    "network": NETWORK,
    "superres_network": [
        {"model": "superres/x4", "seconds": 0.025},
        {"model": "SwinIR-light (spandrel)", "seconds": 0.25},
    ],
    "predict": [
        {
            "checkpoint": "superres/x4",
            "units": 8,
            "seconds": 4.0,
            "units_per_second": 2.0,
            "steady_units_per_second": 2.5,
        }
    ],
}


def test_copies_of_a_case_are_units_the_tumor3d_pipeline_finds(tmp_path):
    from hybridvision.pipelines.common.checkpoint import load_pipeline

    case = tmp_path / "HV_01000"
    case.mkdir()
    for modality in ("t1", "t1ce", "t2", "flair"):
        nib.save(nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), np.eye(4)), case / f"HV_01000_{modality}.nii.gz")
    folder = device_bench.copy_case(case, tmp_path / "units", 3)
    pipeline, _ = load_pipeline("tumor3d/demo")
    units = pipeline.discover_units(folder)
    assert [unit.name for unit in units] == ["case000", "case001", "case002"]
    assert all(len(unit.files) == 4 and all(f.name.startswith(unit.name) for f in unit.files) for unit in units)


def test_timing_leaves_the_warm_up_call_out():
    calls = []
    seconds, peak = device_bench.median_seconds(lambda: calls.append(1), 3, torch.device("cpu"))
    assert len(calls) == 4 and seconds >= 0 and peak is None  # no allocator high-water mark on a CPU


def test_superres_throughput_runs_every_unit(tmp_path):
    images = device_bench.write_superres_units(tmp_path / "in", 3, 48)
    assert sorted(p.name for p in images.iterdir()) == ["image000.png", "image001.png", "image002.png"]
    row = device_bench.throughput("superres/x2", images, tmp_path / "out", torch.device("cpu"))
    assert row["units"] == 3 and (tmp_path / "out" / "image002.png").is_file()
    assert row["units_per_second"] > 0 and row["steady_units_per_second"] > 0  # the latter without the first unit


def test_the_report_states_the_goals_ratios(tmp_path):
    result = json.loads(json.dumps(REPORTED))
    report = device_bench.device_report(result, Path("bench-device.json"))
    # the paper's best (0.8 s) against our best (0.5 s) and against our CPU settings (2.0 s)
    assert "1.60x at the device's settings, 0.40x at the CPU's" in report.notes[0]
    assert "10.0x" in report.notes[1]


def test_asking_for_a_gpu_where_there_is_none_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="torch sees no CUDA device"):
        device_bench.bench_device("cuda")


def test_the_command_passes_its_options_and_writes_the_json(tmp_path, monkeypatch):
    """The wiring of ``bench device`` (the measuring itself is the dry run's): options reach the
    bench, partial results are saved as they come, the tables and ratios are printed."""
    from typer.testing import CliRunner

    from hybridvision.apps.cli import build_app

    seen = {}

    def fake_bench(**settings):
        seen.update(settings)
        settings["save"]({"partial": True})
        return json.loads(json.dumps(REPORTED))

    monkeypatch.setattr(device_bench, "bench_device", fake_bench)
    output = tmp_path / "device.json"
    args = ["bench", "device", "--device", "cpu", "--quick", "--units", "3", "--psnr-steps", "7", "-o", str(output)]
    done = CliRunner().invoke(build_app(), args)
    assert done.exit_code == 0, done.output
    assert {k: seen[k] for k in ("device", "units", "psnr_steps", "quick")} == {
        "device": "cpu",
        "units": 3,
        "psnr_steps": 7,
        "quick": True,
    }
    assert json.loads(output.read_text())["network"] == REPORTED["network"]
    assert "SwinUNETR-48 / ours" in done.output


def test_the_stand_in_case_is_a_brats_sized_brain_predict_takes_without_a_warning(tmp_path):
    from hybridvision.pipelines.common.unfamiliar import SMOOTH_BELOW, volume_smoothness
    from hybridvision.pipelines.tumor3d.skull import skull_warning

    case = device_bench.standin_case(tmp_path)
    volumes = {path.name: nib.load(path) for path in case.iterdir()}
    assert len(volumes) == 4 and all(v.shape == device_bench.BRATS_SHAPE for v in volumes.values())
    stack = np.stack([np.asarray(v.dataobj) for v in volumes.values()])
    assert volume_smoothness(stack) > SMOOTH_BELOW and skull_warning(stack, np.eye(4)) is None


def test_the_same_budget_images_leave_the_atlas_out_where_nilearn_is_missing(monkeypatch):
    """The GPU machine has no nilearn: the PSNR comparison trains on the other offline images, and
    the JSON says which."""
    import sys

    from hybridvision.bench.superres.same_budget import offline_images

    every, everything = offline_images()
    monkeypatch.setitem(sys.modules, "nilearn", None)  # an import of it fails, as where it is not installed
    fewer, sources = offline_images()
    assert "MNI152" in everything and sources.endswith("(no nilearn)") and "MNI152" not in sources
    assert 0 < len(fewer) < len(every)


def test_the_agreement_check_compares_the_labels_of_one_case_on_both_devices(tmp_path):
    """On the CPU against itself every voxel agrees: the check reads back the labels both runs wrote,
    on the case's whole grid."""
    rng = np.random.default_rng(0)
    case = tmp_path / "HV_01000"
    case.mkdir()
    ball = np.linalg.norm(np.indices((40, 44, 36)) - np.array([20, 22, 18])[:, None, None, None], axis=0) < 12
    for index, modality in enumerate(("t1", "t1ce", "t2", "flair")):
        volume = (ball * (300 + 50 * index + 20 * rng.standard_normal(ball.shape))).astype(np.float32)
        nib.save(nib.Nifti1Image(volume, np.diag([1.5, 1.5, 1.5, 1])), case / f"HV_01000_{modality}.nii.gz")
    agreement = device_bench.cpu_agreement("tumor3d/demo", case, tmp_path / "work", torch.device("cpu"))
    assert agreement["voxels"] == 40 * 44 * 36 and agreement["differing_voxels"] == 0
    assert (tmp_path / "work" / "agreement-cpu").is_dir()

    result = json.loads(json.dumps(REPORTED)) | {"agreement": agreement | {"differing_voxels": 12}}
    report = device_bench.device_report(result, Path("bench-device.json"))
    assert f"12 of {40 * 44 * 36} voxels differ" in " ".join(report.notes)


def test_the_fast_checkpoints_ratio_to_the_paper_model_is_reported():
    rows = [*NETWORK, network_row(device_bench.FAST, "device", 128, 4, "bf16", 0.25)]
    report = device_bench.device_report(json.loads(json.dumps(REPORTED | {"network": rows})), Path("b.json"))
    assert "tumor3d/fast 3.20x at the device's" in report.notes[0]

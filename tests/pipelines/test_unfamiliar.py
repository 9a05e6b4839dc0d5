"""Out-of-distribution warnings: the statistics, and each task's check on familiar and unfamiliar
inputs as ``predict`` meets them (the warning lands in report.json). Thresholds are in
common/unfamiliar.py; the false-positive rates over 20 unseen generated seeds are in the README."""

import json
import shutil

import nibabel as nib
import numpy as np
import pytest
from scipy import ndimage

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.checkpoint import load_checkpoint
from hybridvision.pipelines.common.unfamiliar import (
    SMOOTH_BELOW,
    bones_warning,
    fragmented_share,
    neighbour_correlation,
    volume_smoothness,
)


def test_smooth_images_correlate_with_their_neighbours_and_noise_does_not():
    rng = np.random.default_rng(0)
    noise = rng.random((40, 40, 40))
    smooth = ndimage.gaussian_filter(noise, 2)
    assert all(neighbour_correlation(smooth, axis) > 0.9 for axis in range(3))
    assert all(abs(neighbour_correlation(noise, axis)) < 0.05 for axis in range(3))
    assert volume_smoothness(np.stack([smooth, noise])) < SMOOTH_BELOW  # the worst channel decides
    mask = np.zeros_like(noise, bool)
    mask[:, :, :5] = True
    assert neighbour_correlation(noise, 0, np.zeros_like(mask)) == 1.0  # nothing to tell from


def test_the_sampled_pairs_give_the_correlation_of_every_pair_in_the_mask(monkeypatch):
    """Only the sampled pairs are read (a BraTS volume's check took 1.7 s, 0.24 s now): below the
    sample size the correlation is that of every pair where both elements are in the mask, the
    straightforward definition, and above it every k-th of them in order."""
    from hybridvision.pipelines.common import unfamiliar

    rng = np.random.default_rng(1)
    data = ndimage.gaussian_filter(rng.random((30, 26, 22)), 1.5) + 0.2 * rng.random((30, 26, 22))
    mask = ndimage.gaussian_filter(rng.random(data.shape), 2) > 0.5
    for axis in range(3):
        first = np.delete(data, -1, axis)
        second = np.delete(data, 0, axis)
        keep = np.delete(mask, -1, axis) & np.delete(mask, 0, axis)
        expected = np.corrcoef(first[keep], second[keep])[0, 1]
        assert neighbour_correlation(data, axis, mask) == pytest.approx(expected, abs=1e-12)
        monkeypatch.setattr(unfamiliar, "PAIRS", 1000)
        step = keep.sum() // 1000 + 1
        sampled = np.corrcoef(first[keep][::step], second[keep][::step])[0, 1]
        assert neighbour_correlation(data, axis, mask) == pytest.approx(sampled, abs=1e-12)
        monkeypatch.undo()


def test_a_bone_in_pieces_or_called_unsure_is_flagged():
    label = np.zeros((20, 20, 20), np.uint8)
    label[2:12, 2:12, 2:12] = 1
    sure = np.full(label.shape, 0.97)
    assert fragmented_share(label, 1) == 0.0
    assert bones_warning(label, sure, {1: "femur"}) is None
    label[15:19, 15:19, 15:19] = 1  # a second piece: 64 of 1064 voxels
    assert fragmented_share(label, 1) == pytest.approx(64 / 1064)
    label[14:19, 2:10, 14:19] = 1  # and a third: now over a tenth outside the largest piece
    assert "femur came out in pieces" in bones_warning(label, sure, {1: "femur"})
    label[15:19, 15:19, 15:19] = 0
    label[14:19, 2:10, 14:19] = 0
    assert "confidence in the bone is 0.70" in bones_warning(label, np.full(label.shape, 0.7), {1: "femur"})
    assert "no bone" in bones_warning(np.zeros_like(label), sure, {1: "femur"})


def predicted(pipeline_name, checkpoint, inputs, output):
    pipeline, model, _ = load_checkpoint(checkpoint)
    report = run_batch(pipeline, model, inputs, output)
    assert not report.failed
    return {unit["name"]: unit["warning"] for unit in json.loads((output / "report.json").read_text())["units"]}


def test_spectral_warns_on_a_noise_cube_not_on_a_generated_scene(tmp_path):
    from hybridvision.pipelines.spectral.samples import write_samples

    write_samples(tmp_path / "s", 1, 1000, kind="scene", size=48, progress=lambda message: None)
    np.save(tmp_path / "s" / "inputs" / "noise.npy", np.random.default_rng(0).random((128, 48, 48)).astype("f4"))
    warnings = predicted("spectral", "spectral/scene", tmp_path / "s" / "inputs", tmp_path / "out")
    assert warnings["scene_1000"] is None
    assert "correlate 0.0" in warnings["noise"] and "do not trust" in warnings["noise"]


def test_tumor3d_warns_on_noise_volumes_before_any_inference(tmp_path):
    from hybridvision.pipelines.tumor3d.samples import write_samples

    write_samples(tmp_path / "t", 1, 1000, spacing=2.0)
    pipeline, _, _ = load_checkpoint("tumor3d/demo")
    unit = pipeline.discover_units(tmp_path / "t" / "inputs")[0]
    assert pipeline.preprocess(pipeline.read(unit)).meta["warning"] is None
    noisy = tmp_path / "noise"
    noisy.mkdir()
    rng = np.random.default_rng(0)
    for path in unit.files:
        image = nib.load(path)
        data = (rng.random(image.shape) * 1000).astype(np.float32)
        nib.save(nib.Nifti1Image(data, image.affine), noisy / path.name.replace(unit.name, "noise"))
    noise_unit = pipeline.discover_units(noisy)[0]
    assert "volumes' voxels correlate 0.0" in pipeline.preprocess(pipeline.read(noise_unit)).meta["warning"]


def test_xray2shape_warns_on_a_tibia_and_a_chest_given_as_femur_views(tmp_path):
    from pydicom.data import get_testdata_file

    from hybridvision.apps.demo.xray2shape_tab import sample_pair

    ap, lateral = sample_pair("femur")
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(ap, inputs / "generated_ap.png")
    shutil.copy(lateral, inputs / "generated_lat.png")
    for case, name in (("tibia", "RG3_UNCI.dcm"), ("chest", "RG1_UNCI.dcm")):
        for view in ("ap", "lat"):  # one radiograph of each: the same image as both views
            shutil.copy(get_testdata_file(name), inputs / f"{case}_{view}.dcm")
    for checkpoint in ("xray2shape/femur", "xray2shape/femur_lite0_side"):
        warnings = predicted("xray2shape", checkpoint, inputs, tmp_path / checkpoint.replace("/", "-"))
        assert warnings["generated"] is None, checkpoint
        assert warnings["tibia"] and warnings["chest"], (checkpoint, warnings)

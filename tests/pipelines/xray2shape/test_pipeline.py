"""xray2shape end to end with the tiny config: train, samples, predict, bad input, reading, metrics."""

import csv
import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from hybridvision.apps.cli import build_app
from hybridvision.pipelines import InputError
from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.checkpoint import load_checkpoint
from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.common.mesh import read_mesh_bounds
from hybridvision.pipelines.common.training import train
from hybridvision.pipelines.xray2shape import X2SPipeline
from hybridvision.pipelines.xray2shape.evaluate import evaluate_folders
from hybridvision.pipelines.xray2shape.files import parse_view
from hybridvision.pipelines.xray2shape.io import Radiograph, prepare_view, read_radiograph
from hybridvision.pipelines.xray2shape.metrics import (
    femoral_head_diameter_mm,
    label_scores,
    surface_scores,
    vertebral_body_heights_mm,
)
from hybridvision.pipelines.xray2shape.phantoms import SPINE_LABELS, femur_phantom, spine_phantom
from hybridvision.pipelines.xray2shape.samples import write_dicom_view, write_samples
from hybridvision.pipelines.xray2shape.training_data import FixedPairDataset

TINY = Path(__file__).resolve().parents[3] / "configs" / "xray2shape" / "tiny.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The tiny config trained for its 16 steps.

    On one thread: the tiny model is hundreds of small ops a step, which two threads do no faster, and
    on a busy machine each of them waits for a descheduled partner thread (30x slower here under load).
    """
    run_dir = tmp_path_factory.mktemp("x2s-run")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train(load_config(TINY), run_dir, progress_bar=False)
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    out = tmp_path_factory.mktemp("x2s-samples")
    write_samples(out, 1, seed=1000, anatomy="femur")
    return out


@pytest.fixture
def model(trained):
    pipeline, model, _ = load_checkpoint(trained.model_path)
    return pipeline, model


def test_tiny_training_lowers_the_loss(trained):
    with open(trained.run_dir / "logs" / "metrics.csv") as handle:
        losses = [float(r["train/loss"]) for r in csv.DictReader(handle) if r.get("train/loss")]
    assert len(losses) >= 12 and np.mean(losses[-4:]) < 0.9 * np.mean(losses[:4])
    assert "val/dice" in trained.metrics


def test_samples_layout_and_manifest(samples):
    names = sorted(p.name for p in (samples / "inputs").iterdir())
    assert names == ["femur_01000_ap.png", "femur_01000_lat.png"]
    assert (samples / "truth" / "femur_01000_seg.nii.gz").is_file()
    view = read_radiograph(samples / "inputs" / "femur_01000_ap.png")
    assert view.image.shape == (128, 128) and view.pixel_spacing_mm == (1.2, 1.2)
    assert view.spacing_source == "PNG text chunk" and view.image.max() > 60000  # 16-bit


def test_sample_views_read_back_as_the_training_views(samples):
    """A written sample, read and prepared as predict does, is the validation render of the same seed."""
    config = load_config(TINY.parent / "femur.yaml")
    pipeline = X2SPipeline(config.model, config.data)
    [unit] = pipeline.discover_units(samples / "inputs")
    sample = pipeline.read(unit)
    sample.options = pipeline.default_options()
    prepared = pipeline.preprocess(sample).image
    rendered = FixedPairDataset("femur", config.model.grid, config.model.spacing_mm, range(1000, 1001))[0]["image"]
    assert prepared.shape == rendered.shape == (2, 128, 128)
    assert (prepared - rendered).abs().max() < 1e-3  # 16-bit quantisation only


def test_samples_command_spine_with_volume_and_evaluate(tmp_path):
    app = build_app()
    out = tmp_path / "samples"
    args = ["samples", "xray2shape", "--anatomy", "spine", "--n", "1", "--seed", "7", "--with-volume", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert read_radiograph(out / "inputs" / "spine_00007_lat.png").image.shape == (224, 128)
    ct = nib.load(str(out / "truth" / "spine_00007_ct.nii.gz"))
    assert ct.shape == (64, 64, 112) and np.allclose(ct.header.get_zooms(), 2.0)
    seg = out / "truth" / "spine_00007_seg.nii.gz"
    assert set(np.unique(np.asarray(nib.load(str(seg)).dataobj))) == set(range(6))
    pred = tmp_path / "pred"
    pred.mkdir()
    shutil.copy(seg, pred / seg.name)  # a perfect prediction
    scores = tmp_path / "scores.json"
    evaluate = ["evaluate", "xray2shape", "--pred", str(pred), "--truth", str(out / "truth"), "-o", str(scores)]
    result = runner.invoke(app, evaluate)
    assert result.exit_code == 0, result.output
    data = json.loads(scores.read_text())
    assert data["anatomy"] == "spine" and data["mean"]["dice_mean"] == 1 and data["mean"]["assd_mm_mean"] == 0
    assert data["mean"]["body_height_error_mm"] == 0
    assert set(data["cases"][0]["body_heights_mm"]) == set(SPINE_LABELS.values())


def test_predict_writes_labels_on_the_grid_and_a_mesh_inside_it(model, samples, tmp_path):
    pipeline, network = model
    with torch.no_grad():  # every voxel femur: the mesh is the grid's outline, the widest it can be
        network.head.classifier.bias.copy_(torch.tensor([0.0, 20.0, 0.0]))
    report = run_batch(pipeline, network, samples / "inputs", tmp_path / "out")
    assert report.count("done") == 1, report.to_dict()
    seg = nib.load(str(tmp_path / "out" / "femur_01000_seg.nii.gz"))
    assert seg.shape == (32, 32, 32) and np.allclose(seg.header.get_zooms(), 4.0)
    assert np.allclose(seg.affine[:3, 3], -62.0) and nib.aff2axcodes(seg.affine) == ("R", "A", "S")
    bounds = read_mesh_bounds(tmp_path / "out" / "femur_01000.glb")
    assert list(bounds) == ["femur"]
    low, high = bounds["femur"]
    extent = 64.0 + 2.0  # the grid's outer faces, and the half voxel (4 mm grid) smoothing may move the surface
    assert (low >= -extent).all() and (high <= extent).all() and (high - low > 120).all()
    scores = evaluate_folders(tmp_path / "out", samples / "truth")  # 4 mm prediction onto the 2 mm truth
    assert scores["anatomy"] == "femur" and 0 < scores["mean"]["dice_mean"] < 1
    assert scores["cases"][0]["head_diameter_generator_mm"] > 30


def test_bad_input_fails_per_case_and_the_batch_goes_on(model, samples, tmp_path):
    pipeline, network = model
    folder = tmp_path / "in"
    folder.mkdir()
    good_ap, good_lat = samples / "inputs" / "femur_01000_ap.png", samples / "inputs" / "femur_01000_lat.png"
    shutil.copy(good_ap, folder / "good_ap.png")
    shutil.copy(good_lat, folder / "good_lat.png")
    shutil.copy(good_ap, folder / "lonely_ap.png")  # no lateral view
    nib.save(nib.Nifti1Image(np.zeros((16, 16, 16), np.float32), np.eye(4)), str(folder / "volume_ap.nii.gz"))
    shutil.copy(good_lat, folder / "volume_lat.png")
    (folder / "text_ap.png").write_text("not an image\n")
    shutil.copy(good_lat, folder / "text_lat.png")
    shutil.copy(good_ap, folder / "twice_ap.png")
    shutil.copy(good_ap, folder / "twice_ap.tif")
    shutil.copy(good_lat, folder / "twice_lat.png")
    report = run_batch(pipeline, network, folder, tmp_path / "out")
    status = {u.name: (u.status, u.error) for u in report.units}
    assert status["good"][0] == "done"
    assert (tmp_path / "out" / "good.glb").is_file()
    assert "case lonely: missing the lateral view" in status["lonely"][1]
    assert "case volume:" in status["volume"][1] and "3D volume" in status["volume"][1]
    assert "case text:" in status["text"][1] and "not a readable image" in status["text"][1]
    assert "case twice: more than one file for the ap view" in status["twice"][1]
    assert all("\n" not in (u.error or "") for u in report.units)


def test_view_names():
    assert parse_view(Path("a_b_AP.dcm")) == ("a_b", "ap")
    assert parse_view(Path("x_lateral.nii.gz")) == ("x", "lateral")
    assert parse_view(Path("x_lat.tiff")) == ("x", "lateral")
    assert parse_view(Path("x_seg.nii.gz")) is None


def test_dicom_view_round_trip(tmp_path):
    pytest.importorskip("pydicom", reason="pydicom is not installed")
    pixels = np.tile(np.arange(64, dtype=np.float64) * 1000, (48, 1))  # brighter to the right
    for photometric in ("MONOCHROME2", "MONOCHROME1"):
        path = tmp_path / f"v_{photometric}_ap.dcm"
        write_dicom_view(path, pixels, 0.7, photometric=photometric)
        view = read_radiograph(path)
        assert view.pixel_spacing_mm == (0.7, 0.7) and view.spacing_source == "DICOM PixelSpacing"
        assert view.image.shape == (48, 64) and view.image[0, -1] > view.image[0, 0]  # bone bright either way


def test_views_that_cannot_be_reconciled_are_refused(tmp_path):
    from PIL import Image

    Image.fromarray(np.arange(20 * 200, dtype=np.uint16).reshape(20, 200)).save(tmp_path / "strip_ap.png")
    with pytest.raises(InputError, match="aspect ratio"):
        read_radiograph(tmp_path / "strip_ap.png")


def test_pixel_spacing_maps_the_field_of_view():
    """A view at half the model's pixel size covers the field of view in twice the pixels."""
    image = np.zeros((256, 256), np.float32)
    image[64:192, 64:192] = 1.0  # a 128-pixel square: 64 model pixels at half the spacing
    image[0, 0] = 0.5
    prepared = prepare_view(Radiograph(image, (0.6, 0.6)), (128, 128), 1.2)
    assert prepared.shape == (128, 128) and abs((prepared > 0.5).sum() - 64 * 64) < 200
    overridden = prepare_view(Radiograph(image, (0.6, 0.6)), (128, 128), 1.2, pixel_spacing_mm=1.2)
    assert abs((overridden > 0.5).sum() - 128 * 128 / 4) > 1000  # the override wins: another scale


def test_real_radiograph_as_both_views(model, tmp_path):
    pydicom_data = pytest.importorskip("pydicom.data", reason="pydicom is not installed")
    path = None
    for name in ("RG3_UNCI.dcm", "RG1_UNCI.dcm"):
        try:
            path = pydicom_data.get_testdata_file(name, download=False)
        except Exception:  # an offline store that lacks it
            path = None
        if path:
            break
    if not path:
        pytest.skip("no real radiograph (RG1_UNCI.dcm / RG3_UNCI.dcm from pydicom-data) is available offline")
    folder = tmp_path / "real"
    folder.mkdir()
    shutil.copy(path, folder / "real_ap.dcm")
    shutil.copy(path, folder / "real_lat.dcm")
    pipeline, network = model
    report = run_batch(pipeline, network, folder, tmp_path / "out")
    assert report.count("done") == 1, report.to_dict()
    assert (tmp_path / "out" / "real.glb").stat().st_size > 0
    assert nib.load(str(tmp_path / "out" / "real_seg.nii.gz")).shape == (32, 32, 32)


def ball(shape, centre, radius):
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1)
    return ((grid - np.asarray(centre)) ** 2).sum(-1) <= radius**2


@pytest.mark.parametrize("k", [2, 4])
def test_surface_distances_of_concentric_spheres_are_the_gap(k):
    inner, outer = ball((48,) * 3, (24,) * 3, 12), ball((48,) * 3, (24,) * 3, 12 + k)
    scores = surface_scores(inner, outer, (1.5, 1.5, 1.5))
    assert scores["assd_voxels"] == pytest.approx(k, abs=0.35) and scores["hd95_voxels"] == pytest.approx(k, abs=0.6)
    assert scores["assd_mm"] == pytest.approx(1.5 * scores["assd_voxels"], rel=1e-6)


@pytest.mark.parametrize("k", [2, 4])
def test_surface_distances_of_offset_spheres(k):
    """Shifted by k: the far poles are k apart (HD95 about k), the mean over the surface about k / 2."""
    a, b = ball((48,) * 3, (24,) * 3, 12), ball((48,) * 3, (24 + k, 24, 24), 12)
    scores = surface_scores(a, b, (1.0, 1.0, 1.0))
    assert scores["hd95_voxels"] == pytest.approx(0.95 * k, abs=0.6)
    assert scores["assd_voxels"] == pytest.approx(k / 2, abs=0.4)


def test_dice_and_empty_labels():
    label = np.zeros((20, 20, 20), np.uint8)
    label[5:15, 5:15, 5:15] = 1
    scores = label_scores(label, label, (2, 2, 2), {1: "femur", 2: "pelvis"})
    assert scores["femur"]["dice"] == 1 and scores["femur"]["assd_mm"] == 0 and scores["pelvis"]["dice"] == 1
    empty = label_scores(np.zeros_like(label), label, (2, 2, 2), {1: "femur"})["femur"]
    assert empty["dice"] == 0 and empty["hd95_voxels"] == pytest.approx(np.sqrt(3) * 20)


def test_clinical_parameters_on_phantoms():
    femur = femur_phantom(21, (64, 64, 64), 2.0)
    assert femoral_head_diameter_mm(femur.labels, 2.0) == pytest.approx(femur.femoral_head_diameter_mm, abs=1.5)
    spine = spine_phantom(21, (64, 64, 112), 2.0)
    measured = vertebral_body_heights_mm(spine.labels, 2.0, SPINE_LABELS)
    for level, height in spine.vertebral_body_heights_mm.items():
        assert measured[level] == pytest.approx(height, abs=2.5)

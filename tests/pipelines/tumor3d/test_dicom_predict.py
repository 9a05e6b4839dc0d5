"""``predict tumor3d`` on DICOM studies: the same labels as from the case's NIfTI files, a DICOM-SEG
that pydicom and highdicom read back voxel for voxel, bad studies refused while the batch goes on,
and flip test-time augmentation."""

import json
import subprocess

import highdicom as hd
import nibabel as nib
import numpy as np
import pytest
import torch

from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.inference import flip_tta
from hybridvision.pipelines.common.volumes import save_nifti
from hybridvision.pipelines.tumor3d.dicom_input import discover_studies
from hybridvision.pipelines.tumor3d.dicom_samples import rewrite_tags, write_dicom_study
from hybridvision.pipelines.tumor3d.dicom_seg import read_dicom_seg
from hybridvision.pipelines.tumor3d.generator import MODALITIES, GeneratorRanges, generate_case
from tests.dicom_checks import assert_valid_dicom, strip_attributes

REGIONS = {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,)}


@pytest.fixture(scope="module")
def tumour_block():
    """A generated 3 mm case cropped to 42 voxels around its tumour: volumes, label, affine."""
    case = generate_case(1000, GeneratorRanges(working_spacing=3.0))
    centre = np.round(np.argwhere(case.label > 0).mean(axis=0)).astype(int)
    start = np.clip(centre - 21, 0, np.array(case.label.shape) - 42)
    box = tuple(slice(s, s + 42) for s in start)
    affine = case.affine.copy()
    affine[:3, 3] = (case.affine @ [*start, 1])[:3]
    return {m: case.images[m][box] for m in MODALITIES}, case.label[box], affine


def write_nifti_case(folder, volumes, affine, side=42):
    """The block as a BraTS-named NIfTI case ``HV`` in ``folder/HV`` (its first ``side`` voxels a side)."""
    case = folder / "HV"
    case.mkdir(parents=True)
    for modality in MODALITIES:
        save_nifti(case / f"HV_{modality}.nii.gz", volumes[modality][:side, :side, :side], affine)
    return folder


def on_grid_of(reference: nib.Nifti1Image, other: nib.Nifti1Image) -> np.ndarray:
    """``other``'s voxels in ``reference``'s voxel order (the grids hold the same points)."""
    mapping = np.linalg.inv(other.affine) @ reference.affine
    index = np.indices(reference.shape).reshape(3, -1)
    target = mapping[:3, :3] @ index + mapping[:3, 3:]
    assert np.abs(target - np.rint(target)).max() < 1e-3
    return np.asarray(other.dataobj)[tuple(np.rint(target).astype(int))].reshape(reference.shape)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2 * (a & b).sum() / max(a.sum() + b.sum(), 1)


def test_a_dicom_study_gives_the_niftis_labels_and_a_matching_dicom_seg(tumour_block, tmp_path, user_env):
    """As a user runs it: the installed command, the shipped model, a fresh HOME; the study is a
    sagittal acquisition with random file names in nested folders, plus a localiser, anonymised (its
    Type 2 patient and study attributes removed). Beside it, a study whose T1ce series has no
    SliceThickness, which a DICOM-SEG needs: its labels are written, the unit is partial, exit 1."""
    volumes, _, affine = tumour_block
    write_nifti_case(tmp_path / "nifti", volumes, affine)
    written = write_dicom_study(
        volumes, {m: affine for m in MODALITIES}, tmp_path / "dicom" / "HV", np.random.default_rng(3), slice_axis=0
    )
    strip_attributes(p for p in (tmp_path / "dicom" / "HV").rglob("*") if p.is_file())
    small = {m: v[:24, :24, :24] for m, v in volumes.items()}
    thin = write_dicom_study(
        small, {m: affine for m in MODALITIES}, tmp_path / "dicom" / "thin", np.random.default_rng(4)
    )
    strip_attributes(thin["t1ce"], ["SliceThickness"])

    def predict(source, out, expected_exit=0):
        command = ["hybridvision", "predict", "tumor3d", "-i", str(tmp_path / source), "-o", str(tmp_path / out)]
        done = subprocess.run(command, env=user_env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert done.returncode == expected_exit, done.stdout + done.stderr
        return done.stdout + done.stderr

    predict("nifti", "out_nifti")
    log = predict("dicom", "out_dicom", expected_exit=1)
    assert "note HV: skipped series 1 '3-plane loc': a localiser" in log
    assert (
        "partial thin: case thin: no DICOM-SEG (ValueError: the T1ce series has no SliceThickness, which a "
        "DICOM-SEG's pixel measures need); its labels are in thin_seg.nii.gz"
    ) in " ".join(log.split())
    assert sorted(p.name for p in (tmp_path / "out_dicom").iterdir()) == [
        "HV_seg.dcm",
        "HV_seg.nii.gz",
        "report.json",
        "thin_seg.nii.gz",
    ]
    assert sorted(p.name for p in (tmp_path / "out_nifti").iterdir()) == ["HV_seg.nii.gz", "report.json"]

    from_nifti = nib.load(tmp_path / "out_nifti" / "HV_seg.nii.gz")
    from_dicom = nib.load(tmp_path / "out_dicom" / "HV_seg.nii.gz")
    assert from_dicom.shape == (42, 42, 42) and not np.allclose(from_dicom.affine, from_nifti.affine)
    labels, reordered = np.asarray(from_nifti.dataobj), on_grid_of(from_nifti, from_dicom)
    for region, values in REGIONS.items():
        inside = np.isin(labels, values)
        assert inside.sum() > 20, region  # the shipped model finds every region in this block
        assert dice(inside, np.isin(reordered, values)) == 1.0, region

    seg_path = tmp_path / "out_dicom" / "HV_seg.dcm"
    seg = hd.seg.segread(seg_path)
    assert [seg.get_segment_description(n).segment_label for n in (1, 2, 3)] == [
        "necrotic and non-enhancing tumour core",
        "peritumoral oedema",
        "enhancing tumour",
    ]
    t1ce = discover_studies(tmp_path / "dicom")[0].extra["dicom"]["grids"]["t1ce"].files
    assert set(t1ce) == set(written["t1ce"])
    assert np.array_equal(read_dicom_seg(seg_path, t1ce, "brats2021"), np.asarray(from_dicom.dataobj))
    assert (
        seg.ReferencedSeriesSequence[0].SeriesInstanceUID
        == hd.seg.segread(seg_path).ReferencedSeriesSequence[0].SeriesInstanceUID
    )
    assert_valid_dicom(seg_path)
    report = json.loads((tmp_path / "out_dicom" / "report.json").read_text())
    assert report["units"][0]["notes"] == ["skipped series 1 '3-plane loc': a localiser"]
    assert [u["status"] for u in report["units"]] == ["done", "partial"] and report["summary"]["partial"] == 1
    assert seg.PatientID == "" and seg.StudyDate == "" and "PatientName" in seg  # present, empty

    log = predict("dicom", "out_dicom", expected_exit=1)  # a re-run retries the partial unit alone
    statuses = {
        u["name"]: u["status"] for u in json.loads((tmp_path / "out_dicom" / "report.json").read_text())["units"]
    }
    assert statuses == {"HV": "skipped", "thin": "partial"}


def test_bad_studies_fail_one_line_each_and_the_batch_goes_on(tiny_pipeline, tumour_block, tmp_path):
    pipeline, model = tiny_pipeline
    volumes, _, affine = tumour_block
    small = {m: v[:32, :32, :32] for m, v in volumes.items()}

    def study(name, seed):
        return write_dicom_study(
            small, {m: affine for m in MODALITIES}, tmp_path / "in" / name, np.random.default_rng(seed)
        )

    study("good", 0)
    truncated = study("truncated", 1)["t2"][5]
    truncated.write_bytes(truncated.read_bytes()[:-100])
    files = study("tilted", 2)["flair"]  # 3 mm slices, each 0.1 mm further along y: 1.9 degrees of tilt
    rewrite_tags(
        files, ImagePositionPatient=lambda d: list(np.add(d.ImagePositionPatient, [0, 0.1 * d.InstanceNumber, 0]))
    )
    (tmp_path / "in" / "notes.txt").write_text("not a study")

    report = run_batch(pipeline, model, tmp_path / "in", tmp_path / "out")
    results = {u.name: u for u in report.units}
    assert results["good"].status == "done"
    assert results["truncated"].error.startswith(f"{truncated.name} in series 4 'T2 TSE AX': unreadable pixel data")
    assert results["tilted"].error.startswith("study tilted: series 5 'FLAIR AX': gantry tilt or sheared slices")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good_seg.dcm", "good_seg.nii.gz", "report.json"]
    assert_valid_dicom(tmp_path / "out" / "good_seg.dcm", warnings_too=True)  # a complete study's SEG

    again = run_batch(pipeline, model, tmp_path / "in", tmp_path / "out")
    assert {u.name: u.status for u in again.units}["good"] == "skipped"
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.txt").write_text("no DICOM here")
    with pytest.raises(InputError, match="no tumor3d inputs found"):
        run_batch(pipeline, model, tmp_path / "empty", tmp_path / "out2")


def test_dicom_seg_of_nifti_input_is_refused_for_that_case(tiny_pipeline, tumour_block, tmp_path):
    pipeline, model = tiny_pipeline
    case = write_nifti_case(tmp_path / "in", *tumour_block[::2], side=32)
    report = run_batch(
        pipeline, model, case, tmp_path / "out", options=pipeline.make_options(output_format="dicom-seg")
    )
    assert report.units[0].error == "case HV: --output-format dicom-seg needs a DICOM study as input"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.json"]


def test_flip_tta_averages_flipped_back_predictions():
    image = torch.rand(1, 2, 4, 5, 6)
    mean, variance = flip_tta(torch.sigmoid, image, 8)  # flip-equivariant: nothing varies
    assert torch.allclose(mean, torch.sigmoid(image)) and variance.abs().max() < 1e-6
    mean, variance = flip_tta(lambda x: torch.sigmoid(x.cumsum(-1)), image, 8)  # not equivariant
    assert variance.min() >= 0 and variance.max() > 1e-3
    singles = [
        torch.sigmoid(image.flip(a).cumsum(-1)).flip(a)
        for a in [(), (2,), (3,), (4,), (2, 3), (2, 4), (3, 4), (2, 3, 4)]
    ]
    assert torch.allclose(mean, torch.stack(singles).mean(0), atol=1e-6)
    with pytest.raises(ValueError, match="--tta-flips must be 1 to 8"):
        flip_tta(torch.sigmoid, image, 9)


def test_tta_writes_mean_probabilities_and_variance_on_the_input_grid(tiny_pipeline, tumour_block, tmp_path):
    pipeline, model = tiny_pipeline
    write_nifti_case(tmp_path / "in", *tumour_block[::2], side=32)
    for name, options in {
        "plain": {"probabilities": True},
        "one": {"tta": True, "tta_flips": 1},
        "all": {"tta": True},
    }.items():
        run_batch(pipeline, model, tmp_path / "in", tmp_path / name, options=pipeline.make_options(**options))
    plain = nib.load(tmp_path / "plain" / "HV_prob.nii.gz")
    one = nib.load(tmp_path / "one" / "HV_prob.nii.gz")
    assert np.allclose(plain.get_fdata(), one.get_fdata(), atol=1e-6)
    assert np.abs(nib.load(tmp_path / "one" / "HV_var.nii.gz").get_fdata()).max() < 1e-6
    variance = nib.load(tmp_path / "all" / "HV_var.nii.gz")
    assert variance.shape == (32, 32, 32, 3) and np.allclose(variance.affine, tumour_block[2])
    values = variance.get_fdata()
    assert values.min() >= 0 and values.max() > 0 and values.max() <= 0.25
    mean = nib.load(tmp_path / "all" / "HV_prob.nii.gz").get_fdata()
    assert 0 <= mean.min() and mean.max() <= 1 and not np.allclose(mean, plain.get_fdata(), atol=1e-4)


def test_a_bad_series_map_stops_the_run_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from hybridvision.apps.cli import build_app

    (tmp_path / "map.yaml").write_text("t1cee: '*POST*'\n")
    (tmp_path / "in").mkdir()
    args = ["predict", "tumor3d", "-i", str(tmp_path / "in"), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(build_app(), [*args, "--series-map", str(tmp_path / "map.yaml")])
    assert result.exit_code == 2
    assert result.output.strip() == "error: --series-map map.yaml: unknown modality 't1cee' (use t1, t1ce, t2, flair)"
    assert not (tmp_path / "out").exists()

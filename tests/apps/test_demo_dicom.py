"""The demo's tumor3d tab takes a DICOM study (its files or one .zip): the same labels as the
sample case's NIfTI files give, a DICOM-SEG that highdicom reads back onto them, and bad uploads
refused in one line."""

import shutil
import zipfile
from pathlib import Path

import gradio as gr
import highdicom as hd
import nibabel as nib
import numpy as np
import pytest

from hybridvision.apps.demo import tumor3d_dicom, tumor3d_tab
from hybridvision.apps.demo.tumor3d_dicom import gather_study, segment_dicom
from hybridvision.pipelines.errors import InputError
from hybridvision.pipelines.tumor3d.dicom_input import discover_studies
from hybridvision.pipelines.tumor3d.dicom_samples import write_dicom_study
from hybridvision.pipelines.tumor3d.dicom_seg import read_dicom_seg
from hybridvision.pipelines.tumor3d.generator import MODALITIES
from tests.dicom_checks import assert_valid_dicom, strip_attributes


@pytest.fixture(scope="module")
def sample_study(tmp_path_factory):
    """The sample case written as a DICOM study (axial slices, random names in nested folders), then
    anonymised: its Type 2 patient and study attributes removed, as many anonymisers do."""
    images = {m: nib.load(p) for m, p in zip(MODALITIES, tumor3d_tab.sample_case())}
    folder = tmp_path_factory.mktemp("dicom") / "Brain MRI"
    write_dicom_study(
        {m: np.asarray(image.dataobj) for m, image in images.items()},
        {m: image.affine for m, image in images.items()},
        folder,
        np.random.default_rng(7),
    )
    strip_attributes(path for path in folder.rglob("*") if path.is_file())
    return folder


def test_a_zipped_dicom_study_gives_the_nifti_routes_labels_and_a_dicom_seg(
    sample_study, tumor3d_sample_result, tmp_path
):
    archive = shutil.make_archive(str(tmp_path / "exam 42"), "zip", sample_study)
    state, view, position, volumes, label_file, mesh_file, status, seg_file = segment_dicom([archive])
    from_nifti = tumor3d_sample_result[4:]
    reference = nib.load(from_nifti[4])
    label = nib.load(label_file)
    assert label_file.endswith("exam_42_seg.nii.gz"), label_file  # named after the upload, ASCII only
    assert np.allclose(label.affine, reference.affine, atol=1e-3)
    assert np.array_equal(np.asarray(label.dataobj), np.asarray(reference.dataobj))
    assert volumes == from_nifti[3] and status.startswith("done") and "Series used: t1: " in status
    assert view.dtype == np.uint8 and np.array_equal(state["label"], from_nifti[0]["label"])
    seg = hd.seg.segread(seg_file)
    assert seg.number_of_segments == 3
    t1ce = discover_studies(sample_study)[0].extra["dicom"]["grids"]["t1ce"].files  # in slice order
    assert np.array_equal(read_dicom_seg(seg_file, t1ce, "brats2021"), np.asarray(label.dataobj))
    assert_valid_dicom(Path(seg_file))


def test_loose_dicom_files_work_as_well_as_a_zip(sample_study, tmp_path):
    files = [p for p in sample_study.rglob("*") if p.is_file()]
    study = gather_study(files, tmp_path)
    assert study.name == "dicom-study" and len(list(study.iterdir())) == len(files)


def test_bad_dicom_uploads_are_one_line_errors(sample_study, tmp_path):
    without_flair = tmp_path / "partial"
    for path in sample_study.rglob("*"):
        if path.is_file() and b"FLAIR" not in path.read_bytes()[:4000]:
            target = without_flair / path.relative_to(sample_study)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    cases = {
        "missing": ([shutil.make_archive(str(tmp_path / "partial"), "zip", without_flair)], "flair"),
        "not dicom": ([tumor3d_tab.sample_case()[0]], "none of the uploaded files is a dicom file"),
        "nothing": ([], "no dicom files"),
    }
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    cases["broken zip"] = ([broken], "broken.zip: not a readable .zip")
    for name, (uploads, expected) in cases.items():
        with pytest.raises(gr.Error) as raised:
            segment_dicom(uploads)
        message = raised.value.message
        assert expected in message.lower() and "\n" not in message and str(tmp_path) not in message, (name, message)


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path, monkeypatch):
    monkeypatch.setattr(tumor3d_dicom, "MAX_UNPACKED", 10_000)  # the real limit is 4 GB
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros", b"\0" * 20_000)  # a few dozen bytes packed
    with pytest.raises(InputError, match=r"^bomb.zip: unpacks to over 10000 bytes or 50000 files"):
        gather_study([bomb], tmp_path / "out")
    assert not any((tmp_path / "out").rglob("zeros*")) and not (tmp_path / "out" / "bomb" / "000000").exists()

"""The DICOM-SEG writer on studies as anonymisers leave them (Type 2 patient and study attributes
absent, not empty), checked by dciodvfy; a SEG that cannot be made costs the SEG, never the labels."""

import json

import numpy as np
import pydicom
import pytest

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.tumor3d import dicom_seg
from hybridvision.pipelines.tumor3d.dicom_samples import write_dicom_study
from hybridvision.pipelines.tumor3d.dicom_seg import read_dicom_seg, write_dicom_seg
from hybridvision.pipelines.tumor3d.modalities import MODALITIES
from tests.dicom_checks import STRIPPED_BY_ANONYMISERS, assert_valid_dicom, strip_attributes


@pytest.fixture(scope="module")
def tiny_series(tmp_path_factory):
    """A 6 x 5 x 4 study's T1ce files in slice order, and a label with all three tumour classes."""
    rng = np.random.default_rng(0)
    volumes = {m: rng.integers(0, 400, (6, 5, 4)).astype(np.int16) for m in MODALITIES}
    folder = tmp_path_factory.mktemp("tiny") / "study"
    written = write_dicom_study(volumes, {m: np.diag([2.0, 2.0, 3.0, 1.0]) for m in MODALITIES}, folder, rng)
    label = np.zeros((6, 5, 4), np.uint8)
    label[1:4, 1:4, 1:3], label[2, 2, 1], label[2, 2, 2] = 2, 1, 4
    return written["t1ce"], label


@pytest.mark.parametrize("keyword", STRIPPED_BY_ANONYMISERS)
def test_a_seg_is_written_when_an_anonymiser_removed_one_attribute(keyword, tiny_series, tmp_path):
    sources, label = tiny_series
    copies = []
    for index, source in enumerate(sources):
        copies.append(tmp_path / f"{index:03d}")
        copies[-1].write_bytes(source.read_bytes())
    strip_attributes(copies, [keyword])
    assert keyword not in pydicom.dcmread(copies[0])
    write_dicom_seg(tmp_path / "seg.dcm", label, copies, "brats2021")
    seg = pydicom.dcmread(tmp_path / "seg.dcm")
    assert seg[keyword].value in ("", None)  # present and empty, as the standard allows a Type 2
    assert np.array_equal(read_dicom_seg(tmp_path / "seg.dcm", copies, "brats2021"), label)
    assert_valid_dicom(tmp_path / "seg.dcm")


def test_the_study_samples_write_passes_dciodvfy(tmp_path):
    from hybridvision.pipelines.tumor3d.samples import write_samples

    write_samples(tmp_path, 1, seed=7, spacing=4.0, dicom=True)
    by_series = {}
    for path in sorted(p for p in (tmp_path / "inputs").rglob("*") if p.is_file()):
        by_series.setdefault(str(pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID), path)
    assert len(by_series) == 5  # four MR series and a localiser: one slice of each
    assert_valid_dicom(*by_series.values())


def test_a_seg_that_cannot_be_made_leaves_the_labels_and_a_partial_unit(tiny_pipeline, tmp_path, monkeypatch):
    """Whatever stops the SEG (here a writer that raises), the NIfTI label is in place, the unit is
    partial with a one-line note, and a re-run retries it. Asked for the SEG alone, the label NIfTI
    is still written, as a fallback."""
    pipeline, model = tiny_pipeline
    rng = np.random.default_rng(1)
    volumes = {m: rng.integers(0, 400, (32, 32, 32)).astype(np.int16) for m in MODALITIES}
    write_dicom_study(volumes, {m: np.diag([3.0, 3.0, 3.0, 1.0]) for m in MODALITIES}, tmp_path / "in" / "anon", rng)

    def refuse(*args, **kwargs):
        raise AttributeError("'FileDataset' object has no attribute 'Something'\nsecond line")

    monkeypatch.setattr(dicom_seg, "write_dicom_seg", refuse)
    for output_format, folder in (("both", "out"), ("dicom-seg", "seg_only")):
        options = pipeline.make_options(output_format=output_format)
        report = run_batch(pipeline, model, tmp_path / "in", tmp_path / folder, options=options)
        (unit,) = report.units
        assert unit.status == "partial" and report.incomplete == [unit]
        assert unit.error == (
            "case anon: no DICOM-SEG (AttributeError: 'FileDataset' object has no attribute 'Something'); "
            "its labels are in anon_seg.nii.gz"
        )
        assert sorted(p.name for p in (tmp_path / folder).iterdir()) == ["anon_seg.nii.gz", "report.json"]
        assert unit.outputs == ["anon_seg.nii.gz"]
        saved = json.loads((tmp_path / folder / "report.json").read_text())
        assert saved["summary"]["partial"] == 1 and saved["units"][0]["status"] == "partial"

    monkeypatch.undo()  # the writer works again: the re-run retries the unit and completes it
    again = run_batch(pipeline, model, tmp_path / "in", tmp_path / "out")
    assert again.units[0].status == "done"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["anon_seg.dcm", "anon_seg.nii.gz", "report.json"]
    assert_valid_dicom(tmp_path / "out" / "anon_seg.dcm")

"""DICOM studies in: series grouped and mapped to modalities, geometry checked and refused in one
line, volumes read on the right grid. Studies are written here from generated volumes."""

import numpy as np
import pydicom
import pytest

from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.common.dicom_series import Grid, Series, grid_of, read_volume, scan
from hybridvision.pipelines.tumor3d.dicom_input import discover_studies, modality_of, read_dicom_case
from hybridvision.pipelines.tumor3d.dicom_samples import rewrite_tags, write_dicom_study, write_series
from hybridvision.pipelines.tumor3d.modalities import MODALITIES

STUDY = {"StudyInstanceUID": "1.2.3.4", "FrameOfReferenceUID": "1.2.3.5", "PatientID": "X", "StudyID": "1"}
STUDY |= {"AccessionNumber": ""}
T1 = (500.0, 12.0, None)


def small_volumes(seed=0, shape=(10, 12, 8)):
    rng = np.random.default_rng(seed)
    return {m: rng.integers(1, 1000, shape).astype(np.int16) for m in MODALITIES}


def affine_of(spacing=(1.0, 1.0, 2.0), origin=(-5.0, 7.0, 3.0)):
    affine = np.diag([*spacing, 1.0])
    affine[:3, 3] = origin
    return affine


def one_series(tmp_path, volume=None, **kwargs):
    volume = small_volumes()["t1"] if volume is None else volume
    rng = np.random.default_rng(1)
    files = write_series(volume, affine_of(), tmp_path / "s", rng, 2, STUDY, 3, "T1 AX", T1, **kwargs)
    return files


def the_series(folder) -> Series:
    studies, broken = scan(folder)
    assert not broken
    (series,) = [s for study in studies.values() for s in study.values()]
    return series


def test_a_series_reads_back_as_written_in_any_slice_plane(tmp_path):
    volume = small_volumes()["t1"]
    for axis in (0, 1, 2):
        folder = tmp_path / f"axis{axis}"
        write_series(volume, affine_of(), folder, np.random.default_rng(axis), axis, STUDY, 1, "T1", T1)
        grid = grid_of(the_series(folder))
        read = read_volume(grid, "T1")
        # every voxel lands at the same place in mm as in the volume it was written from
        mapping = np.linalg.inv(grid.matrix) @ affine_of()
        index = np.indices(volume.shape).reshape(3, -1)
        target = np.rint(mapping[:3, :3] @ index + mapping[:3, 3:]).astype(int)
        assert np.array_equal(read[tuple(target)], volume.reshape(-1).astype(np.float32)), axis


def shift_slice(which, by):
    def change(dataset):
        position = [float(v) for v in dataset.ImagePositionPatient]
        if dataset.InstanceNumber == which:
            position = [p + b for p, b in zip(position, by)]
        return position

    return change


def tilt(degrees):
    return lambda d: [
        float(d.ImagePositionPatient[0]),
        -7.0 + np.tan(np.radians(degrees)) * 2 * d.InstanceNumber,
        3 + 2.0 * (d.InstanceNumber - 1),
    ]


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"ImagePositionPatient": tilt(2.0)}, "gantry tilt or sheared slices: stacked 2.0 degrees"),
        ({"ImagePositionPatient": shift_slice(4, (0, 0, 0.3))}, "slice spacing varies from 1.700 to 2.300 mm"),
        ({"ImagePositionPatient": shift_slice(4, (0, 0, -2.0))}, "2 slices share a position"),
        ({"NumberOfFrames": 4}, "multi-frame object (4 frames) this reader cannot read"),
        ({"SOPClassUID": "1.2.840.10008.5.1.4.1.1.4.1"}, "an Enhanced MR object"),
    ],
    ids=["tilt", "spacing", "duplicate", "multiframe", "enhanced"],
)
def test_geometry_refusals_name_the_series_and_the_reason(tmp_path, change, expected):
    rewrite_tags(one_series(tmp_path), **change)
    with pytest.raises(InputError, match=r"^series 3 'T1 AX': ") as raised:
        grid_of(the_series(tmp_path))
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_a_tilt_within_half_a_degree_is_accepted(tmp_path):
    rewrite_tags(one_series(tmp_path), ImagePositionPatient=tilt(0.3))
    assert grid_of(the_series(tmp_path)).shape == (10, 12, 8)


def test_a_missing_slice_and_mixed_orientations_are_refused(tmp_path):
    files = one_series(tmp_path)
    files[4].unlink()
    with pytest.raises(InputError, match="a missing slice: a 4.00 mm gap after slice 4, the others 2.00 mm"):
        grid_of(the_series(tmp_path))
    rewrite_tags(files[5:6], ImageOrientationPatient=[1, 0, 0, 0, 0.996, 0.087])
    with pytest.raises(InputError, match="mixed slice orientations inside one series"):
        grid_of(the_series(tmp_path))


def test_a_truncated_slice_fails_at_reading_and_names_the_file(tmp_path):
    files = one_series(tmp_path)
    files[2].write_bytes(files[2].read_bytes()[:-50])
    with pytest.raises(InputError, match=rf"^{files[2].name} in T1: unreadable pixel data"):
        read_volume(grid_of(the_series(tmp_path)), "T1")


def series_with(description="", tr=None, te=None, ti=None, sequence="SE", contrast=""):
    acquisition = {"repetition_ms": tr, "echo_ms": te, "inversion_ms": ti, "sequence": sequence, "contrast": contrast}
    return Series("1", "2", 1, description, "", "MR", ("ORIGINAL",), "", "", 1, acquisition)


@pytest.mark.parametrize(
    "series, modality",
    [
        (series_with("T1 AX POST GD"), "t1ce"),
        (series_with("t1_mprage_sag_p2_iso"), "t1"),
        (series_with("AX T1 +C"), "t1ce"),
        (series_with("Ax T1 SE", contrast="gadobutrol"), "t1ce"),
        (series_with("T1C"), "t1ce"),
        (series_with("t1n"), "t1"),
        (series_with("T2_TSE_TRA"), "t2"),
        (series_with("t2w"), "t2"),
        (series_with("t2_tirm_tra_dark-fluid"), "flair"),
        (series_with("AX FLAIR"), "flair"),
        (series_with("t2f"), "flair"),
        (series_with("DWI b1000"), None),
        (series_with("", tr=9000, te=120, ti=2500, sequence="IR SE"), "flair"),
        (series_with("", tr=450, te=10), "t1"),
        (series_with("", tr=450, te=10, contrast="Gd"), "t1ce"),
        (series_with("", tr=5000, te=100), "t2"),
        (series_with("", tr=3000, te=30), None),
    ],
)
def test_series_are_mapped_to_modalities_by_name_then_by_tags(series, modality):
    assert modality_of(series) == modality


def write_study(folder, seed=0, **kwargs):
    volumes = small_volumes(seed)
    return write_dicom_study(
        volumes, {m: affine_of() for m in MODALITIES}, folder, np.random.default_rng(seed), **kwargs
    )


def test_a_study_skips_its_localiser_and_reads_four_volumes_on_the_t1ce_grid(tmp_path):
    write_study(tmp_path / "patient" / "exam")
    (unit,) = discover_studies(tmp_path)
    assert unit.error is None and unit.name == "patient"
    assert any("skipped series 1 '3-plane loc': a localiser" in n for n in unit.extra["notes"])
    case = read_dicom_case(unit)
    assert case["image"].shape == (4, 10, 12, 8) and np.allclose(case["affine"], affine_of())
    assert np.array_equal(case["image"][1], small_volumes(0)["t1ce"].astype(np.float32))


def test_the_longest_then_latest_series_wins_and_the_choice_is_logged(tmp_path):
    write_study(tmp_path / "exam")
    study = pydicom.dcmread(next((tmp_path / "exam" / "loc").iterdir())).StudyInstanceUID
    frame = pydicom.dcmread(next((tmp_path / "exam" / "loc").iterdir())).FrameOfReferenceUID
    ids = {
        "StudyInstanceUID": study,
        "FrameOfReferenceUID": frame,
        "PatientID": "X",
        "StudyID": "1",
        "AccessionNumber": "",
    }
    rng = np.random.default_rng(5)
    write_series(
        small_volumes()["t2"][:, :, :5], affine_of(), tmp_path / "exam" / "short", rng, 2, ids, 20, "T2 short", T1
    )
    (unit,) = discover_studies(tmp_path)
    assert any(
        n.startswith("t2: took series 4 'T2 TSE AX' (8 slices) over series 20 'T2 short' (5 slices)")
        for n in unit.extra["notes"]
    )
    (unit,) = discover_studies(tmp_path, {"t2": "*short*"})
    assert len(unit.extra["dicom"]["grids"]["t2"].files) == 5


def test_series_on_another_grid_are_resampled_onto_the_t1ce_grid(tmp_path):
    volumes = small_volumes()
    affines = {m: affine_of() for m in MODALITIES}
    affines["t2"] = affine_of(spacing=(2.0, 2.0, 2.0))
    volumes["t2"] = volumes["t2"][:5, :6]
    write_dicom_study(volumes, affines, tmp_path / "exam", np.random.default_rng(0))
    (unit,) = discover_studies(tmp_path)
    assert any(
        "t2 series 4 'T2 TSE AX' is on another grid: resampled onto the t1ce grid" in n for n in unit.extra["notes"]
    )
    case = read_dicom_case(unit)
    assert case["image"].shape == (4, 10, 12, 8)
    # the t1ce-grid voxel at the centre of a 2 mm t2 voxel takes that voxel's value
    assert case["image"][2, 2, 2, 3] == pytest.approx(float(volumes["t2"][1, 1, 3]))


def test_study_level_refusals_are_one_line_each(tmp_path):
    for path in write_study(tmp_path / "no_flair")["flair"]:
        path.unlink()
    files = write_study(tmp_path / "two_frames", seed=1)
    rewrite_tags(files["t2"], FrameOfReferenceUID="9.9.9")
    files = write_study(tmp_path / "broken", seed=2)
    files["t1"][3].write_bytes(files["t1"][3].read_bytes()[:200])
    units = {u.name: u for u in discover_studies(tmp_path)}
    assert units["no_flair"].error.startswith("study no_flair: no series for FLAIR (found: t1 series 2 'T1 SE AX'")
    assert units["two_frames"].error == (
        "study two_frames: t2 series 4 'T2 TSE AX': another frame of reference than t1ce series 3 'T1 SE AX POST GD'"
        " (no registration is done)"
    )
    assert units["broken"].error.startswith(f"study broken: {files['t1'][3].name}: unreadable DICOM header")
    assert all("\n" not in u.error for u in units.values())


def test_studies_in_one_folder_are_named_by_a_hash_never_by_patient_tags(tmp_path):
    write_study(tmp_path / "both", seed=0)
    write_study(tmp_path / "both", seed=1)
    names = [u.name for u in discover_studies(tmp_path)]
    assert len(names) == 2 and all(n.startswith("study-") and len(n) == 16 for n in names)
    assert not any("GEN" in n or "Generated" in n for n in names)


def test_real_enhanced_and_truncated_mr_files_are_refused_by_name(tmp_path):
    """pydicom's own test files: an Enhanced MR object (10 frames) and a truncated MR image."""
    import shutil

    from pydicom.data import get_testdata_file

    shutil.copy(get_testdata_file("emri_small.dcm"), tmp_path / "IM0001")
    with pytest.raises(InputError, match=r"an Enhanced MR object \(10 frames\) this reader cannot read"):
        grid_of(the_series(tmp_path))
    truncated = tmp_path / "cut" / "IM0002"
    truncated.parent.mkdir()
    shutil.copy(get_testdata_file("MR_truncated.dcm"), truncated)
    studies, broken = scan(truncated.parent)  # its header is whole: the cut is in the pixel data
    assert not broken
    grid = Grid((64, 64, 1), tuple(map(tuple, np.eye(4))), (truncated,))
    with pytest.raises(InputError, match="^IM0002 in series 7: unreadable pixel data"):
        read_volume(grid, "series 7")


def test_samples_dicom_writes_studies_that_predict_reads_as_the_truth_names(tmp_path):
    from hybridvision.pipelines.tumor3d.samples import write_samples

    write_samples(tmp_path, 1, seed=1000, spacing=3.0, dicom=True)
    (unit,) = discover_studies(tmp_path / "inputs")
    assert unit.error is None and unit.name == "HV_01000"
    assert (tmp_path / "truth" / "HV_01000_seg.nii.gz").exists()
    assert not list((tmp_path / "inputs").glob(".partial-*"))
    case = read_dicom_case(unit)
    truth = __import__("nibabel").load(tmp_path / "truth" / "HV_01000_seg.nii.gz")
    assert case["image"].shape[1:] == truth.shape and np.allclose(case["affine"], truth.affine, atol=1e-4)

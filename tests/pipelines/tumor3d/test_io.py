"""Reading BraTS cases: both naming conventions, grouping, round trips and bad input."""

import shutil

import nibabel as nib
import numpy as np
import pytest

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.tumor3d.io import discover_cases, parse_name


@pytest.mark.parametrize(
    "name,expected",
    [
        ("BraTS2021_00001_t1.nii.gz", ("BraTS2021_00001", "t1")),
        ("BraTS2021_00001_t1ce.nii.gz", ("BraTS2021_00001", "t1ce")),
        ("BraTS2021_00001_flair.nii", ("BraTS2021_00001", "flair")),
        ("BraTS-GLI-00000-000-t1n.nii.gz", ("BraTS-GLI-00000-000", "t1")),
        ("BraTS-GLI-00000-000-t1c.nii.gz", ("BraTS-GLI-00000-000", "t1ce")),
        ("BraTS-GLI-00000-000-t2w.nii.gz", ("BraTS-GLI-00000-000", "t2")),
        ("BraTS-GLI-00000-000-t2f.nii.gz", ("BraTS-GLI-00000-000", "flair")),
        ("notes.txt", None),
        ("case_seg.nii.gz", None),
    ],
)
def test_names_of_both_brats_conventions(name, expected, tmp_path):
    assert parse_name(tmp_path / name) == expected


def test_folder_per_case_and_flat_folder_group_the_same(samples_2021, samples_2023, tmp_path):
    nested = discover_cases(samples_2021 / "inputs")
    assert [u.name for u in nested] == ["HV_01000", "HV_01001"]
    assert all(len(u.files) == 4 and not u.error for u in nested)
    flat = tmp_path / "flat"
    flat.mkdir()
    for path in (samples_2021 / "inputs").rglob("*.nii.gz"):
        shutil.copy(path, flat / path.name)
    shutil.copy(samples_2021 / "truth" / "HV_01000_seg.nii.gz", flat)  # ground truth beside inputs
    assert [u.name for u in discover_cases(flat)] == ["HV_01000", "HV_01001"]
    assert [u.name for u in discover_cases(samples_2023 / "inputs")] == ["HV_01010"]


def test_predict_keeps_shape_affine_and_orientation_of_any_input(tiny_pipeline, samples_2021, tmp_path):
    """Includes a non-RAS input: the cases are re-stored in LPS and PSR orientation."""
    source = samples_2021 / "inputs" / "HV_01000"
    for axcodes in ("LPS", "PSR"):
        case = tmp_path / axcodes / "inputs" / f"C{axcodes}"
        case.mkdir(parents=True)
        for path in source.glob("*.nii.gz"):
            image = nib.load(str(path))
            transform = nib.orientations.ornt_transform(
                nib.orientations.io_orientation(image.affine), nib.orientations.axcodes2ornt(tuple(axcodes))
            )
            data = nib.orientations.apply_orientation(np.asarray(image.dataobj), transform)
            affine = image.affine @ nib.orientations.inv_ornt_aff(transform, image.shape)
            nib.save(nib.Nifti1Image(data, affine), str(case / path.name.replace("HV_01000", f"C{axcodes}")))
        out = tmp_path / axcodes / "out"
        report = run_batch(*tiny_pipeline, case.parent, out)
        assert not report.failed, report.failed
        reference = nib.load(str(next(case.glob("*_t1.nii.gz"))))
        label = nib.load(str(out / f"C{axcodes}_seg.nii.gz"))
        assert label.shape == reference.shape
        assert np.allclose(label.affine, reference.affine)
        assert nib.aff2axcodes(label.affine) == tuple(axcodes)
        assert set(np.unique(np.asarray(label.dataobj))) <= {0, 1, 2, 4}


def break_case(folder, how):
    """Copy a good case and damage it in one way."""
    t1 = next(folder.glob("*_t1.nii.gz"))
    image = nib.load(str(t1))
    data = np.asarray(image.dataobj).astype(np.float32)
    if how == "missing":
        next(folder.glob("*_t2.nii.gz")).unlink()
    elif how == "truncated":
        raw = t1.read_bytes()
        t1.write_bytes(raw[: len(raw) // 3])
    elif how == "shape":
        nib.save(nib.Nifti1Image(data[:-2], image.affine), str(t1))
    elif how == "affine":
        shifted = image.affine.copy()
        shifted[0, 3] += 5
        nib.save(nib.Nifti1Image(data, shifted), str(t1))
    elif how == "2d":
        nib.save(nib.Nifti1Image(data[:, :, 10], image.affine), str(t1))
    elif how == "nan":
        data[5, 5, 5] = np.nan
        nib.save(nib.Nifti1Image(data, image.affine), str(t1))
    elif how == "empty":
        for path in folder.glob("*.nii.gz"):
            nib.save(nib.Nifti1Image(np.zeros(image.shape, np.float32), image.affine), str(path))


BAD = {
    "missing": "case Xmissing: missing t2 (found t1, t1ce, flair)",
    "truncated": "Xtruncated_t1.nii.gz: unreadable NIfTI",
    "shape": "case Xshape: Xshape_t1.nii.gz has shape",
    "affine": "case Xaffine: Xaffine_t1.nii.gz has a different affine from the other modalities",
    "2d": "case X2d: X2d_t1.nii.gz is 2D",
    "nan": "case Xnan: Xnan_t1.nii.gz contains NaN or Inf values",
    "empty": "case Xempty: the brain mask is empty",
}


def test_each_bad_input_is_one_clear_line_and_the_batch_goes_on(tiny_pipeline, samples_2021, tmp_path):
    inputs = tmp_path / "inputs"
    good = samples_2021 / "inputs" / "HV_01001"
    shutil.copytree(good, inputs / "HV_01001")
    for how in BAD:
        folder = inputs / f"X{how}"
        folder.mkdir(parents=True)
        for path in good.glob("*.nii.gz"):
            shutil.copy(path, folder / path.name.replace("HV_01001", f"X{how}"))
        break_case(folder, how)
    (inputs / "stray.nii.gz").write_bytes(b"x")
    report = run_batch(*tiny_pipeline, inputs, tmp_path / "out")
    errors = {u.name: u.error for u in report.failed}
    for how, message in BAD.items():
        assert errors[f"X{how}"].startswith(message), errors[f"X{how}"]
        assert "\n" not in errors[f"X{how}"]
    assert "not a BraTS modality name" in errors["stray"]
    assert report.count("done") == 1
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["HV_01001_seg.nii.gz", "report.json"]


def test_the_same_case_in_two_folders_is_refused_not_overwritten(samples_2021, tmp_path):
    source = samples_2021 / "inputs" / "HV_01000"
    for site in ("site1", "site2"):
        shutil.copytree(source, tmp_path / site / "HV_01000")
    units = discover_cases(tmp_path)
    assert len(units) == 2 and all("found in more than one folder" in u.error for u in units)


def test_our_own_probability_outputs_are_not_inputs(samples_2021, tmp_path):
    folder = tmp_path / "case"
    shutil.copytree(samples_2021 / "inputs" / "HV_01000", folder)
    shutil.copy(next(folder.glob("*_t1.nii.gz")), folder / "HV_01000_prob.nii.gz")
    (unit,) = discover_cases(folder)
    assert not unit.error and len(unit.files) == 4

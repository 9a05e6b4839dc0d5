"""save_nifti: the one NIfTI writer keeps the affine in both forms and the input's geometry codes."""

import nibabel as nib
import numpy as np

from hybridvision.pipelines.common.volumes import save_nifti

AFFINE = np.array([[-1.2, 0, 0, 90.0], [0, 1.2, 0, -126.0], [0, 0, 1.5, -72.0], [0, 0, 0, 1]])


def test_a_new_volume_has_its_affine_in_qform_and_sform(tmp_path):
    save_nifti(tmp_path / "a.nii.gz", np.zeros((4, 5, 6), np.uint8), AFFINE, description="hybridvision test")
    image = nib.load(str(tmp_path / "a.nii.gz"))
    assert np.allclose(image.get_qform(), AFFINE) and np.allclose(image.get_sform(), AFFINE)
    assert int(image.header["qform_code"]) == 1 and int(image.header["sform_code"]) == 1
    assert image.get_data_dtype() == np.uint8 and image.header["descrip"].tobytes().startswith(b"hybridvision test")


def test_a_derived_volume_keeps_the_inputs_codes_and_units_but_not_its_display_range(tmp_path):
    source = nib.Nifti1Image(np.ones((4, 5, 6), np.float32), AFFINE)
    source.set_qform(AFFINE, code=2)  # aligned to another scan
    source.set_sform(AFFINE, code=4)  # MNI
    source.header["cal_max"] = 900.0
    source.header.set_xyzt_units("mm", "sec")
    save_nifti(tmp_path / "b.nii.gz", np.zeros((4, 5, 6), np.uint8), AFFINE, source.header)
    image = nib.load(str(tmp_path / "b.nii.gz"))
    assert int(image.header["qform_code"]) == 2 and int(image.header["sform_code"]) == 4
    assert float(image.header["cal_max"]) == 0 and image.get_data_dtype() == np.uint8
    assert image.header.get_xyzt_units() == ("mm", "sec")
    assert np.allclose(image.affine, AFFINE)

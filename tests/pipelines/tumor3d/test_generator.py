"""The generator makes BraTS-like cases with the contrasts radiologists expect."""

import numpy as np
import pytest

from hybridvision.pipelines.common.volumes import reorient
from hybridvision.pipelines.tumor3d.generator import GeneratorRanges, generate_case

RANGES = GeneratorRanges(working_spacing=3.0, thick_slice_probability=0.0, orientations=("RAS",))


@pytest.fixture(scope="module")
def cases():
    return [generate_case(seed, RANGES) for seed in (1, 2, 3)]


def test_same_seed_same_case_and_labels_are_brats_2021():
    a, b = generate_case(7, RANGES), generate_case(7, RANGES)
    assert np.array_equal(a.label, b.label) and np.array_equal(a.images["flair"], b.images["flair"])
    assert set(np.unique(a.label)) <= {0, 1, 2, 4} and (a.label == 2).any()


@pytest.mark.parametrize("index", [0, 1, 2])
def test_relative_intensities_match_mri_physics(cases, index):
    case = cases[index]
    label = case.label
    brain = (case.images["t1"] > 0) & (label == 0)

    def mean(modality, mask):
        return case.images[modality][mask].astype(float).mean()

    def median(modality):
        return float(np.median(case.images[modality][brain]))

    if (label == 4).sum() > 3:
        assert mean("t1ce", label == 4) > 1.2 * median("t1ce")  # enhancing rim bright on T1ce
    if (label == 1).sum() > 3 and (label == 4).any():
        assert mean("t1ce", label == 1) < mean("t1ce", label == 4)  # necrosis dark on T1ce
    assert mean("flair", label == 2) > 1.2 * median("flair")  # oedema bright on FLAIR
    assert mean("t2", label == 2) > 1.2 * median("t2")  # and on T2
    csf = brain & (case.images["t2"] > np.percentile(case.images["t2"][brain], 97))  # brightest on T2
    assert case.images["flair"][csf].mean() < median("flair")  # CSF dark on FLAIR


def test_skull_stripped_one_brain_mask_for_every_contrast(cases):
    for case in cases:
        zero = [case.images[m] == 0 for m in case.images]
        outside = np.logical_and.reduce(zero)
        assert 0.3 < outside.mean() < 0.9  # a real background around the brain
        assert all(np.logical_or(z == outside, ~outside).all() for z in zero)  # background shared by all four
        assert outside[case.label > 0].mean() < 0.01  # the tumour lies in the brain


def test_orientation_on_disk_keeps_the_world(cases):
    case = cases[0]
    lps, affine = reorient(case.label, case.affine, "LPS")
    back, back_affine = reorient(lps, affine, "RAS")
    assert np.array_equal(back, case.label) and np.allclose(back_affine, case.affine)
    x, y, _ = case.label.shape  # LPS voxel (0, 0, 0) is RAS voxel (x - 1, y - 1, 0)
    assert np.allclose(affine @ [0, 0, 0, 1], case.affine @ [x - 1, y - 1, 0, 1])
    assert lps[0, 0, 0] == case.label[x - 1, y - 1, 0]


def test_shifted_ranges_lie_outside_training_ranges():
    base, shifted = GeneratorRanges(), GeneratorRanges().shifted()
    assert shifted.noise[0] >= base.noise[1] and shifted.bias[0] >= base.bias[1]

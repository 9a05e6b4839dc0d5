"""Bone phantoms: seeded, labelled as documented, with CT densities where anatomy puts them."""

import numpy as np
import pytest
from scipy import ndimage

from hybridvision.pipelines.xray2shape.phantoms import femur_phantom, spine_phantom

FEMUR = {"shape": (64, 64, 64), "spacing_mm": 2.0}
SPINE = {"shape": (64, 64, 112), "spacing_mm": 2.0}  # 224 mm along z holds L1-L5


@pytest.fixture(scope="module")
def femurs():
    return [femur_phantom(seed, **FEMUR) for seed in (1, 2)]


@pytest.fixture(scope="module")
def spines():
    return [spine_phantom(seed, **SPINE) for seed in (1, 2)]


def test_same_seed_same_phantom_other_seed_another(femurs, spines):
    for make, settings, phantoms in ((femur_phantom, FEMUR, femurs), (spine_phantom, SPINE, spines)):
        again = make(1, **settings)
        assert np.array_equal(again.hu, phantoms[0].hu) and np.array_equal(again.labels, phantoms[0].labels)
        assert (phantoms[0].labels != phantoms[1].labels).mean() > 0.002
        assert again.hu.shape == settings["shape"] and again.hu.dtype == np.float32 and again.labels.dtype == np.uint8


def test_femur_labels_and_head_diameter_match_the_truth(femurs):
    for phantom in femurs:
        assert set(np.unique(phantom.labels)) == {0, 1, 2} and phantom.label_names == {1: "femur", 2: "pelvis"}
        depth = ndimage.distance_transform_edt(phantom.labels == 1)  # voxels; deepest in the head
        spacing = phantom.spacing_mm
        assert abs(2 * depth.max() * spacing - phantom.femoral_head_diameter_mm) <= 2 * spacing
        deepest = np.array(np.unravel_index(depth.argmax(), depth.shape))
        assert np.linalg.norm(deepest - phantom.femoral_head_centre_voxel) <= 2
        bottom = np.argwhere(phantom.labels[:, :, :4] == 1)[:, 0].mean()  # the shaft at the bottom slices
        assert phantom.femoral_head_centre_voxel[0] < bottom  # a right femur: the head is medial, towards -x
        assert 120 <= phantom.neck_shaft_angle_deg <= 135 and np.allclose(phantom.affine[:3, :3], np.eye(3) * spacing)


def test_spine_levels_run_superior_to_inferior_with_lordosis(spines):
    for phantom in spines:
        assert set(np.unique(phantom.labels)) == set(range(6))
        assert phantom.label_names == {1: "L1", 2: "L2", 3: "L3", 4: "L4", 5: "L5"}
        heights = [np.argwhere(phantom.labels == level)[:, 2].mean() for level in range(1, 6)]
        assert all(upper > lower for upper, lower in zip(heights, heights[1:]))  # z is superior
        centres = np.array(list(phantom.vertebral_body_centres_voxel.values()))
        chord = centres[0] + (centres[4] - centres[0]) * (centres[2, 2] - centres[0, 2]) / (
            centres[4, 2] - centres[0, 2]
        )
        assert centres[2, 1] > chord[1]  # L3 lies in front of the line from L1 to L5: lordosis
        for level, (name, centre) in enumerate(phantom.vertebral_body_centres_voxel.items(), start=1):
            x, y, z = np.round(centre).astype(int)
            assert phantom.labels[x, y, z] == level
            run, _ = ndimage.label(phantom.labels[x, y, :] == level)
            measured = (run == run[z]).sum() * phantom.spacing_mm  # through the body, tilted by the curve
            height = phantom.vertebral_body_heights_mm[name]
            assert 22 <= height <= 34
            assert (
                height - 2 * phantom.spacing_mm <= measured <= height / np.cos(np.deg2rad(30)) + 2 * phantom.spacing_mm
            )


@pytest.mark.parametrize("kind", ["femurs", "spines"])
def test_densities_bone_over_soft_tissue_and_shell_over_interior(kind, request):
    for phantom in request.getfixturevalue(kind):
        hu, bone = phantom.hu, phantom.labels > 0
        depth = ndimage.distance_transform_edt(bone)
        shell, interior = bone & (depth <= 1), bone & (depth >= 3)
        assert hu[shell].mean() > hu[interior].mean() + 300
        assert hu[shell].mean() > 900
        away = ~ndimage.binary_dilation(hu > 150, iterations=2)  # soft tissue: away from any bone
        soft = away & (hu > -500)
        assert -150 < np.median(hu[soft]) < 100 and np.median(hu[bone]) > np.median(hu[soft]) + 150
        air = hu < -500
        assert not (air & ndimage.binary_dilation(bone, iterations=2)).any()  # bone lies inside the body

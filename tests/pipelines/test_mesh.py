"""Label meshes: bounds in millimetres through the affine, one node per label, empty volumes; smooth
surfaces within half a voxel of the voxels' staircase."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from hybridvision.pipelines.common.mesh import label_surface, read_mesh_bounds, write_label_meshes
from tests.mesh_checks import mean_angle_degrees, surface_gap


def test_cube_bounds_follow_the_affine(tmp_path):
    labels = np.zeros((20, 20, 20), np.uint8)
    labels[5:15, 5:15, 5:15] = 1
    labels[2:4, 2:4, 2:4] = 3
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = (-10.0, 0.0, 5.0)
    names = write_label_meshes(labels, affine, {1: "femur", 2: "absent", 3: "fragment"}, tmp_path / "m.glb")
    assert names == ["femur", "fragment"]
    bounds = read_mesh_bounds(tmp_path / "m.glb")
    low, high = bounds["femur"]
    # voxel centres 5..14 at 2 mm; the 0.5 iso-surface lies half a voxel outside them (smoothing shrinks a bit)
    assert np.allclose(low, np.array([9, 9, 9]) * 1.0 + (-10, 0, 5), atol=1.5)
    assert np.allclose(high, np.array([29, 29, 29]) * 1.0 + (-10, 0, 5), atol=1.5)


def test_empty_volume_writes_an_empty_scene(tmp_path):
    names = write_label_meshes(np.zeros((5, 5, 5), np.uint8), np.eye(4), {1: "bone"}, tmp_path / "e.glb")
    assert names == [] and (tmp_path / "e.glb").stat().st_size > 0


SPACING = 2.0  # mm, the xray2shape demo's grid
AFFINE = np.diag([SPACING, SPACING, SPACING, 1.0])


def ellipsoid_mask() -> np.ndarray:
    x, y, z = np.mgrid[:48, :48, :48] - 23.5
    return (x / 18) ** 2 + (y / 12) ** 2 + (z / 9) ** 2 <= 1  # semi-axes 36, 24 and 18 mm


@functools.lru_cache(maxsize=1)
def femur_sample_labels() -> np.ndarray:
    """The truth labels of the demo's generated femur case (xray2shape_tab.SAMPLE_SEED, 2 mm grid)."""
    from hybridvision.pipelines.xray2shape.geometry import ANATOMIES

    return ANATOMIES["femur"].phantom(1000, (64, 64, 64), SPACING).labels


def assert_smooth_and_faithful(mask: np.ndarray) -> None:
    """At most 3 degrees between adjacent faces on average, within half a voxel of the staircase,
    closed as the staircase is, normals out."""
    staircase = label_surface(mask, AFFINE, smoothing=0)
    surface = label_surface(mask, AFFINE)
    assert mean_angle_degrees(staircase) > 9  # what there was to smooth
    assert mean_angle_degrees(surface) <= 3.0
    assert surface_gap(surface, staircase, within=0.5 * SPACING) <= 0.5 * SPACING + 1e-6
    assert surface.is_watertight and surface.euler_number == staircase.euler_number
    assert surface.volume > 0 and abs(surface.volume / staircase.volume - 1) < 0.02


def test_a_2mm_ellipsoid_is_smooth_within_half_a_voxel():
    assert_smooth_and_faithful(ellipsoid_mask())


@pytest.mark.parametrize("label", [1, 2], ids=["femur", "pelvis"])
def test_the_demo_femur_sample_is_smooth_within_half_a_voxel(label):
    assert_smooth_and_faithful(femur_sample_labels() == label)


def test_a_one_voxel_plate_keeps_its_thickness():
    mask = np.zeros((24, 24, 9), bool)
    mask[2:22, 2:22, 4] = True
    surface = label_surface(mask, np.eye(4))
    middle = surface.vertices[(np.abs(surface.vertices[:, :2] - 11.5) < 5).all(axis=1)]
    assert surface.is_watertight and np.ptp(middle[:, 2]) > 0.9  # both faces stay half a voxel out


def test_smoothing_zero_is_the_staircase():
    mask = np.zeros((8, 8, 8), bool)
    mask[2:6, 2:6, 2:6] = True
    surface = label_surface(mask, np.eye(4), smoothing=0)
    assert np.allclose(surface.vertices * 2, np.round(surface.vertices * 2))  # midway between voxel centres
    assert surface.vertices.min() == 1.5 and surface.vertices.max() == 5.5


@pytest.mark.parametrize("mirror", [1.0, -1.0], ids=["RAS", "LAS"])
def test_normals_point_out_of_the_label(mirror):
    mask = np.zeros((10, 10, 10), bool)
    mask[2:8, 3:7, 2:9] = True
    surface = label_surface(mask, np.diag([mirror * 1.5, 1.5, 3.0, 1.0]))
    assert surface.volume > 0  # negative when faces are wound inside out (dark, culled in viewers)


def test_the_umbrella_operator_averages_each_vertexs_edge_neighbours_once():
    from hybridvision.pipelines.common.mesh import umbrella_operator

    faces = np.array([[0, 1, 2], [2, 1, 3], [3, 1, 4]])  # vertex 5 is on no face
    operator = umbrella_operator(faces, 6).toarray()
    neighbours = {0: {1, 2}, 1: {0, 2, 3, 4}, 2: {0, 1, 3}, 3: {1, 2, 4}, 4: {1, 3}, 5: {5}}
    expected = np.zeros((6, 6))
    for vertex, around in neighbours.items():
        expected[vertex, list(around)] = 1 / len(around)
    np.testing.assert_allclose(operator, expected)

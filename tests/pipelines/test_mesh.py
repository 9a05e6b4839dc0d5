"""Label meshes: bounds in millimetres through the affine, one node per label, empty volumes."""

from __future__ import annotations

import numpy as np

from hybridvision.pipelines.common.mesh import read_mesh_bounds, write_label_meshes


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

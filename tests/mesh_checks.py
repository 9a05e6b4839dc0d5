"""Measures of a smoothed surface for the mesh tests: how angular it is and how far it strays."""

from __future__ import annotations

import numpy as np


def mean_angle_degrees(surface) -> float:
    """Mean angle between the normals of adjacent faces (a staircase of voxels: about 10 degrees)."""
    return float(np.degrees(surface.face_adjacency_angles).mean())


def one_way_gap(source, target, within: float, samples: int) -> float:
    """Largest distance from ``samples`` points on ``source`` (and its vertices) to the surface of
    ``target``, exact wherever it is at most ``within``; ``inf`` if a point is further than that."""
    import trimesh
    from scipy.spatial import cKDTree

    points = np.vstack([trimesh.sample.sample_surface(source, samples, seed=0)[0], source.vertices])
    triangles = target.triangles
    centres = triangles.mean(axis=1)
    reach = within + np.linalg.norm(triangles - centres[:, None], axis=2).max()
    tree = cKDTree(centres)
    largest = 0.0
    for chunk in np.array_split(points, max(1, len(points) // 20_000)):  # bounded memory
        candidates = tree.query_ball_point(chunk, reach)  # a triangle within `within` has its centre within `reach`
        counts = np.array([len(found) for found in candidates])
        if (counts == 0).any():
            return float("inf")
        owners = np.repeat(np.arange(len(chunk)), counts)
        closest = trimesh.triangles.closest_point(triangles[np.concatenate(candidates)], chunk[owners])
        distances = np.full(len(chunk), np.inf)
        np.minimum.at(distances, owners, np.linalg.norm(closest - chunk[owners], axis=1))
        largest = max(largest, float(distances.max()))
    return largest


def surface_gap(first, second, within: float, samples: int = 30_000) -> float:
    """Symmetric Hausdorff distance between two surfaces, sampled (the units of their vertices)."""
    return max(one_way_gap(first, second, within, samples), one_way_gap(second, first, within, samples))

"""Label volumes to surface meshes: marching cubes per label, light smoothing, one GLB file.

Vertices are in millimetres in the volume's world frame (the affine applied), so a mesh overlays
its NIfTI in any viewer. Each label becomes one named node with its own colour; a GLB file is
self-contained and opens in Gradio's Model3D, Blender, 3D Slicer and web viewers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

PALETTE = (  # distinct, colour-blind-friendly RGB
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (153, 153, 153),
)


def label_colour(index: int) -> tuple[int, int, int]:
    return PALETTE[index % len(PALETTE)]


def label_surface(mask: np.ndarray, affine: np.ndarray, smoothing: int = 5):
    """A boolean volume -> a trimesh surface in world millimetres (None if the mask is empty)."""
    import trimesh
    from skimage.measure import marching_cubes

    if mask.sum() == 0:
        return None
    padded = np.pad(mask.astype(np.float32), 1)  # closes surfaces that touch the volume's edge
    vertices, faces, _, _ = marching_cubes(padded, 0.5)
    vertices = vertices - 1.0  # undo the padding: voxel indices of the original grid
    world = vertices @ affine[:3, :3].T + affine[:3, 3]
    if np.linalg.det(affine[:3, :3]) < 0:  # a mirroring affine turns the faces inside out
        faces = faces[:, ::-1]
    surface = trimesh.Trimesh(world, faces, process=True)
    if smoothing:
        trimesh.smoothing.filter_taubin(surface, iterations=smoothing)  # keeps the volume, unlike Laplacian
    return surface


def write_label_meshes(
    labels: np.ndarray,
    affine: np.ndarray,
    names: Mapping[int, str],
    path: Path,
    smoothing: int = 5,
    colours: Mapping[int, tuple[int, int, int]] | None = None,
) -> list[str]:
    """Write one GLB with a node per label value present in ``labels``; returns the node names.

    ``names`` maps label values to node names (label values not in it are skipped); ``colours``
    (RGB per label value) match a legend shown elsewhere, else ``label_colour`` of each one's
    place in ``names``. An empty result still writes a valid, empty scene so the caller always
    gets a file.
    """
    import trimesh

    scene = trimesh.Scene()
    written = []
    for index, (value, name) in enumerate(sorted(names.items())):
        surface = label_surface(labels == value, affine, smoothing)
        if surface is None:
            continue
        colour = np.array([*(colours or {}).get(value, label_colour(index)), 255], np.uint8)
        surface.visual = trimesh.visual.ColorVisuals(surface, face_colors=np.tile(colour, (len(surface.faces), 1)))
        scene.add_geometry(surface, node_name=name, geom_name=name)
        written.append(name)
    Path(path).write_bytes(scene.export(file_type="glb") if written else empty_glb())
    return written


def empty_glb() -> bytes:
    """A valid GLB holding one empty scene (trimesh refuses to export an empty one)."""
    import json
    import struct

    text = json.dumps({"asset": {"version": "2.0"}, "scenes": [{"nodes": []}], "scene": 0}).encode()
    text += b" " * (-len(text) % 4)  # chunks are 4-byte aligned, JSON padded with spaces
    chunk = struct.pack("<II", len(text), 0x4E4F534A) + text
    return struct.pack("<III", 0x46546C67, 2, 12 + len(chunk)) + chunk


def read_mesh_bounds(path: Path) -> dict[str, np.ndarray]:
    """Node name -> (2, 3) min/max corner in millimetres, read back from a GLB file."""
    import trimesh

    scene = trimesh.load(str(path), file_type="glb", force="scene")
    return {name: geometry.bounds for name, geometry in scene.geometry.items()}

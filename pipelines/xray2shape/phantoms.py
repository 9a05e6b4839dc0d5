"""Labelled bone phantoms in Hounsfield units: a right proximal femur with its hip socket, and the lumbar spine.

Swin-X2S (Liu et al., "Swin-X2S: Reconstructing 3D Shape from 2D Biplanar X-ray with Swin
Transformers", arXiv:2501.05961, 2025) learns 3D bone labels from AP and lateral DRRs of labelled CT.
These phantoms stand in for that CT offline: each bone is a smooth union of simple shapes (spheres,
tapered cylinders, elliptic cylinders, boxes) written as approximate signed distances in mm, with size,
shape and pose drawn from the seed. Arrays are indexed ``[x, y, z]`` in RAS voxel axes (x towards the
patient's right, y anterior, z superior), isotropic ``spacing_mm``, the volume's centre at the world
origin (``Phantom.affine``): the convention of the ``drr`` module.

Densities: a cortical shell of 1200-1800 HU and 2-3 mm (the whole wall of the femoral shaft),
trabecular bone of 200-400 HU with a smooth texture, fatty marrow in the femoral canal, discs near
80 HU, muscle and organs near 35-60 HU under subcutaneous fat near -100 HU, air outside an elliptic
body outline and some bowel gas in the abdomen; then a CT-like blur and mild noise.

Labels: femur: 1 femur, 2 pelvis (acetabulum and stumps of the ilium, pubic and ischial rami), so a
model learns to tell the femur from the bone around it (merge 2 into background if only the femur is
wanted). Spine: 1-5 are L1-L5 from superior to inferior; T12 and S1 are there as bone, unlabelled.
The femur is laid out for a 128 mm field of view; L1-L5 span about 180 mm, hence 1.6 mm voxels.

What it cannot stand in for: real trabecular architecture, osteoporosis, osteophytes, fractures,
implants, degenerated discs, real soft tissue and the variety of real patients. A model trained on
it must be validated on real radiographs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial.transform import Rotation

from ..common.volumes import smooth_noise

FEMUR_LABELS = {1: "femur", 2: "pelvis"}
SPINE_LEVELS = ("T12", "L1", "L2", "L3", "L4", "L5", "S1")  # the labelled ones are L1-L5
SPINE_LABELS = {index: name for index, name in enumerate(SPINE_LEVELS) if name.startswith("L")}


@dataclass
class Phantom:
    """A labelled CT volume: ``hu`` and ``labels`` are (X, Y, Z) arrays in RAS voxel axes."""

    hu: np.ndarray  # (X, Y, Z) float32
    labels: np.ndarray  # (X, Y, Z) uint8
    label_names: dict[int, str]
    spacing_mm: float
    parameters: dict  # every random choice, for provenance

    @property
    def affine(self) -> np.ndarray:
        """Voxel to RAS world (mm): the spacing on the diagonal, the volume's centre at the origin."""
        affine = np.diag([self.spacing_mm] * 3 + [1.0])
        affine[:3, 3] = -(np.array(self.hu.shape) - 1) / 2 * self.spacing_mm
        return affine


@dataclass
class FemurPhantom(Phantom):
    femoral_head_diameter_mm: float
    femoral_head_centre_voxel: tuple[float, float, float]
    neck_shaft_angle_deg: float
    anteversion_deg: float  # rotation of the neck axis forwards about the shaft axis


@dataclass
class SpinePhantom(Phantom):
    vertebral_body_heights_mm: dict[str, float]  # "L1" ... "L5", along each body's own axis
    disc_heights_mm: dict[str, float]  # "L1-L2" ... "L4-L5"
    vertebral_body_centres_voxel: dict[str, tuple[float, float, float]]
    lordosis_deg: float  # between the L1 superior and L5 inferior endplates


# shapes: approximate signed distances in mm (negative inside) of points (3, ...) in some frame
def grid_mm(shape: tuple[int, int, int], spacing: float) -> np.ndarray:
    """World coordinates (3, X, Y, Z) in mm of every voxel centre, the volume's centre at 0."""
    axes = [(np.arange(n, dtype=np.float32) - (n - 1) / 2) * spacing for n in shape]
    return np.stack(np.meshgrid(*axes, indexing="ij"))


def rotation(degrees) -> np.ndarray:
    """(3, 3) rotation about x, then y, then z (fixed axes), by ``degrees`` (3,)."""
    return Rotation.from_euler("xyz", degrees, degrees=True).as_matrix()


def _column(vector) -> np.ndarray:
    return np.asarray(vector, np.float32).reshape(3, *(1,) * 3)


def local(points: np.ndarray, origin, axes) -> np.ndarray:
    """Coordinates of ``points`` (3, ...) along the rows of ``axes`` (3, 3), relative to ``origin``."""
    return np.tensordot(np.asarray(axes, np.float32), points - _column(origin), axes=1)


def ellipsoid(points: np.ndarray, radii) -> np.ndarray:
    radii = _column(radii)
    return (np.sqrt(((points / radii) ** 2).sum(0)) - 1) * radii.min()


def capsule(points: np.ndarray, start, end, radius_start: float, radius_end: float) -> np.ndarray:
    """A cylinder from ``start`` to ``end`` with rounded ends, its radius tapering linearly."""
    start, axis = _column(start), _column(end) - _column(start)
    along = np.clip(((points - start) * axis).sum(0) / float((axis**2).sum()), 0, 1)
    return np.sqrt(((points - start - along * axis) ** 2).sum(0)) - (radius_start + along * (radius_end - radius_start))


def box(points: np.ndarray, half_sizes) -> np.ndarray:
    excess = np.abs(points) - _column(half_sizes)
    return np.sqrt((np.maximum(excess, 0) ** 2).sum(0)) + np.minimum(excess.max(0), 0)


def smooth_union(*distances: np.ndarray, blend_mm: float = 4.0) -> np.ndarray:
    """Union with fillets of about ``blend_mm`` where shapes meet (polynomial smooth minimum)."""
    result = distances[0]
    for distance in distances[1:]:
        weight = np.clip(0.5 + 0.5 * (distance - result) / blend_mm, 0, 1)
        result = distance + (result - distance) * weight - blend_mm * weight * (1 - weight)
    return result


def box_slices(centre, half_mm, shape, spacing: float) -> tuple[slice, ...]:
    """Index slices of the voxels within ``half_mm`` of world point ``centre`` (clipped to the volume)."""
    middle = np.asarray(centre) / spacing + (np.array(shape) - 1) / 2
    low = np.clip(np.floor(middle - np.asarray(half_mm) / spacing), 0, shape).astype(int)
    high = np.clip(np.ceil(middle + np.asarray(half_mm) / spacing) + 1, 0, shape).astype(int)
    return tuple(slice(a, b) for a, b in zip(low, high))


# densities
def depth_mm(mask: np.ndarray, spacing: float) -> np.ndarray:
    """Distance (mm) from each voxel of ``mask`` to the nearest voxel outside, computed in its bounding box."""
    depth = np.zeros(mask.shape, np.float32)
    where = np.argwhere(mask)
    if len(where):
        crop = tuple(slice(max(a - 1, 0), b + 2) for a, b in zip(where.min(0), where.max(0)))
        depth[crop] = ndimage.distance_transform_edt(mask[crop], sampling=spacing)
    return depth


def body_tissue(rng, world: np.ndarray, centre_xy, radii_xy) -> tuple[np.ndarray, np.ndarray]:
    """Soft-tissue HU inside an elliptic body outline (fat under the skin, muscle within), air outside."""
    radial = np.sqrt(((world[0] - centre_xy[0]) / radii_xy[0]) ** 2 + ((world[1] - centre_xy[1]) / radii_xy[1]) ** 2)
    under_skin = (1 - radial) * min(radii_xy)  # about the depth below the skin in mm
    muscle = rng.uniform(35, 60) + 15 * smooth_noise(rng, world.shape[1:], 8)
    hu = np.where(under_skin < rng.uniform(8, 30), np.float32(rng.uniform(-120, -80)), muscle).astype(np.float32)
    hu[under_skin <= 0] = -1000
    return hu, under_skin > 0


def paint_bone(rng, hu, bone, depth, spacing, solid=None, marrow=None) -> None:
    """Cortical shell of 2-3 mm, textured trabecular interior, all-cortical ``solid`` walls, fatty ``marrow``."""
    texture = smooth_noise(rng, hu.shape, max(4, int(hu.shape[0] * spacing / 6)))
    cortex = bone & (depth <= rng.uniform(2, 3) + 1e-3)
    if solid is not None:
        cortex |= bone & solid
    hu[bone] = rng.uniform(200, 400) + 70 * texture[bone] + rng.normal(0, 30, int(bone.sum()))
    hu[cortex] = rng.uniform(1200, 1800) + rng.normal(0, 50, int(cortex.sum()))
    if marrow is not None:
        hu[bone & marrow & ~cortex] = rng.uniform(-60, 40)


def finish(rng, hu: np.ndarray, spacing: float) -> np.ndarray:
    """CT point spread (partial volume at edges) and mild noise; clipped to the CT range."""
    hu = ndimage.gaussian_filter(hu, 0.6 / spacing)
    hu += rng.normal(0, rng.uniform(5, 20), hu.shape).astype(np.float32)
    return np.clip(hu, -1024, 3071).astype(np.float32)


def proximal_femur(rng, points: np.ndarray, radius: float, neck_shaft: float, anteversion: float) -> dict:
    """Distances (mm) of a right proximal femur in an upright frame: shaft about -z, head medial (-x).

    Returns ``femur`` and ``canal`` (the medullary canal) distances, the ``head`` centre (3,), and
    ``wall``: a mask of the shaft below the metaphysis, outside the canal, which is all cortex.
    """
    adduction, shaft_radius = np.deg2rad(rng.uniform(4, 10)), rng.uniform(12, 15)
    head = np.array([-22.0, 4.0, 28.0]) + rng.uniform(-4, 4, 3)
    up = np.array([np.sin(adduction), 0, np.cos(adduction)])  # along the shaft, proximally
    medial = np.array([-np.cos(adduction), 0, np.sin(adduction)])
    posterior = np.array([0.0, -1.0, 0.0])
    tilt, turn = np.deg2rad(180 - neck_shaft), np.deg2rad(anteversion)
    # the neck leaves the shaft at ``neck_shaft`` degrees, turned forwards about the shaft by the anteversion
    neck_axis = np.cos(tilt) * up + np.sin(tilt) * (np.cos(turn) * medial - np.sin(turn) * posterior)
    base = head - rng.uniform(45, 55) * neck_axis  # where the neck axis meets the shaft axis
    greater = base + rng.uniform(16, 24) * up - rng.uniform(9, 13) * medial + 4 * posterior
    lesser = base - rng.uniform(35, 45) * up + shaft_radius * (0.8 * medial + 0.6 * posterior)
    shaft = capsule(points, base + 15 * up, base - 400 * up, shaft_radius, 0.95 * shaft_radius)
    femur = smooth_union(
        capsule(points, base, head, 1.05 * shaft_radius, 0.68 * radius),
        shaft,
        ellipsoid(points - _column(greater), rng.uniform(11, 14, 3) * [1, 1, 1.5]),
        ellipsoid(points - _column(lesser), rng.uniform(6, 8, 3) * [1, 1, 1.4]),
        blend_mm=6.0,
    )
    femur = np.minimum(femur, np.sqrt(((points - _column(head)) ** 2).sum(0)) - radius)  # a true sphere
    canal_top = rng.uniform(40, 55)  # below ``base``: trabecular metaphysis above, a hollow cortical tube below
    canal = capsule(points, base - canal_top * up, base - 400 * up, *(shaft_radius * rng.uniform(0.45, 0.6),) * 2)
    below_metaphysis = local(points, base - (canal_top - 5) * up, [-up])[0] > 0
    return {"femur": femur, "canal": canal, "head": head, "wall": below_metaphysis & (shaft < 0) & (canal >= 0)}


def hip_socket(rng, points: np.ndarray, head: np.ndarray, radius: float, femur: np.ndarray) -> np.ndarray:
    """Distance (mm) of a partial right pelvis around the femoral head, kept 2 mm off the femur.

    The acetabulum is a cup 1.5-3 mm off the head (the joint space), open laterally, inferiorly and
    anteriorly; the ilium, pubic and ischial rami leave it upwards, medially and downwards.
    """
    offset, thickness = points - _column(head), rng.uniform(5, 8)
    distance = np.sqrt((offset**2).sum(0))
    opening = np.array([0.7, 0.3, -0.65]) + rng.normal(0, 0.08, 3)
    cup = np.maximum(
        np.abs(distance - radius - rng.uniform(1.5, 3) - thickness / 2) - thickness / 2,
        local(offset, np.zeros(3), [opening / np.linalg.norm(opening)])[0] - 0.1 * distance,
    )
    ilium_axes = rotation([rng.uniform(-10, 10), -15, 0])
    ilium = ellipsoid(local(points, head + [-12, -8, radius + 28], ilium_axes), [9, 30, 32])
    pubis = capsule(points, head + [-radius - 12, 14, -4], head + [-75, 40, -18], 9, 7)
    ischium = capsule(points, head + [-14, -30, -12], head + [-24, -36, -70], 10, 12)
    return np.maximum(smooth_union(cup, ilium, pubis, ischium, blend_mm=6.0), 2 - femur)


def femur_phantom(seed: int, shape: tuple[int, int, int] = (128, 128, 128), spacing_mm: float = 1.0) -> FemurPhantom:
    """A right proximal femur (label 1: head, neck, trochanters, shaft with its canal) and a partial pelvis (2).

    Built upright, then posed by a small random rotation and shift.
    """
    rng, spacing = np.random.default_rng(seed), float(spacing_mm)
    world = grid_mm(shape, spacing)
    angles, shift = rng.uniform(-6, 6, 3), rng.uniform(-6, 6, 3)
    pose = rotation(angles)
    points = local(world, shift, pose.T)  # the upright frame
    radius, neck_shaft, anteversion = rng.uniform(20, 25), rng.uniform(120, 135), rng.uniform(5, 20)
    femur = proximal_femur(rng, points, radius, neck_shaft, anteversion)
    pelvis = hip_socket(rng, points, femur["head"], radius, femur["femur"])
    labels = np.zeros(shape, np.uint8)
    labels[pelvis < 0] = 2
    labels[femur["femur"] < 0] = 1
    lateral_skin = world[0][labels > 0].max(initial=0) + rng.uniform(20, 60)  # some subjects show air laterally
    body_radii = (rng.uniform(150, 190), rng.uniform(110, 150))
    hu, _ = body_tissue(rng, world, (lateral_skin - body_radii[0], rng.uniform(-15, 15)), body_radii)
    canal = femur["canal"] < 0
    paint_bone(rng, hu, labels == 1, depth_mm(labels == 1, spacing), spacing, solid=femur["wall"], marrow=canal)
    paint_bone(rng, hu, labels == 2, depth_mm(labels == 2, spacing), spacing)
    head_voxel = (pose @ femur["head"] + shift) / spacing + (np.array(shape) - 1) / 2
    return FemurPhantom(
        hu=finish(rng, hu, spacing),
        labels=labels,
        label_names=dict(FEMUR_LABELS),
        spacing_mm=spacing,
        parameters={"seed": seed, "pose_degrees": angles.tolist(), "shift_mm": shift.tolist()},
        femoral_head_diameter_mm=float(2 * radius),
        femoral_head_centre_voxel=tuple(float(v) for v in head_voxel),
        neck_shaft_angle_deg=float(neck_shaft),
        anteversion_deg=float(anteversion),
    )


def vertebra(rng, points: np.ndarray, width: float, depth: float, height: float, arch: bool = True) -> np.ndarray:
    """One vertebra in its own frame (right, anterior, superior; the body's centre at the origin).

    The body is an elliptic cylinder with concave sides and a flat back; the arch adds pedicles,
    laminae, a spinous process pointing back and down, transverse and articular processes.
    """
    a, b = width / 2, depth / 2
    right, anterior, superior = points
    waist = 1 - rng.uniform(0.04, 0.08) * (1 - (2 * superior / height) ** 2)
    radial = np.sqrt((right / a) ** 2 + (anterior / b) ** 2) / waist
    body = np.maximum(np.maximum((radial - 1) * min(a, b), np.abs(superior) - height / 2), -(anterior + 0.85 * b))
    if not arch:
        return body
    back = -b - rng.uniform(8, 12)  # where the pedicles end
    tall = points / _column([1, 1, 1.8])  # pedicles and laminae are taller than wide
    parts = [body]
    for side in (-1, 1):
        parts.append(
            capsule(tall, [side * 0.6 * a, -0.7 * b, 0.08 * height], [side * 0.62 * a, back, 0.05 * height], 4.5, 4.5)
        )
        parts.append(capsule(tall, [side * 0.62 * a, back, 0], [0, back - 10, 0], 4, 4))
        length = rng.uniform(20, 28)
        parts.append(
            box(points - _column([side * (0.62 * a + length / 2), back + 2, 0.1 * height]), [length / 2, 4, 5])
        )
        parts.append(box(points - _column([side * 0.62 * a, back - 4, 0]), [4.5, 5, height / 2 + 1.5]))
    droop, length = np.deg2rad(rng.uniform(15, 30)), rng.uniform(28, 36)
    along = np.array([0, -np.cos(droop), -np.sin(droop)])
    spinous_axes = [[1, 0, 0], along, [0, np.sin(droop), -np.cos(droop)]]
    parts.append(box(local(points, [0, back - 10, -2] + along * length / 2, spinous_axes), [3.5, length / 2, 8]))
    return smooth_union(parts[0], np.minimum.reduce(parts[1:]), blend_mm=3.0)  # fillets where the arch meets the body


def spine_frames(rng, count: int, lordosis: float) -> np.ndarray:
    """(count, 3, 3): rows right, anterior, superior of each vertebra along a lordotic, slightly scoliotic curve."""
    fraction = np.linspace(0, 1, count)
    forward = np.deg2rad(lordosis / 2 * (1 - 2 * fraction))  # the lumbar curve is convex anteriorly
    sideways = np.deg2rad(rng.uniform(-6, 6) * np.sin(np.pi * fraction))
    frames = []
    for pitch, roll, twist in zip(forward, sideways, np.deg2rad(rng.uniform(-4, 4, count))):
        superior = np.array([-np.sin(roll), -np.sin(pitch), np.cos(pitch) * np.cos(roll)])
        superior /= np.linalg.norm(superior)
        right = np.array([1.0, 0, 0]) - superior[0] * superior
        right /= np.linalg.norm(right)
        right = np.cos(twist) * right + np.sin(twist) * np.cross(superior, right)  # axial rotation
        frames.append(np.stack([right, np.cross(superior, right), superior]))
    return np.stack(frames)


def lumbar_layout(rng, count: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Body sizes (mm) from superior to inferior, body centres (count, 3) and frames (count, 3, 3), posed.

    Centres are placed so that L1-L5 sit in the middle of the volume, bodies slightly anterior of it.
    """
    size = rng.uniform(0.92, 1.08)
    sizes = {
        "heights": size * np.clip(rng.uniform(25.5, 29) + rng.uniform(-1, 1, count), 24, 31),
        "widths": size * (rng.uniform(38, 42) + np.arange(count) * rng.uniform(1.5, 2.5)),  # wider going down
        "depths": size * (rng.uniform(29, 32) + np.arange(count) * 0.5),
        "discs": size * rng.uniform(8, 12, count - 1),
    }
    frames = spine_frames(rng, count, rng.uniform(40, 70))  # lordosis from T12 to S1
    centres = [np.zeros(3)]
    for level in range(1, count):  # walk down from T12 along the mean axis of neighbours
        axis = frames[level - 1, 2] + frames[level, 2]
        gap = sizes["heights"][level - 1] / 2 + sizes["discs"][level - 1] + sizes["heights"][level] / 2
        centres.append(centres[-1] - gap * axis / np.linalg.norm(axis))
    pose, target = rotation(rng.uniform(-4, 4, 3)), [rng.uniform(-5, 5), rng.uniform(12, 22), rng.uniform(-5, 5)]
    centres = (np.array(centres) - (centres[1] + centres[5]) / 2) @ pose.T + target
    return sizes, centres, frames @ pose.T


def disc(points: np.ndarray, upper_body: tuple, lower_body: tuple) -> np.ndarray:
    """Mask of the disc between two bodies, each (centre, frame, height, width, depth): wedge-shaped in lordosis."""
    upper_centre, upper_frame, upper_height, *upper_size = upper_body
    lower_centre, lower_frame, lower_height, *lower_size = lower_body
    top = upper_centre - upper_frame[2] * upper_height / 2  # the endplates' centres
    bottom = lower_centre + lower_frame[2] * lower_height / 2
    radii = (np.array(upper_size) + np.array(lower_size)) / 4
    right, anterior, _ = local(points, (top + bottom) / 2, (upper_frame + lower_frame) / 2)
    radial = (np.sqrt((right / radii[0]) ** 2 + (anterior / radii[1]) ** 2) - 1) * radii.min()
    below_top = local(points, top, upper_frame[2:])[0] - 1  # 1 mm into the endplates
    above_bottom = -local(points, bottom, lower_frame[2:])[0] - 1
    return np.maximum(np.maximum(radial, below_top), above_bottom) < 0


def spine_phantom(seed: int, shape: tuple[int, int, int] = (128, 128, 128), spacing_mm: float = 1.6) -> SpinePhantom:
    """Lumbar vertebrae L1-L5 (labels 1-5) between T12 and S1, with discs, in an abdomen with some bowel gas."""
    rng, spacing = np.random.default_rng(seed), float(spacing_mm)
    world, count = grid_mm(shape, spacing), len(SPINE_LEVELS)
    sizes, centres, frames = lumbar_layout(rng, count)
    bodies = list(zip(centres, frames, sizes["heights"], sizes["widths"], sizes["depths"]))
    owner, nearest = np.zeros(shape, np.uint8), np.full(shape, np.inf, np.float32)  # owner: level + 1
    for level, (centre, frame, height, width, depth) in enumerate(bodies):
        region = box_slices(centre - [0, 37, 0], [width / 2 + 22, depth / 2 + 45, height / 2 + 40], shape, spacing)
        points = local(world[(slice(None), *region)], centre, frame)  # the box reaches back to the arch
        distance = vertebra(rng, points, width, depth, height, arch=SPINE_LEVELS[level] != "S1")
        owner[region][(distance < 0) & (distance < nearest[region])] = level + 1  # the nearest bone wins
        nearest[region] = np.minimum(nearest[region], distance)
    bone = owner > 0
    back_skin = world[1][bone].min(initial=0) - rng.uniform(15, 45)
    body_radii = (rng.uniform(130, 170), rng.uniform(100, 130))
    hu, body = body_tissue(rng, world, (rng.uniform(-5, 5), back_skin + body_radii[1]), body_radii)
    for upper, lower in zip(bodies, bodies[1:]):
        region = box_slices((upper[0] + lower[0]) / 2, [lower[3] / 2 + 5, lower[4] / 2 + 5, 30], shape, spacing)
        hu[region][disc(world[(slice(None), *region)], upper, lower) & ~bone[region]] = rng.uniform(70, 95)
    for _ in range(rng.integers(0, 5)):  # bowel gas in front of the spine
        centre = [rng.uniform(-70, 70), centres[3, 1] + rng.uniform(50, 90), rng.uniform(-90, 90)]
        region = box_slices(centre, [20, 20, 20], shape, spacing)
        gas = ellipsoid(world[(slice(None), *region)] - _column(centre), rng.uniform(6, 18, 3)) < 0
        hu[region][gas & body[region] & ~bone[region]] = rng.uniform(-950, -700)
    paint_bone(rng, hu, bone, sum(depth_mm(owner == level + 1, spacing) for level in range(count)), spacing)
    lumbar = range(1, 6)
    return SpinePhantom(
        hu=finish(rng, hu, spacing),
        labels=np.where((owner >= 2) & (owner <= 6), owner - 1, 0).astype(np.uint8),
        label_names=dict(SPINE_LABELS),
        spacing_mm=spacing,
        parameters={"seed": seed, **{name: values.round(2).tolist() for name, values in sizes.items()}},
        vertebral_body_heights_mm={SPINE_LEVELS[i]: float(sizes["heights"][i]) for i in lumbar},
        disc_heights_mm={f"{SPINE_LEVELS[i]}-{SPINE_LEVELS[i + 1]}": float(sizes["discs"][i]) for i in lumbar[:-1]},
        vertebral_body_centres_voxel={
            SPINE_LEVELS[i]: tuple(float(v) for v in centres[i] / spacing + (np.array(shape) - 1) / 2) for i in lumbar
        },
        lordosis_deg=float(np.rad2deg(np.arccos(np.clip(frames[1, 2] @ frames[5, 2], -1, 1)))),  # parallel endplates
    )

"""DRRs match analytic line integrals, cone-beam magnification and the documented image orientation."""

import math

import numpy as np
import pytest
import torch

from hybridvision.pipelines.xray2shape.drr import (
    ConeBeamGeometry,
    ParallelGeometry,
    hu_to_attenuation,
    render_drr,
    render_views,
)


def sphere(shape, radius_voxels, mu, centre=None):
    """A uniform ball of attenuation ``mu`` (per mm) around the volume's centre (voxel units)."""
    centre = (np.array(shape) - 1) / 2 if centre is None else np.asarray(centre, dtype=float)
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1)
    inside = ((grid - centre) ** 2).sum(-1) <= radius_voxels**2
    return torch.from_numpy(inside.astype(np.float32) * mu)


def shadow_width_mm(radius_mm, geometry):
    """Width on the detector of the tangent cone of a sphere at the isocentre."""
    distance = geometry.source_to_isocentre_mm
    return 2 * geometry.source_to_detector_mm * radius_mm / math.sqrt(distance**2 - radius_mm**2)


def test_hounsfield_units_to_attenuation():
    hu = torch.tensor([-2000.0, -1000.0, 0.0, 1000.0])
    assert torch.allclose(hu_to_attenuation(hu), torch.tensor([0.0, 0.0, 0.02, 0.04]))
    assert np.allclose(hu_to_attenuation(np.array([0.0]), mu_water=0.03), 0.03)


@pytest.mark.parametrize("view", ["ap", "lateral"])
def test_parallel_cube_integral_is_mu_times_side(view):
    volume = torch.zeros(40, 40, 40)
    volume[10:30, 10:30, 10:30] = 0.03
    drr = render_drr(volume, spacing_mm=1.5, view=view)
    expected = torch.zeros(40, 40)
    expected[10:30, 10:30] = 0.03 * 20 * 1.5
    assert drr.line_integral.shape == (40, 40) and drr.pixel_spacing_mm == 1.5
    assert torch.allclose(drr.line_integral, expected, atol=1e-6)
    assert torch.allclose(drr.radiograph, torch.exp(-expected))


def test_parallel_sphere_matches_chord_length():
    radius, mu = 20.0, 0.02
    drr = render_drr(sphere((64, 64, 64), radius, mu), spacing_mm=1.0, view="ap").line_integral
    offsets = np.arange(64) - 31.5
    distance = np.sqrt(offsets[:, None] ** 2 + offsets[None, :] ** 2)
    chord = 2 * np.sqrt(np.clip(radius**2 - distance**2, 0, None)) * mu
    centre = drr[31:33, 31:33].mean().item()
    assert abs(centre - chord[31:33, 31:33].mean()) / chord[31:33, 31:33].mean() < 0.05
    away = np.abs(distance - radius) > 1
    assert np.array_equal(drr.numpy()[away] > 0, distance[away] < radius)  # the right support
    inner = distance < radius - 2
    assert np.abs(drr.numpy()[inner] - chord[inner]).max() < 1.5 * mu  # within about a voxel of chord


def test_cone_beam_magnifies_the_shadow_and_keeps_the_central_ray():
    radius = 20.0
    volume = sphere((64, 64, 64), radius, 0.02)  # 1 mm voxels
    geometry = ConeBeamGeometry(
        source_to_isocentre_mm=600.0, source_to_detector_mm=1200.0, detector_shape=(129, 129), detector_spacing_mm=1.0
    )
    cone = render_drr(volume, 1.0, "ap", geometry).line_integral
    parallel = render_drr(volume, 1.0, "ap", ParallelGeometry()).line_integral
    assert cone.shape == (129, 129)
    for profile in (cone[64] > 0.02, cone[:, 64] > 0.02):  # shadow: chords longer than 1 mm
        expected = shadow_width_mm(radius, geometry) / geometry.detector_spacing_mm  # about 80 pixels
        assert abs(profile.sum().item() - expected) <= 2
    assert abs(cone[64, 64].item() - parallel.max().item()) / parallel.max().item() < 0.03


def test_cone_beam_with_more_samples_agrees_and_batches():
    volume = torch.stack([sphere((32, 32, 32), 10, 0.02), sphere((32, 32, 32), 6, 0.04)])
    geometry = ConeBeamGeometry(detector_shape=(48, 48), detector_spacing_mm=1.0)
    batch = render_drr(volume, 1.0, "lateral", geometry).line_integral
    assert batch.shape == (2, 48, 48)
    single = render_drr(volume[1], 1.0, "lateral", geometry, samples=96).line_integral
    assert torch.allclose(batch[1], single, atol=0.02 * batch[1].max().item())


@pytest.mark.parametrize("geometry", [ParallelGeometry(), ConeBeamGeometry(detector_shape=(96, 96))])
def test_views_show_right_anterior_superior_where_documented(geometry):
    volume = torch.zeros(64, 64, 64)  # [x, y, z]: towards right, anterior, superior
    volume[50:54, 50:54, 50:54] = 1.0  # patient right, anterior, superior
    views = render_views(volume, 1.0, geometry)
    for view in ("ap", "lateral"):
        image = views[view].line_integral
        row, column = np.unravel_index(image.argmax().item(), image.shape)
        rows, columns = image.shape
        assert row < rows / 2, view  # superior at the top
        assert column < columns / 2, view  # AP: patient right on the image left; lateral: anterior on the left


def test_bad_view_and_shape_are_named():
    with pytest.raises(ValueError, match="ap.*lateral"):
        render_drr(torch.zeros(4, 4, 4), 1.0, view="pa")
    with pytest.raises(ValueError, match="shape"):
        render_drr(torch.zeros(4, 4), 1.0)


def test_cone_beam_geometry_covering_and_checks():
    geometry = ConeBeamGeometry.covering((64, 64, 96), 2.0, detector_shape=(128, 128))
    assert geometry.magnification == 1.5 and geometry.detector_spacing_mm == 96 * 2.0 * 1.5 / 128
    with pytest.raises(ValueError, match="source_to_isocentre_mm"):
        ConeBeamGeometry(source_to_isocentre_mm=1500.0, source_to_detector_mm=1000.0)

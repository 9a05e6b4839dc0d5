"""Digitally reconstructed radiographs (DRRs): the X-ray a CT volume would cast, by Beer-Lambert.

Swin-X2S (Liu et al., "Swin-X2S: Reconstructing 3D Shape from 2D Biplanar X-ray with Swin
Transformers", arXiv:2501.05961, 2025) trains on AP and lateral DRRs rendered from labelled CT,
since real pairs of radiographs with 3D labels are rare. This module renders them from attenuation
volumes with parallel rays (exact sums along a voxel axis) or with a cone beam from a point source
(Joseph, "An improved algorithm for reprojecting rays through pixel images", IEEE TMI 1982: each ray
is sampled where it crosses each plane of voxels and the samples are summed times the step length).

Volume convention: a volume is indexed ``[x, y, z]`` in RAS voxel axes with isotropic spacing
``spacing_mm`` (x increases towards the patient's right, y towards anterior, z towards superior), the
voxel order of a NIfTI file with a positive diagonal affine; the isocentre is the volume's centre.
Image convention: detector rows run superior to inferior (superior on the top row) for both views.
AP view: the source is anterior, rays travel anterior to posterior (along -y), and columns run from
the patient's right to left, so the patient's right is on the image's left, as radiographs are
displayed. Lateral view: the source is at the patient's right, rays travel right to left (along -x,
a left lateral projection), and columns run anterior to posterior, so anterior is on the image's
left (the patient faces the viewer's left).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

VIEWS = ("ap", "lateral")


def hu_to_attenuation(hu: Tensor | np.ndarray, mu_water: float = 0.02) -> Tensor | np.ndarray:
    """Linear attenuation (per mm) from Hounsfield units: ``mu_water * (1 + HU / 1000)``, at least 0.

    Args:
        hu: CT numbers, any shape; a tensor or an array (the result has the same type).
        mu_water: attenuation of water per mm (0.02 is about 70 keV).
    """
    return (mu_water * (1 + hu / 1000)).clip(min=0)


@dataclass(frozen=True)
class ParallelGeometry:
    """Parallel rays along the view axis, one per voxel column: the detector is the volume's own grid.

    Rows are the volume's z, columns its x (AP) or y (lateral), at ``spacing_mm``.
    """


@dataclass(frozen=True)
class ConeBeamGeometry:
    """A point source and a flat detector centred on the ray through the isocentre (the volume's centre).

    Magnification at the isocentre is ``source_to_detector_mm / source_to_isocentre_mm``.
    """

    source_to_isocentre_mm: float = 1000.0
    source_to_detector_mm: float = 1500.0
    detector_shape: tuple[int, int] = (128, 128)  # rows, columns
    detector_spacing_mm: float = 1.5

    def __post_init__(self):
        if not 0 < self.source_to_isocentre_mm < self.source_to_detector_mm:
            raise ValueError(
                f"need 0 < source_to_isocentre_mm < source_to_detector_mm, got {self.source_to_isocentre_mm} "
                f"and {self.source_to_detector_mm}"
            )

    @property
    def magnification(self) -> float:
        return self.source_to_detector_mm / self.source_to_isocentre_mm

    @classmethod
    def covering(
        cls,
        volume_shape: tuple[int, int, int],
        spacing_mm: float,
        detector_shape: tuple[int, int] = (128, 128),
        source_to_isocentre_mm: float = 1000.0,
        source_to_detector_mm: float = 1500.0,
    ) -> "ConeBeamGeometry":
        """A detector whose pixels are sized so the volume's widest side, magnified at the isocentre, fills it."""
        field_of_view = max(volume_shape) * spacing_mm * source_to_detector_mm / source_to_isocentre_mm
        return cls(source_to_isocentre_mm, source_to_detector_mm, detector_shape, field_of_view / min(detector_shape))


@dataclass
class DRR:
    """A rendered radiograph.

    Attributes:
        line_integral: (rows, columns) or (B, rows, columns), the sum of attenuation along each ray.
        radiograph: same shape, transmitted fraction ``I / I0 = exp(-line_integral)``.
        pixel_spacing_mm: detector pixel size (for a cone beam, at the detector, so magnified).
    """

    line_integral: Tensor
    radiograph: Tensor
    pixel_spacing_mm: float


def render_drr(
    volume_mu: Tensor | np.ndarray,
    spacing_mm: float,
    view: str = "ap",
    geometry: ParallelGeometry | ConeBeamGeometry | None = None,
    samples: int | None = None,
) -> DRR:
    """Render one view of an attenuation volume (see the module docstring for axes and orientation).

    Args:
        volume_mu: (X, Y, Z) or (B, X, Y, Z) linear attenuation per mm (``hu_to_attenuation``).
        spacing_mm: isotropic voxel size.
        view: "ap" or "lateral".
        geometry: ``ParallelGeometry()`` (the default) or a ``ConeBeamGeometry``.
        samples: cone beam only: sampling planes across the volume, perpendicular to the central ray
            (default one per voxel plane; more interpolate linearly between voxel planes). Each ray is
            sampled once per plane, with a step of (volume depth / samples) / cos(ray angle).

    Returns:
        A ``DRR`` with (rows, columns) images, or (B, rows, columns) for a batch.
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    volume = torch.as_tensor(volume_mu, dtype=torch.float32)
    if volume.ndim not in (3, 4):
        raise ValueError(f"volume_mu must be (X, Y, Z) or (B, X, Y, Z), got shape {tuple(volume.shape)}")
    geometry = ParallelGeometry() if geometry is None else geometry
    if isinstance(geometry, ConeBeamGeometry):
        integral = _cone_beam_integral(volume, spacing_mm, view, geometry, samples)
        pixel_spacing = geometry.detector_spacing_mm
    else:
        integral = _parallel_integral(volume, spacing_mm, view)
        pixel_spacing = spacing_mm
    return DRR(line_integral=integral, radiograph=torch.exp(-integral), pixel_spacing_mm=pixel_spacing)


def render_views(
    volume_mu: Tensor | np.ndarray,
    spacing_mm: float,
    geometry: ParallelGeometry | ConeBeamGeometry | None = None,
    samples: int | None = None,
) -> dict[str, DRR]:
    """The AP and lateral DRRs of one volume (or batch), keyed by view name."""
    return {view: render_drr(volume_mu, spacing_mm, view, geometry, samples) for view in VIEWS}


def _planes_along_beam(volume: Tensor, view: str) -> Tensor:
    """(..., X, Y, Z) to a view (..., planes, rows, columns) without copying: y, z, x for AP, x, z, y for lateral.

    Every axis increases towards the patient's right, anterior or superior: flip the last two to get
    the image orientation of the module docstring.
    """
    batch = volume.ndim - 3
    order = (1, 2, 0) if view == "ap" else (0, 2, 1)
    return volume.permute(*range(batch), *(batch + axis for axis in order))


def _parallel_integral(volume: Tensor, spacing_mm: float, view: str) -> Tensor:
    """Sums along y (AP) or x (lateral) times the spacing: exact for axis-aligned rays."""
    return (_planes_along_beam(volume, view).sum(dim=-3) * spacing_mm).flip(-2, -1)


def _cone_beam_integral(
    volume: Tensor, spacing_mm: float, view: str, geometry: ConeBeamGeometry, samples: int | None
) -> Tensor:
    """Joseph's method: sample each ray where it crosses each plane of voxels, sum times the step along the ray.

    Every ray from a source on the central axis crosses a plane perpendicular to that axis on a copy of
    the detector grid shrunk by (distance of the plane from the source) / (source to detector), so each
    plane is one bilinear 2D resampling: far cheaper than scattered 3D lookups, and trilinear overall
    when ``samples`` asks for planes between the voxel planes.
    """
    planes = _planes_along_beam(volume, view)  # (..., depth, rows, columns), axes towards R, A or S
    depth, volume_rows, volume_columns = planes.shape[-3:]
    planes = planes.reshape(-1, depth, volume_rows, volume_columns).transpose(0, 1)  # batch as channels
    samples = samples or depth
    if samples != depth:  # planes at the midpoints of equal steps across the volume, linear in between
        flat = planes.permute(1, 2, 3, 0).reshape(1, -1, depth)
        flat = F.interpolate(flat, size=samples, mode="linear", align_corners=False)
        planes = flat.reshape(-1, volume_rows, volume_columns, samples).permute(3, 0, 1, 2)
    step = depth * spacing_mm / samples  # along the central axis
    indices = {"dtype": torch.float32, "device": volume.device}
    # plane positions along the view axis, which points towards the source in both views
    position = (torch.arange(samples, **indices) + 0.5) * step - depth * spacing_mm / 2
    shrink = (geometry.source_to_isocentre_mm - position) / geometry.source_to_detector_mm  # (samples,)
    rows, columns = geometry.detector_shape
    down = (torch.arange(rows, **indices) - (rows - 1) / 2) * geometry.detector_spacing_mm
    across = (torch.arange(columns, **indices) - (columns - 1) / 2) * geometry.detector_spacing_mm
    # grid_sample, align_corners=True: -1 and +1 are the centres of the first and last voxels; the
    # minus signs because image rows run inferior and columns run left (AP) or posterior (lateral)
    half_columns = max(volume_columns - 1, 1) * spacing_mm / 2
    half_rows = max(volume_rows - 1, 1) * spacing_mm / 2
    grid = torch.stack(
        torch.broadcast_tensors(
            -shrink[:, None, None] * across[None, None, :] / half_columns,
            -shrink[:, None, None] * down[None, :, None] / half_rows,
        ),
        dim=-1,
    )  # (samples, rows, columns, 2) as (column, row)
    # outside the volume is zero; so is the outer half of its edge voxels, a rim effect at the border
    values = F.grid_sample(planes, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    # a ray at angle theta to the central axis travels step / cos(theta) between two planes
    distance = geometry.source_to_detector_mm
    secant = torch.sqrt(distance**2 + down[:, None] ** 2 + across[None, :] ** 2) / distance
    integral = values.sum(0) * step * secant  # (batch, rows, columns)
    return integral[0] if volume.ndim == 3 else integral.reshape(*volume.shape[:-3], rows, columns)

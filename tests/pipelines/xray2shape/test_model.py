"""The biplanar model: output shapes, the dimension expansion's orientation against the DRR, size."""

from pathlib import Path

import pytest
import torch

from hybridvision.backbones import build_backbone, build_decoder, count_parameters
from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.xray2shape import X2SPipeline
from hybridvision.pipelines.xray2shape.drr import render_drr
from hybridvision.pipelines.xray2shape.model import XRAY_DECODERS, BiplanarReconstructor, DimensionExpansion

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "xray2shape"


def cross_view(backbone, grid, classes=3):
    options = {"grid": grid, "classes": classes, "volume_channels": (4, 8, 8, 16, 16), "attention_heads": 2}
    return build_decoder("cross_view", backbone.feature_info, 1, backbone.spatial_dims, XRAY_DECODERS, **options)


def tiny_model(grid, classes):
    backbone = build_backbone("hybrid_test", in_channels=1, spatial_dims=2, drop_path=0.0)
    return BiplanarReconstructor(backbone, cross_view(backbone, grid, classes))


@pytest.mark.parametrize(("grid", "classes"), [((32, 32, 32), 3), ((32, 32, 48), 6)])  # femur, spine
def test_output_shapes(grid, classes):
    model = tiny_model(grid, classes).eval()
    views = torch.rand(2, 2, 2 * grid[2], 2 * grid[0])
    with torch.no_grad():
        logits = model(views)
    assert logits.shape == (2, classes, *grid)
    with pytest.raises(ValueError, match="views must be"):
        model(torch.rand(1, 2, 2 * grid[2] + 32, 2 * grid[0]))


def test_tiny_config_builds_the_configured_model():
    config = load_config(CONFIGS / "tiny.yaml")
    pipeline = X2SPipeline(config.model, config.data)
    model = pipeline.build_model().eval()
    rows, columns = pipeline.image_shape
    with torch.no_grad():
        assert model(torch.rand(1, 2, rows, columns)).shape == (1, 3, 32, 32, 32)
    assert pipeline.io_spec.outputs["pred"].class_names == ("background", "femur", "pelvis")


@pytest.mark.parametrize("name", ["femur", "spine"])
def test_shipped_configs_stay_small(name):
    config = load_config(CONFIGS / f"{name}.yaml")
    model = X2SPipeline(config.model, config.data).build_model()
    assert count_parameters(model) < 3_000_000


def copy_channel_expansion(view: str, depth: int) -> DimensionExpansion:
    """An expansion that copies input channel 0 to every depth (a plain back-projection)."""
    expansion = DimensionExpansion(view, 1, 1, depth)
    with torch.no_grad():
        expansion.project.weight.fill_(1.0)
        expansion.project.bias.zero_()
    return expansion


@pytest.mark.parametrize("view", ["ap", "lateral"])
def test_expansion_puts_a_pixel_on_the_ray_that_cast_it(view):
    """A single voxel's DRR pixel, expanded, lights the line through that voxel along the view's rays."""
    grid = (12, 12, 10)
    voxel = (2, 7, 8)  # x near the patient's left, y anterior, z superior: no symmetry hides a flip
    volume = torch.zeros(grid)
    volume[voxel] = 1.0
    image = render_drr(volume, spacing_mm=1.0, view=view).line_integral  # (Z, X) for AP, (Z, Y) lateral
    expanded = copy_channel_expansion(view, grid[1] if view == "ap" else grid[0])(image[None, None])[0, 0]
    assert expanded.shape == grid
    lit = expanded > 0.5
    expected = torch.zeros(grid, dtype=torch.bool)
    if view == "ap":
        expected[voxel[0], :, voxel[2]] = True  # every y at the voxel's (x, z)
    else:
        expected[:, voxel[1], voxel[2]] = True  # every x at the voxel's (y, z)
    assert torch.equal(lit, expected)


def test_expansion_follows_the_documented_image_axes():
    """AP pixel (row r, column c) is (x = X-1-c, z = Z-1-r); lateral (r, c) is (y = Y-1-c, z = Z-1-r)."""
    grid = (8, 8, 6)
    image = torch.zeros(1, 1, grid[2], grid[0])
    image[0, 0, 1, 2] = 1.0  # row 1 (near the top: superior), column 2
    ap = copy_channel_expansion("ap", grid[1])(image)[0, 0]
    lateral = copy_channel_expansion("lateral", grid[0])(image)[0, 0]
    assert torch.nonzero(ap.sum(1)).tolist() == [[grid[0] - 1 - 2, grid[2] - 1 - 1]]  # (x, z)
    assert torch.nonzero(lateral.sum(0)).tolist() == [[grid[1] - 1 - 2, grid[2] - 1 - 1]]  # (y, z)


def test_each_view_reaches_the_output():
    model = tiny_model((32, 32, 32), 3).eval()
    views = torch.rand(1, 2, 64, 64, requires_grad=True)
    model(views)[0, 1, 10:20, 10:20, 10:20].sum().backward()
    assert views.grad[0, 0].abs().sum() > 0 and views.grad[0, 1].abs().sum() > 0


def test_grid_checks():
    backbone = build_backbone("hybrid_test", in_channels=1, spatial_dims=2)
    with pytest.raises(ValueError, match="X == Y"):
        cross_view(backbone, (32, 48, 32))
    with pytest.raises(ValueError, match="multiple of 16"):
        cross_view(backbone, (24, 24, 32))
    with pytest.raises(ValueError, match="decoder cross_view needs a 2D backbone"):
        cross_view(build_backbone("hybrid_test", in_channels=1, spatial_dims=3), (32, 32, 32))

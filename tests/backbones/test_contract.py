"""The backbone contract, checked for every registered ``*_test`` size from its declarations."""

import pytest
import torch

from hybridvision.backbones import BACKBONES, build_backbone

TEST_SIZES = BACKBONES.names("*_test")
SIDE = {2: 64, 3: 32}


def build(name, channels, dims):
    """A test size as a task builds it (a fixed-size backbone is built for the test's side)."""
    extra = {"image_size": SIDE[dims]} if support_of(name).fixed_input_size else {}
    return build_backbone(name, in_channels=channels, spatial_dims=dims, **extra)


def cases():
    for name in TEST_SIZES:
        support = BACKBONES.entry(name).metadata["support"]
        for dims in support.spatial_dims:
            for channels in (1, 4, 13):
                if support.accepts_channels(channels):
                    yield pytest.param(name, dims, channels, id=f"{name}-{dims}d-in{channels}")


def test_every_family_has_a_test_size():
    assert {"swin_test", "convnext_test", "hybrid_test", "channelvit_test", "vit_test"} <= set(TEST_SIZES)


@pytest.mark.parametrize("name,dims,channels", list(cases()))
def test_outputs_match_feature_info(name, dims, channels):
    model = build(name, channels, dims)
    assert model.in_channels == channels and model.spatial_dims == dims
    support = BACKBONES.entry(name).metadata["support"]
    x = torch.randn(2, channels, *(SIDE[dims],) * dims)
    features = model(x)
    assert len(features) == len(model.feature_info)
    reductions = [info.reduction for info in model.feature_info]
    assert reductions == sorted(reductions), "levels must go fine to coarse"
    if support.full_resolution:
        assert reductions == [1]
    for feature, info in zip(features, model.feature_info):
        assert feature.shape == (2, info.channels, *(SIDE[dims] // info.reduction,) * dims)
        assert torch.isfinite(feature).all()


@pytest.mark.parametrize("name,dims,channels", [c for c in cases() if c.values[2] == 4])
def test_every_trainable_parameter_gets_a_gradient(name, dims, channels):
    model = build(name, channels, dims).train()
    features = model(torch.randn(2, channels, *(SIDE[dims],) * dims))
    sum(f.square().mean() for f in features).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"no gradient for {missing[:5]}"


@pytest.mark.parametrize("name,dims,channels", [c for c in cases() if c.values[2] == 4])
def test_same_seed_same_output(name, dims, channels):
    x = torch.randn(1, channels, *(SIDE[dims],) * dims)
    outputs = []
    for _ in range(2):
        torch.manual_seed(123)
        model = build(name, channels, dims).eval()
        outputs.append(model(x))
    for a, b in zip(*outputs):
        assert torch.equal(a, b)


def support_of(name):
    return BACKBONES.entry(name).metadata["support"]


@pytest.mark.parametrize(
    "name", [n for n in TEST_SIZES if not (support_of(n).full_resolution or support_of(n).fixed_input_size)]
)
def test_size_not_a_multiple_of_the_stride_is_refused_clearly(name):
    model = build_backbone(name, in_channels=1, spatial_dims=2)
    with pytest.raises(ValueError, match=f"multiple of {model.size_multiple}.*pad"):
        model(torch.randn(1, 1, 64, 48 + 1))


@pytest.mark.parametrize("name", [n for n in TEST_SIZES if support_of(n).full_resolution])
def test_full_resolution_bodies_take_any_size(name):
    model = build_backbone(name, in_channels=3, spatial_dims=2)
    (feature,) = model(torch.randn(1, 3, 23, 37))
    assert feature.shape == (1, model.feature_info[0].channels, 23, 37)


@pytest.mark.parametrize("name", TEST_SIZES)
def test_wrong_channels_dims_and_unsupported_dimensionality_are_refused(name):
    dims = support_of(name).spatial_dims[0]
    model = build(name, 4, dims)
    side = SIDE[dims]
    with pytest.raises(ValueError, match="4 input channels"):
        model(torch.randn(1, 3, *(side,) * dims))
    with pytest.raises(ValueError, match=f"expects a {dims + 2}D tensor"):
        model(torch.randn(1, 4, *(side,) * (5 - dims)))
    for unsupported in {2, 3} - set(support_of(name).spatial_dims):
        with pytest.raises(ValueError, match="spatial_dims"):
            extra = {"image_size": SIDE[dims]} if support_of(name).fixed_input_size else {}
            build_backbone(name, in_channels=4, spatial_dims=unsupported, **extra)


def test_spatial_dims_other_than_2_or_3_are_refused():
    with pytest.raises(ValueError, match="spatial_dims must be 2 or 3"):
        build_backbone("hybrid_test", in_channels=1, spatial_dims=1)

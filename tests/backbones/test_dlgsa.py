"""DLGSANet's mechanism: local weights made from the input, global weights sparse (ReLU, not softmax)."""

import torch

from hybridvision.backbones import build_backbone
from hybridvision.backbones.dlgsa import DLGSABlock, DynamicLocalAttention, SparseGlobalAttention


def test_local_weights_depend_on_the_input_and_differ_from_pixel_to_pixel():
    torch.manual_seed(0)
    local = DynamicLocalAttention(16, heads=2, kernel=5)
    x, y = torch.randn(1, 16, 12, 12), torch.randn(1, 16, 12, 12)
    weights = local.local_weights(x)
    assert weights.shape == (1, 2, 25, 12, 12)
    assert torch.allclose(weights.sum(2), torch.ones(1, 2, 12, 12), atol=1e-5)  # a weighted mean of the neighbourhood
    assert not torch.allclose(weights, local.local_weights(y), atol=1e-4)  # another input, other weights
    assert not torch.allclose(weights[..., 0, 0], weights[..., 5, 7], atol=1e-4)  # not one static kernel


def test_global_weights_are_non_negative_and_sparse():
    torch.manual_seed(0)
    attention = SparseGlobalAttention(16, heads=2)
    weights, values = attention.attention(torch.randn(2, 16, 10, 10))
    assert weights.shape == (2, 2, 8, 8) and values.shape == (2, 2, 8, 100)
    assert (weights >= 0).all()
    zeros = (weights == 0).float().mean()
    assert 0.2 < zeros < 0.8, f"ReLU leaves mismatched channel pairs at exactly 0 ({zeros:.2f} of them)"


def test_both_attentions_learn_and_the_body_keeps_full_resolution():
    torch.manual_seed(0)
    block = DLGSABlock(16, heads=2, kernel=5)
    x = torch.randn(1, 10, 10, 16)
    block(x).square().mean().backward()
    for part in (block.local, block.global_):
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters()), part
    body = build_backbone("dlgsa_test", in_channels=1, spatial_dims=2)
    (features,) = body(torch.randn(1, 1, 19, 23))
    assert features.shape == (1, 16, 19, 23) and body.feature_info[0].reduction == 1

"""ParaTransCNN's mechanism: both branches shape every level's output and both learn."""

import pytest
import torch

from hybridvision.backbones import build_backbone
from hybridvision.backbones.paratrans import ParallelBlock


@pytest.mark.parametrize("dims", [2, 3])
def test_removing_either_branch_changes_the_output(dims):
    torch.manual_seed(0)
    model = build_backbone("paratrans_test", in_channels=2, spatial_dims=dims).eval()
    x = torch.randn(1, 2, *(32,) * dims)
    blocks = [m for m in model.modules() if isinstance(m, ParallelBlock)]
    assert len(blocks) == 4
    with torch.no_grad():
        both = model(x)[-1]
        for kept in (("conv",), ("attention",)):
            for block in blocks:
                block.branches = kept
            assert not torch.allclose(model(x)[-1], both, atol=1e-5), f"only {kept}: the output must change"
        for block in blocks:
            block.branches = ("conv", "attention")
        assert torch.allclose(model(x)[-1], both)


def test_both_branches_and_the_gate_get_gradients():
    torch.manual_seed(0)
    block = ParallelBlock(2, 16, window=4)
    torch.nn.init.normal_(block.fuse.weight, std=0.1)
    x = torch.randn(2, 8, 8, 16, requires_grad=True)
    block(x).square().mean().backward()
    for part in (block.conv, block.attention, block.gate):
        grads = [p.grad for p in part.parameters()]
        assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads), part

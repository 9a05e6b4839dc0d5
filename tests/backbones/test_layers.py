import pytest
import torch
import torch.nn.functional as F

from hybridvision.backbones.layers import (
    ChannelAttention,
    DepthwiseConvBlock,
    DropPath,
    LayerNormChannelsFirst,
    PatchEmbed,
    PatchMerging,
    TransformerBlock,
)
from hybridvision.backbones.layers.window_attention import (
    grid_partition,
    grid_reverse,
    relative_position_index,
    shifted_window_mask,
    window_partition,
    window_reverse,
)


@pytest.mark.parametrize("sizes,window", [((8, 12), (4, 4)), ((4, 6, 8), (2, 3, 4))])
def test_window_and_grid_partitions_round_trip(sizes, window):
    x = torch.randn(2, *sizes, 5)
    assert torch.equal(window_reverse(window_partition(x, window), window, sizes), x)
    assert torch.equal(grid_reverse(grid_partition(x, window), window, sizes), x)


def test_a_window_holds_a_contiguous_block_and_a_grid_cell_a_strided_one():
    x = torch.arange(8 * 8).reshape(1, 8, 8, 1).float()
    windows = window_partition(x, (4, 4))
    assert torch.equal(windows[0, :, 0].reshape(4, 4), x[0, :4, :4, 0])
    grid = grid_partition(x, (4, 4))
    assert torch.equal(grid[0, :, 0].reshape(4, 4), x[0, ::2, ::2, 0])


def test_relative_position_index_covers_the_table_and_is_symmetric_in_offset():
    index = relative_position_index((3, 4, 5))
    assert index.shape == (60, 60)
    assert index.min() == 0 and index.max() == 5 * 7 * 9 - 1
    assert len(index.diagonal().unique()) == 1  # zero offset maps to one row


def test_shift_mask_separates_regions_wrapped_by_the_roll():
    mask = shifted_window_mask((8, 8), (4, 4), (2, 2))
    assert mask.shape == (4, 16, 16)
    assert (mask[0] == 0).all()  # the first window holds one region only
    assert (mask[-1] < 0).any()  # the last window mixes wrapped regions


def window_dependency(mode):
    """Does output at token (0, 0) change when a token in another window changes?"""
    torch.manual_seed(0)
    block = TransformerBlock(2, 8, 2, window=4, mode=mode).eval()
    x = torch.randn(1, 8, 8, 8)
    moved = x.clone()
    moved[0, 4, 6] = torch.randn(8) * 5  # another 4x4 window, but the same stride-2 grid group as (0, 0)
    return not torch.allclose(block(x)[0, 0, 0], block(moved)[0, 0, 0])


def test_plain_windows_are_independent_but_grid_attention_mixes_globally():
    assert not window_dependency("window")
    assert window_dependency("grid")


@pytest.mark.parametrize("mode", ["window", "shifted", "grid"])
@pytest.mark.parametrize("sizes", [(7, 9), (5, 6, 3)])
def test_transformer_block_takes_any_size(mode, sizes):
    block = TransformerBlock(len(sizes), 8, 2, window=4, mode=mode)
    assert block(torch.randn(2, *sizes, 8)).shape == (2, *sizes, 8)


def test_patch_merging_halves_sizes_and_pads_odd_ones():
    assert PatchMerging(3, 4)(torch.randn(1, 6, 5, 4, 4)).shape == (1, 3, 3, 2, 8)
    assert PatchMerging(2, 4, 6)(torch.randn(1, 6, 6, 4)).shape == (1, 3, 3, 6)


def test_patch_embed_and_channel_attention_shapes():
    assert PatchEmbed(3, 4, 12)(torch.randn(1, 4, 8, 8, 8)).shape == (1, 12, 4, 4, 4)
    assert ChannelAttention(2, 8)(torch.randn(2, 8, 5, 5)).shape == (2, 8, 5, 5)


def test_layer_norm_channels_first_matches_layer_norm_on_the_channel_axis():
    x = torch.randn(2, 6, 3, 4, 5)
    norm = LayerNormChannelsFirst(6)
    expected = F.layer_norm(x.movedim(1, -1), (6,), eps=1e-6).movedim(-1, 1)
    assert torch.allclose(norm(x), expected, atol=1e-5)


def test_depthwise_block_is_residual_and_keeps_shape():
    block = DepthwiseConvBlock(3, 8, 3, layer_scale=0.0)
    x = torch.randn(1, 6, 6, 6, 8)
    assert block(x).shape == x.shape


def test_drop_path_is_identity_in_eval_and_unbiased_in_training():
    layer = DropPath(0.5)
    x = torch.ones(20000, 1)
    assert torch.equal(layer.eval()(x), x)
    out = layer.train()(x)
    assert set(out.unique().tolist()) <= {0.0, 2.0}
    assert abs(out.mean().item() - 1.0) < 0.05
    with pytest.raises(ValueError):
        DropPath(1.0)


def test_training_after_inference_mode_works():
    """Cached index and mask tensors made under inference_mode must not leak into training."""
    block = TransformerBlock(3, 8, 2, window=3, mode="shifted")
    with torch.inference_mode():
        block(torch.randn(1, 6, 6, 6, 8))
    block(torch.randn(1, 6, 6, 6, 8)).sum().backward()
    assert block.attn.bias_table.grad is not None

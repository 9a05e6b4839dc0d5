"""Shared building blocks, written once, 2D and 3D where the idea allows."""

from .channel_attention import ChannelAttention
from .conv import ConvNormAct, conv_nd, conv_transpose_nd, make_activation, make_norm
from .conv_block import ConvPositionEncoding, DepthwiseConvBlock
from .drop_path import DropPath
from .mlp import Mlp
from .norm import LayerNormChannelsFirst
from .patch import PatchEmbed, PatchMerging
from .window_attention import TransformerBlock, WindowAttention, grid_partition, window_partition

__all__ = [
    "ChannelAttention",
    "ConvNormAct",
    "ConvPositionEncoding",
    "DepthwiseConvBlock",
    "DropPath",
    "LayerNormChannelsFirst",
    "Mlp",
    "PatchEmbed",
    "PatchMerging",
    "TransformerBlock",
    "WindowAttention",
    "conv_nd",
    "conv_transpose_nd",
    "grid_partition",
    "make_activation",
    "make_norm",
    "window_partition",
]

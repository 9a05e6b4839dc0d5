"""Convolution + normalisation + activation, written once for 2D and 3D."""

from __future__ import annotations

from torch import nn

from .norm import LayerNormChannelsFirst


def check_spatial_dims(spatial_dims: int) -> None:
    if spatial_dims not in (2, 3):
        raise ValueError(f"spatial_dims must be 2 or 3, got {spatial_dims}")


def conv_nd(spatial_dims: int) -> type[nn.Module]:
    """``nn.Conv2d`` or ``nn.Conv3d``."""
    check_spatial_dims(spatial_dims)
    return nn.Conv2d if spatial_dims == 2 else nn.Conv3d


def conv_transpose_nd(spatial_dims: int) -> type[nn.Module]:
    check_spatial_dims(spatial_dims)
    return nn.ConvTranspose2d if spatial_dims == 2 else nn.ConvTranspose3d


def make_norm(norm: str | None, spatial_dims: int, channels: int) -> nn.Module:
    """A channels-first normalisation layer by name: batch, instance, group, layer or None."""
    if norm is None or norm == "none":
        return nn.Identity()
    if norm == "batch":
        return (nn.BatchNorm2d if spatial_dims == 2 else nn.BatchNorm3d)(channels)
    if norm == "instance":
        return (nn.InstanceNorm2d if spatial_dims == 2 else nn.InstanceNorm3d)(channels, affine=True)
    if norm == "group":
        return nn.GroupNorm(min(8, channels), channels)
    if norm == "layer":
        return LayerNormChannelsFirst(channels)
    raise ValueError(f"unknown norm {norm!r}; use batch, instance, group, layer or none")


def make_activation(act: str | None) -> nn.Module:
    """An activation by name: gelu, relu, silu, leaky_relu or None."""
    table = {"gelu": nn.GELU, "relu": nn.ReLU, "silu": nn.SiLU, "leaky_relu": lambda: nn.LeakyReLU(0.01)}
    if act is None or act == "none":
        return nn.Identity()
    if act not in table:
        raise ValueError(f"unknown activation {act!r}; use {', '.join(table)} or none")
    return table[act]()


class ConvNormAct(nn.Sequential):
    """Conv -> norm -> activation; 'same' padding for odd kernels.

    Args:
        spatial_dims: 2 or 3.
        in_channels / out_channels: channel counts.
        kernel_size, stride, groups: as for ``nn.Conv*d``.
        norm: batch, instance, group, layer or None.
        act: gelu, relu, silu, leaky_relu or None.
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        groups: int = 1,
        norm: str | None = "batch",
        act: str | None = "gelu",
    ):
        conv = conv_nd(spatial_dims)(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=kernel_size // 2 if stride == 1 or kernel_size % 2 else 0,
            groups=groups,
            bias=norm in (None, "none"),
        )
        super().__init__(conv, make_norm(norm, spatial_dims, out_channels), make_activation(act))

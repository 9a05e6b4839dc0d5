"""Any timm model as a 2D backbone: ``timm:<model name>`` through ``features_only=True``.

Weights come only from a local file (safetensors, or a state dict read with
``weights_only=True``); ``pretrained`` is never passed to timm, so building never touches the
network. ``frozen: true`` turns off gradients, for adapters that train a small part on top.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .contract import BACKBONES, Backbone, FeatureInfo, Support


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a state dict from ``.safetensors`` or a torch file (``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict, found {type(state).__name__}")
    return state


class TimmBackbone(Backbone):
    """A timm feature extractor under the suite's contract.

    Args:
        model_name: a timm model name (``timm.list_models()``).
        in_channels: input channels (timm adapts the first convolution).
        spatial_dims: must be 2.
        weights: optional local weights file for the timm model (its own key names).
        frozen: freeze every parameter.
        out_indices: which timm feature levels to return (default: all).
    """

    def __init__(
        self,
        model_name: str,
        in_channels: int = 3,
        spatial_dims: int = 2,
        weights: str | None = None,
        frozen: bool = False,
        out_indices: tuple[int, ...] | None = None,
    ):
        import timm

        if spatial_dims != 2:
            raise ValueError(f"timm:{model_name} is 2D only; spatial_dims={spatial_dims} was asked")
        if model_name not in timm.list_models():
            raise ValueError(f"unknown timm model {model_name!r} (see timm.list_models())")
        kwargs = {"out_indices": tuple(out_indices)} if out_indices is not None else {}
        model = timm.create_model(model_name, pretrained=False, features_only=True, in_chans=in_channels, **kwargs)
        infos = [FeatureInfo(c, r) for c, r in zip(model.feature_info.channels(), model.feature_info.reduction())]
        super().__init__(in_channels, spatial_dims, infos)
        self.model_name = model_name
        self.model = model
        if weights:
            self.load_weights(weights)
        if frozen:
            self.requires_grad_(False)

    def load_weights(self, path: str | Path) -> None:
        """Load a timm-format state dict; keys of heads that features_only drops are ignored."""
        state = load_state_dict(path)
        own = self.model.state_dict()
        matched = {k: v for k, v in state.items() if k in own}
        missing = sorted(set(own) - set(matched))
        if missing:
            raise ValueError(
                f"{path}: {len(missing)} weights of timm:{self.model_name} are missing, e.g. {missing[:3]}"
            )
        self.model.load_state_dict(matched)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x: (B, C, H, W), H and W multiples of the largest reduction."""
        self.check_input(x)
        return list(self.model(x))


BACKBONES.register_prefix(
    "timm",
    lambda model_name, **kwargs: TimmBackbone(model_name, **kwargs),
    support=Support(spatial_dims=(2,)),
    family="timm",
    description="any timm model, features_only; weights from a local file only",
)

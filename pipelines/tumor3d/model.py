"""tumor3d's network: any hierarchical 3D backbone of the registry plus the ``unet`` decoder.

After Swin UNETR (Hatamizadeh et al., 2022): the decoder (``backbones/decoders/unet.py``) joins
every backbone level by a skip, plus a full-resolution skip from the input. Three sigmoid outputs:
whole tumour (WT), tumour core (TC), enhancing tumour (ET). The model is an ``EncoderDecoder``
built from ``model: {backbone, decoder}`` (``pipelines/common/composition.py``).
"""

from __future__ import annotations

import torch

# checkpoints saved before the decoder registry kept the decoder's parts at the top level
LEGACY_PREFIXES = ("input_skip.", "up_blocks.", "head.")


def migrate_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """State-dict keys of a checkpoint saved before the decoder registry, moved under ``decoder.``."""
    return {(f"decoder.{k}" if k.startswith(LEGACY_PREFIXES) else k): v for k, v in state.items()}

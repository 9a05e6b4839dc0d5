"""Moving the channel axis between (B, C, *S) and (B, *S, C) with explicit permutations.

``movedim`` with negative axes exports to ONNX as an invalid Transpose; explicit axes work everywhere.
"""

from __future__ import annotations

import torch


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """(B, C, *S) -> (B, *S, C), a view."""
    return x.permute(0, *range(2, x.ndim), 1)


def channels_first(x: torch.Tensor) -> torch.Tensor:
    """(B, *S, C) -> (B, C, *S), a view."""
    return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))

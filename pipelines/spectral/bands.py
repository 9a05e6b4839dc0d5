"""Band subsets: named ones for robustness tests, and Hierarchical Channel Sampling for training.

HCS (ChannelViT, Bao et al. 2024): first draw how many channels to keep, uniformly, then which
ones, uniformly; the model sees every subset size equally often, so it still works when bands
are missing at test time. With band-group tokens (``group_size`` > 1) the tokens are the groups:
HCS draws groups that way, and half the time also thins the bands inside the kept groups, so a
model sees both whole spectral regions missing and bands missing throughout.
"""

from __future__ import annotations

import numpy as np
import torch

NAMED_SUBSETS = {
    "all": "every band",
    "every-other": "bands 0, 2, 4, ... (half the bands, spread over the range)",
    "first-half": "the first half of the bands (a sensor whose SWIR is lost)",
    "second-half": "the second half of the bands",
    "one": "a single band, the middle one",
}


def band_subset(spec: str, bands: int) -> np.ndarray:
    """Sorted band indices for a named subset or a list of ranges like ``0-63,80,90-99`` (0-based).

    Raises:
        ValueError: an unknown name, a malformed range or an index out of ``[0, bands)``.
    """
    spec = spec.strip().lower()
    if spec in ("", "all"):
        return np.arange(bands)
    if spec == "every-other":
        return np.arange(0, bands, 2)
    if spec == "first-half":
        return np.arange(bands // 2)
    if spec == "second-half":
        return np.arange(bands // 2, bands)
    if spec == "one":
        return np.array([bands // 2])
    chosen: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            names = ", ".join(NAMED_SUBSETS)
            raise ValueError(f"--bands {spec!r}: use one of {names}, or ranges like 0-63,80") from None
        if not 0 <= first <= last < bands:
            raise ValueError(f"--bands {spec!r}: {part.strip()} is outside bands 0-{bands - 1}")
        chosen.update(range(first, last + 1))
    return np.array(sorted(chosen))


def dead_bands(data: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """(bands,) True where a band is constant over the valid pixels of a (bands, H, W) sample.

    A dead detector line reads one value everywhere; fed to the model it looks like a real
    measurement and, with half the bands gone, can sway the class (a dead band in a kept group
    cost one test scene 26 points). Treated as missing, it costs nothing: the model takes subsets.
    """
    values = data[:, valid] if valid is not None else data.reshape(len(data), -1)
    if values.shape[1] < 2:
        return np.zeros(len(data), bool)
    return values.max(1) == values.min(1)


def hierarchical_channel_sample(
    bands: int, generator: torch.Generator, minimum: int = 1, group_size: int = 1
) -> torch.Tensor:
    """HCS: sorted indices of a random band subset.

    Args:
        minimum: the fewest tokens (bands, or groups) kept.
        group_size: bands per token; > 1 samples groups, then (half the time) bands within them.
    """
    tokens = -(-bands // group_size)
    count = int(torch.randint(min(minimum, tokens), tokens + 1, (1,), generator=generator))
    chosen = torch.randperm(tokens, generator=generator)[:count].sort().values
    if group_size == 1:
        return chosen
    members = (chosen[:, None] * group_size + torch.arange(group_size)[None]).clamp(max=bands - 1)
    keep = torch.ones_like(members, dtype=torch.bool)
    if torch.rand(1, generator=generator) < 0.5:
        share = float(torch.empty(1).uniform_(0.3, 1.0, generator=generator))
        keep = torch.rand(members.shape, generator=generator) < share
        keep[torch.arange(len(members)), torch.randint(group_size, (len(members),), generator=generator)] = True
    return members[keep].unique()

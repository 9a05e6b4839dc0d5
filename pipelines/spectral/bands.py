"""Band subsets: named ones for robustness tests, and Hierarchical Channel Sampling for training.

HCS (ChannelViT, Bao et al. 2024): first draw how many channels to keep, uniformly, then which
ones, uniformly; the model sees every subset size equally often, so it still works when bands
are missing at test time.
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


def hierarchical_channel_sample(bands: int, generator: torch.Generator, minimum: int = 1) -> torch.Tensor:
    """HCS: a count uniform in [minimum, bands], then that many distinct bands; sorted indices."""
    count = int(torch.randint(minimum, bands + 1, (1,), generator=generator))
    return torch.randperm(bands, generator=generator)[:count].sort().values

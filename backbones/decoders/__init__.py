"""Decoders: task heads that fit any backbone whose features they accept.

A decoder is built from a backbone's contract (``feature_info``, ``in_channels``,
``spatial_dims``), never from its family, and declares what it needs (``Needs``); the contract
tests pair every backbone with every decoder that accepts it. A new decoder is one file here plus
its ``@DECODERS.register`` line.
"""

from . import classifier, pixel, pixel_shuffle, unet  # noqa: E402,F401  (registers the decoders)
from .base import DECODERS, Needs, build_decoder

__all__ = ["DECODERS", "Needs", "build_decoder"]

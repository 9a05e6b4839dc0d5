"""The dense scene design: a network over whole windows of a scene, one class map out, trained on
sparse labelled pixels.

A pretrained 2D encoder (EfficientNet-Lite0, stride 32) cannot read a 9 x 9 neighbourhood, so it
reads windows (``model.patch`` on a side, 64 by default) and a per-pixel decoder (``unet``) upsamples
its levels back to every pixel. Only a few pixels per class are labelled: each training window
is placed around one of them, every other pixel of it is ``IGNORE`` in the label map, and the loss
reads the labelled ones only. Validation tiles the scenes and labels a sample of their other pixels.

Here: what prediction runs (a strip in, its class map out). The training windows are training
data (``data.py``: ``SparseWindows``, ``TiledWindows``), so prediction imports no augmentation.
"""

from __future__ import annotations

import numpy as np

IGNORE = -1  # the label of a pixel the loss does not read


def classify_dense(data: np.ndarray, halo: int, multiple: int, predict) -> np.ndarray:
    """Per-pixel class probabilities of a strip in one pass: (bands, rows + 2 halo, W) ->
    (rows, W, classes). Columns get a mirrored halo too; both sides are padded up to ``multiple``
    (the encoder's coarsest reduction), and ``predict`` maps (1, bands, H, W) to (1, classes, H, W)."""
    rows, width = data.shape[1] - 2 * halo, data.shape[2]
    data = np.pad(data, ((0, 0), (0, 0), (halo, halo)), mode="symmetric")
    extra = [(-size) % multiple for size in data.shape[1:]]
    data = np.pad(data, ((0, 0), (0, extra[0]), (0, extra[1])), mode="symmetric")
    probabilities = predict(data[None])[0]  # (classes, H, W)
    return probabilities[:, halo : halo + rows, halo : halo + width].transpose(1, 2, 0)

"""An INT8 ONNX file (``hybridvision quantize``) in the torch network's place, and the checkpoint
metadata it carries: what ``load_checkpoint`` needs to run one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F

from ..errors import InputError
from .stand_in import NetworkStandIn, band_key

METADATA_KEY = "hybridvision"


class Int8Network(NetworkStandIn):
    """An INT8 ONNX file in the torch network's place: one window shape, run by ONNX Runtime.

    Where output and input have the same spatial rank, a smaller window (a tile at the image's edge)
    is padded to the quantised one by repeating its edge and the output cut back; ``output_window``
    (recorded at quantisation) gives the output's size per input pixel (super-resolution's scale).
    Otherwise (two views in, a volume out) the window must be the quantised one. A network that takes
    a band subset (spectral's ``channel_ids``) was quantised for one, and takes that one only.
    """

    def __init__(
        self,
        path: Path,
        window: list[int],
        output_window: list[int] | None = None,
        channel_ids: list[int] | None = None,
        receptive_field: int | None = None,
        threads: int | None = None,
    ):
        super().__init__()
        from .onnx_runtime import cpu_session

        self.session = cpu_session(path, threads)
        self.window, self.path = tuple(window), path
        self.bands = None if channel_ids is None else tuple(channel_ids)
        self.receptive_field = receptive_field  # the torch network's, for a task reading strips with a halo
        output = tuple(output_window or window)
        self.pads = len(output) == len(self.window)
        self.ratios = [out / size for out, size in zip(output[1:], self.window[1:])] if self.pads else []
        if self.ratios and all(r == self.ratios[0] for r in self.ratios) and self.ratios[0] > 1:
            self.scale = int(self.ratios[0])  # an upscaling network says its factor as the torch one does

    def forward(self, x: torch.Tensor, channel_ids: torch.Tensor | None = None) -> torch.Tensor:
        bands = band_key(channel_ids)
        if bands != self.bands:
            raise InputError(
                f"{self.path.name}: quantised for {band_set(self.bands)}, this input has {band_set(bands)} "
                "(quantize on samples of its sensor, or use the checkpoint)"
            )
        if not (fits(x, self.window) if self.pads else tuple(x.shape[1:]) == self.window):
            raise InputError(
                f"{self.path.name}: quantised for windows of {'x'.join(map(str, self.window))}, "
                f"given {'x'.join(map(str, x.shape[1:]))}"
            )
        window = padded(x, self.window)
        outputs = [self.session.run(None, {"image": window[i : i + 1].cpu().numpy()})[0] for i in range(len(x))]
        out = torch.cat([torch.from_numpy(o) for o in outputs])
        if self.pads:
            out = out[(slice(None), slice(None), *(slice(0, round(s * r)) for s, r in zip(x.shape[2:], self.ratios)))]
        return out.to(x.device)


def band_set(bands: tuple[int, ...] | None) -> str:
    return "all the model's bands" if bands is None else f"the model's bands {list(bands)}"


def fits(x: torch.Tensor, window: tuple[int, ...]) -> bool:
    """Whether ``x`` (batch first) has the window's channels and no side longer than the window's."""
    return x.shape[1] == window[0] and all(s <= w for s, w in zip(x.shape[2:], window[1:]))


def padded(x: torch.Tensor, window: tuple[int, ...]) -> torch.Tensor:
    """``x`` padded at the far end of each spatial side up to ``window``, edge values repeated."""
    pad = [p for s, w in zip(reversed(x.shape[2:]), reversed(window[1:])) for p in (0, w - s)]
    return F.pad(x.float(), pad, mode="replicate") if any(pad) else x.float()


def read_onnx_metadata(path: Path) -> dict[str, Any]:
    """The checkpoint metadata an INT8 file carries."""
    import onnx

    try:
        props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    except Exception as error:
        raise InputError(f"{path}: not a readable ONNX file ({error})") from error
    if METADATA_KEY not in props:
        raise InputError(f"{path}: an ONNX file without hybridvision metadata (write one with hybridvision quantize)")
    return json.loads(props[METADATA_KEY])

"""An INT8 ONNX file (``hybridvision quantize``) in the torch network's place, and the checkpoint
metadata it carries: what ``load_checkpoint`` needs to run one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import InputError

METADATA_KEY = "hybridvision"


class Int8Network(nn.Module):
    """An INT8 ONNX file in the torch network's place: one window shape, run by ONNX Runtime."""

    def __init__(self, path: Path, window: list[int], threads: int | None = None):
        super().__init__()
        from .onnx_runtime import cpu_session

        self.session = cpu_session(path, threads)
        self.window, self.path = tuple(window), path
        self.probe = nn.Parameter(torch.zeros(1), requires_grad=False)  # pipelines ask a parameter for the device

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.window:
            given = "x".join(map(str, x.shape[1:]))
            raise InputError(
                f"{self.path.name}: quantised for windows of {'x'.join(map(str, self.window))}, given {given}"
            )
        outputs = [self.session.run(None, {"image": x[i : i + 1].float().cpu().numpy()})[0] for i in range(len(x))]
        return torch.cat([torch.from_numpy(o) for o in outputs]).to(x.device)


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

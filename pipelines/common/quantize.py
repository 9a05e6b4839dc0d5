"""``hybridvision quantize CHECKPOINT --output FILE.onnx``: an INT8 network for ONNX Runtime.

Static post-training quantisation with ONNX Runtime (QDQ format: weights per channel in int8,
activations in uint8), calibrated on the very windows ``predict`` feeds the network: generated
samples of the task run through the batch runner with a recorder in place of the network. ONNX
Runtime over OpenVINO/NNCF: it is already the ``deploy`` runtime, installs from PyPI as one wheel,
and runs the file ``predict --checkpoint FILE.onnx`` reads. The file carries the checkpoint's
metadata (config, provenance) and how it was calibrated, so predict rebuilds the task around it;
its window shape is fixed (the one predict uses at the checkpoint's settings; smaller windows, as a
super-resolution tile at an image's edge, are padded to it).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from ..errors import InputError
from .atomic import atomic_outputs
from .int8_network import METADATA_KEY, fits, padded
from .stand_in import NetworkStandIn, band_key

HEAVY_OPS = ("Conv", "ConvTranspose", "MatMul", "Gemm")  # the weight-carrying operators


class WindowRecorder(NetworkStandIn):
    """The network, keeping a copy of each window it is given (one sample each, up to ``limit``) and
    the band subset it came with (``channel_ids``; None: all the model's bands)."""

    def __init__(self, model: nn.Module, limit: int = 24):
        super().__init__(model)
        self.limit, self.windows = limit, []

    def forward(self, x: torch.Tensor, channel_ids: torch.Tensor | None = None) -> torch.Tensor:
        model = self.torch_model[0]
        for sample in x:
            if len(self.windows) < self.limit:  # a copy: not an inference tensor
                self.windows.append((band_key(channel_ids), sample[None].detach().float().cpu().numpy().copy()))
        return model(x) if channel_ids is None else model(x, channel_ids=channel_ids)


def calibration_windows(pipeline, model: nn.Module, count: int, seed: int, log: Callable[[str], None]):
    """The band subset and the windows (arrays, batch 1) predict gives the network on ``count``
    generated samples of the task (``Pipeline.calibration_samples``), padded to the one the file is
    quantised for (``Pipeline.int8_window``)."""
    from rich.console import Console

    from .batch import run_batch

    recorder = WindowRecorder(model)
    with tempfile.TemporaryDirectory() as folder:
        samples = Path(folder) / "samples"
        type(pipeline).write_samples(samples, count, seed, **pipeline.calibration_samples())
        log(f"calibrating on {count} generated sample(s) of {pipeline.name}")
        run_batch(pipeline, recorder, samples / "inputs", Path(folder) / "out", console=Console(quiet=True))
    if not recorder.windows:
        raise InputError(f"quantize: the {pipeline.name} samples gave the network no window to calibrate on")
    (bands, common), _ = Counter((b, w.shape[1:]) for b, w in recorder.windows).most_common(1)[0]
    window = tuple(pipeline.int8_window(model, common))
    kept = [torch.from_numpy(w) for b, w in recorder.windows if b == bands]
    return bands, [padded(w, window).numpy() for w in kept if fits(w, window)]


class Calibration:
    """ONNX Runtime's CalibrationDataReader over recorded windows."""

    def __init__(self, windows: list):
        self.items = iter([{"image": w} for w in windows])

    def get_next(self) -> dict | None:
        return next(self.items, None)


@contextmanager
def quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def int8_share(path: Path) -> float:
    """Share of the network's Conv/MatMul/Gemm nodes whose weights ONNX Runtime runs quantised (QDQ)."""
    import onnx

    graph = onnx.load(str(path)).graph
    made_by = {out: node.op_type for node in graph.node for out in node.output}
    heavy = [node for node in graph.node if node.op_type in HEAVY_OPS]
    quantised = [n for n in heavy if all(made_by.get(i) == "DequantizeLinear" for i in n.input[:2])]
    return len(quantised) / max(len(heavy), 1)


def int8_files(pipeline, network: nn.Module, windows: list, folder: Path) -> tuple[Path, Path]:
    """``folder/fp32.onnx``, ``network`` exported on the first window, and ``folder/int8.onnx``, its
    static quantisation calibrated on ``windows``."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    from .onnx_runtime import export

    fp32, quantised = folder / "fp32.onnx", folder / "int8.onnx"
    export(network, torch.from_numpy(windows[0]), fp32)
    # the first layer stays in float (a view's grey levels in uint8 cost femur INT8 17% of its bone
    # voxels' labels; with its stem convolution in float, 2.5%)
    first = next(node.name for node in onnx.load(str(fp32)).graph.node if node.op_type in HEAVY_OPS)
    with quiet_root_logger():  # ONNX Runtime warns on the root logger for every norm layer's 1-D weight
        quantize_static(
            str(fp32), str(quantised), Calibration(windows), quant_format=QuantFormat.QDQ, per_channel=True,
            weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
            calibrate_method=CalibrationMethod.MinMax,
            op_types_to_quantize=list(pipeline.int8_operators) if pipeline.int8_operators else None,
            nodes_to_exclude=[first],
        )  # fmt: skip
    return fp32, quantised


def quantize_checkpoint(
    checkpoint: str | Path, output: Path, samples: int = 2, seed: int = 5000, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Write the INT8 ONNX file of ``checkpoint`` to ``output``; returns what it recorded."""
    import onnx

    from .checkpoint import load_checkpoint
    from .onnx_runtime import FixedBands

    output = Path(output)
    if output.suffix != ".onnx":
        raise InputError(f"--output {output}: an INT8 network is written as .onnx")
    pipeline, model, metadata = load_checkpoint(checkpoint)
    bands, windows = calibration_windows(pipeline, model, samples, seed, log)
    network = model if bands is None else FixedBands(model, torch.tensor(bands))
    with torch.no_grad():
        output_window = list(network(torch.from_numpy(windows[0])).shape[1:])
    with tempfile.TemporaryDirectory() as folder:
        _, quantised = int8_files(pipeline, network, windows, Path(folder))
        share = int8_share(quantised)
        facts = {
            "window": list(windows[0].shape[1:]),
            "output_window": output_window,
            "channel_ids": None if bands is None else list(bands),
            "receptive_field": getattr(model, "receptive_field", None),  # a dense per-pixel model's halo
            "calibration": f"{len(windows)} windows of {samples} generated {pipeline.name} samples (seed {seed})",
            "quantisation": "ONNX Runtime static, QDQ, int8 weights per channel, uint8 activations, min-max",
            "int8_share_of_conv_matmul_nodes": round(share, 3),
            "source_sha256": pipeline.checkpoint["sha256"],
        }
        network = onnx.load(str(quantised))
        entry = network.metadata_props.add()
        entry.key, entry.value = METADATA_KEY, json.dumps({**metadata, "int8": facts})
        with atomic_outputs({"onnx": output}) as temps:
            onnx.save(network, str(temps["onnx"]))
    return facts

"""Distance to the limit: a network's FLOPs, a matrix-multiply peak measured in the same run, and
which of an ONNX Runtime session's multiply-adds ran in integer kernels.

FLOPs come from ``torch.utils.flop_counter`` (2 per multiply-add, convolutions and matrix products;
elementwise work is not counted), so achieved GFLOP/s is the network's useful work per second,
whichever runtime ran it. The share of multiply-adds executed in INT8 is read from what ONNX Runtime
actually ran (its profile, one event per kernel, joined by name to the graph it optimised: every
fusion, no layout change), not from
the quantised file's QDQ wrapping: a node left as float Conv/MatMul between dequantise and quantise
nodes counts as float.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch

CONV_KERNELS = {"Conv", "FusedConv", "NhwcFusedConv", "QLinearConv", "ConvInteger", "NhwcQLinearConv"}
MATMUL_KERNELS = {
    "MatMul", "FusedMatMul", "Gemm", "FusedGemm", "QLinearMatMul", "MatMulInteger", "MatMulIntegerToFloat",
    "DynamicQuantizeMatMul", "QGemm",
}  # fmt: skip
TRANSPOSED_CONV_KERNELS = {"ConvTranspose", "QLinearConvTranspose"}


def is_integer_kernel(op_type: str) -> bool:
    return op_type.startswith("QLinear") or "Integer" in op_type or op_type in ("QGemm", "DynamicQuantizeMatMul")


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def median_seconds(work: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``repeats`` calls after one warm-up call."""
    work()
    times = sorted(timed(work) for _ in range(repeats))
    return times[len(times) // 2]


def matmul_peak(threads: int, side: int = 2048, repeats: int = 5) -> float:
    """float32 GFLOP/s of a square matrix multiply on ``threads`` threads (the best of ``repeats``)."""
    torch.set_num_threads(threads)
    a, b = torch.rand(side, side), torch.rand(side, side)
    torch.mm(a, b)
    best = min(timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    return 2 * side**3 / best / 1e9


def peak_in_child(threads: int, queue) -> None:
    """``matmul_peak`` for ``bench.isolated``: a fresh process, like the timed models beside it."""
    queue.put(matmul_peak(threads))


def flops_of(work: Callable[[], Any]) -> int:
    """FLOPs of the torch work ``work()`` does (2 per multiply-add), as ``torch.utils.flop_counter``
    counts them."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        work()
    return int(counter.get_total_flops())


def network_flops(network: torch.nn.Module, *inputs: torch.Tensor) -> int:
    """FLOPs of one call of ``network``."""
    return flops_of(lambda: network(*inputs))


def kernel_multiply_adds(op_type: str, inputs: list, output: list, weight: list | None) -> int:
    """Multiply-adds of one executed kernel from its shapes (0 for kernels without a weight product)."""
    if op_type in CONV_KERNELS and weight is not None:
        return math.prod(output) * math.prod(weight[1:])
    if op_type in TRANSPOSED_CONV_KERNELS and weight is not None and inputs:
        return math.prod(inputs[0]) * math.prod(weight[1:])
    if op_type in MATMUL_KERNELS and inputs and len(inputs[0]) >= 2:
        return math.prod(output) * inputs[0][-1]
    return 0


def executed_multiply_adds(onnx_file: Path, feed: dict, threads: int) -> dict[str, Any]:
    """Run ``onnx_file`` once with ONNX Runtime's profiler: multiply-adds by the kernel that ran them,
    and the share of them that ran in integer kernels."""
    import onnx
    import onnxruntime

    with tempfile.TemporaryDirectory() as folder:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(folder) / "profile")
        options.optimized_model_filepath = str(Path(folder) / "optimised.onnx")
        # without layout optimisations, which pad channels to the SIMD block (a padded kernel counts more
        # multiply-adds than the network has); they change layouts, never which kernels run in INT8
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        session.run(None, feed)
        events = json.loads(Path(session.end_profiling()).read_text())
        graph = onnx.load(options.optimized_model_filepath).graph
    weights = {i.name: list(i.dims) for i in graph.initializer}
    nodes = {node.name: node for node in graph.node}
    by_kernel: dict[str, int] = {}
    for event in events:
        name = event.get("name", "")
        if event.get("cat") != "Node" or not name.endswith("_kernel_time"):
            continue
        node = nodes.get(name.removesuffix("_kernel_time"))
        if node is None:
            continue
        args = event["args"]
        shapes = [next(iter(s.values())) for s in args.get("input_type_shape", [])]
        output = next(iter(args["output_type_shape"][0].values())) if args.get("output_type_shape") else []
        weight = next((weights[i] for i in node.input if len(weights.get(i, [])) >= 3), None)
        if weight is None and len(shapes) > 1 and len(shapes[1]) >= 3:  # a weight dequantised as it runs
            weight = shapes[1]
        count = kernel_multiply_adds(node.op_type, shapes, output, weight)
        if count:
            by_kernel[node.op_type] = by_kernel.get(node.op_type, 0) + count
    total = sum(by_kernel.values())
    integer = sum(v for k, v in by_kernel.items() if is_integer_kernel(k))
    return {"multiply_adds": total, "by_kernel": by_kernel, "int8_share": integer / total if total else 0.0}

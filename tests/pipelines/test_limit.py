"""``bench runtimes``' measures: FLOPs per window, and which multiply-adds ONNX Runtime ran in integer
kernels (read from its profile), on a small network of convolutions, a linear layer and a
transposed convolution, exported and quantised as ``quantize`` does."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from hybridvision.bench.limit import executed_multiply_adds, kernel_multiply_adds, network_flops
from hybridvision.pipelines.common.quantize import int8_files


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.body = nn.Conv2d(8, 16, 3, padding=1)
        self.mix = nn.Linear(16, 16)
        self.up = nn.ConvTranspose2d(16, 4, 2, stride=2)

    def forward(self, x):
        x = torch.relu(self.body(torch.relu(self.stem(x))))
        x = self.mix(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.up(x)


class Quantisable:  # what int8_files asks of a pipeline
    int8_operators = None


def multiply_adds(side: int) -> int:
    pixels = side * side
    return pixels * (8 * 3 * 9 + 16 * 8 * 9 + 16 * 16 + 16 * 4 * 4)


def test_flops_count_two_per_multiply_add():
    torch.manual_seed(0)
    assert network_flops(Small().eval(), torch.rand(1, 3, 16, 16)) == 2 * multiply_adds(16)


def test_the_profile_gives_every_multiply_add_and_which_ran_in_int8(tmp_path):
    torch.manual_seed(0)
    windows = [np.random.default_rng(i).random((1, 3, 16, 16), dtype=np.float32) for i in range(3)]
    fp32, int8 = int8_files(Quantisable(), Small().eval(), windows, tmp_path)
    feed = {"image": windows[0]}
    float_run, int8_run = executed_multiply_adds(fp32, feed, 1), executed_multiply_adds(int8, feed, 1)
    assert float_run["multiply_adds"] == int8_run["multiply_adds"] == multiply_adds(16)
    assert float_run["int8_share"] == 0.0
    # the stem stays in float (quantize keeps the first layer); the body and the linear layer run as
    # integer kernels; the transposed convolution's weight is dequantised and it runs in float
    integer = 256 * (16 * 8 * 9 + 16 * 16)
    assert abs(int8_run["int8_share"] - integer / multiply_adds(16)) < 1e-9
    assert int8_run["by_kernel"].get("Conv") == 256 * 8 * 3 * 9


def test_kernel_shapes():
    assert kernel_multiply_adds("QLinearConv", [[1, 8, 8, 4]], [1, 8, 8, 6], [6, 4, 3, 3]) == 64 * 6 * 36
    assert kernel_multiply_adds("MatMul", [[2, 10, 7], [7, 5]], [2, 10, 5], None) == 100 * 7
    assert kernel_multiply_adds("ConvTranspose", [[1, 16, 4, 4]], [1, 4, 8, 8], [16, 4, 2, 2]) == 256 * 16
    assert kernel_multiply_adds("Relu", [[1, 4]], [1, 4], None) == 0

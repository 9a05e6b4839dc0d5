"""The window planners: tiles and strips cover the image exactly once by their cores, read their
context inside the image, and stream writes each core once."""

import numpy as np
import pytest

from hybridvision.pipelines.common.inference import stream, strips, tiles


def covered(windows, height, width):
    count = np.zeros((height, width), int)
    for window in windows:
        top, left, h, w = window.core
        count[top : top + h, left : left + w] += 1
        c_top, c_left, c_h, c_w = window.context
        assert 0 <= c_top <= top and top + h <= c_top + c_h <= height
        assert 0 <= c_left <= left and left + w <= c_left + c_w <= width
    return count


@pytest.mark.parametrize(
    "height,width,tile,overlap,multiple", [(90, 110, 48, 12, 4), (33, 7, 64, 5, 8), (256, 256, 256, 16, 16)]
)
def test_tiles_cover_once_with_origins_on_the_window_grid(height, width, tile, overlap, multiple):
    windows = tiles(height, width, tile, overlap, multiple)
    assert (covered(windows, height, width) == 1).all()
    assert all(w.core[0] % multiple == 0 and w.core[1] % multiple == 0 for w in windows)
    assert all(
        max(w.context[2], w.context[3]) <= max(tile, multiple + 2 * -(-overlap // multiple) * multiple) for w in windows
    )


def test_strips_cover_once_and_say_how_much_halo_was_read():
    windows = strips(40, 17, 7, 2)
    assert (covered(windows, 40, 17) == 1).all()
    assert windows[0].margins == (0, 2) and windows[1].margins == (2, 2) and windows[-1].margins == (2, 0)


def test_stream_reads_predicts_and_writes_each_window_in_order():
    image = np.arange(30 * 20).reshape(30, 20)
    out = np.zeros_like(image)
    seen = []

    def read(window):
        top, left, h, w = window.context
        return image[top : top + h, left : left + w]

    def write(window, core):
        top, left, h, w = window.core
        out[top : top + h, left : left + w] = core

    stream(
        tiles(30, 20, 16, 3, 2), read, lambda data, w: data[w.core_in_context], write, lambda i, n: seen.append((i, n))
    )
    assert np.array_equal(out, image) and seen[-1][0] == seen[-1][1] == len(seen)

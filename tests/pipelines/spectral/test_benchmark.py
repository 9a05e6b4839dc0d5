"""bench spectral: its pieces on a tiny scene (nothing is timed against a target here)."""

import numpy as np
import pytest

from hybridvision.bench.spectral import benchmark
from hybridvision.pipelines.spectral.data import LabelledScene, stratified_split
from hybridvision.pipelines.spectral.training_data import generated_scene


@pytest.fixture(scope="module")
def scene():
    cube, labels = generated_scene(32, 128, 7)
    train, rest = stratified_split(labels, 0.2, 0, np.random.default_rng(0))
    return LabelledScene(cube, labels, train, rest)


def test_hcs_training_and_the_band_table(scene):
    model = benchmark.build("channelvit", {"dim": 16, "depth": 1, "heads": 2, "group_size": 16})
    assert benchmark.fit(model, scene, steps=5, hcs=True, batch=16) > 0
    table = benchmark.band_table(model, scene, limit=200)
    assert set(table) == {*benchmark.SUBSETS, "worst drop", "pixels_per_s"}
    assert all(0 <= table[s] <= 100 for s in benchmark.SUBSETS) and table["pixels_per_s"] > 0
    assert table["worst drop"] == pytest.approx(table["all"] - min(table["every-other"], table["first-half"]))


def test_accuracy_leaves_dead_bands_out_like_predict(scene):
    cube = scene.cube.copy()
    cube[5] = 0.0
    dead = LabelledScene(cube, scene.labels, scene.train, scene.rest)
    model = benchmark.build("channelvit", {"dim": 16, "depth": 1, "heads": 2, "group_size": 16})
    seen, forward = [], model.forward
    model.forward = lambda x, channel_ids=None: seen.append(channel_ids) or forward(x, channel_ids=channel_ids)
    benchmark.accuracy(model.eval(), dead, "all", limit=50)
    live = [b for b in range(128) if np.ptp(cube[b]) > 0]  # the generator's own dead bands too
    assert 5 not in live and seen and seen[0] is not None and seen[0].tolist() == live

"""The dense scene design: training windows carry only the sparse training labels, validation
windows only the held-back ones, the loss reads labelled pixels only, and a strip's class map lines
up with its pixels."""

import numpy as np
import torch

from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.common.training_task import training_task
from hybridvision.pipelines.registry import PIPELINES
from hybridvision.pipelines.spectral.data import LabelledScene, SparseWindows, TiledWindows, stratified_split
from hybridvision.pipelines.spectral.windows import IGNORE, classify_dense


def scene(size=40, bands=5, classes=4, per_class=5, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes + 1, (size, size))  # 0: unlabelled
    cube = rng.random((bands, size, size)).astype(np.float32)
    cube[0] = labels  # band 0 tells each pixel's class and band 1 its place, so items can be checked
    cube[1] = np.arange(size * size).reshape(size, size)
    train, rest = stratified_split(labels, 0.0, per_class, rng)
    return LabelledScene(cube, labels, train, rest)


def train_ids(data):
    return {int(r) * data.labels.shape[1] + int(c) for r, c in data.train}


def test_training_windows_hold_only_training_pixels_with_their_classes():
    data = scene()
    windows = SparseWindows([data], window=16, brightness=0.0, length=60, seed=1)
    seen = 0
    for index in range(len(windows)):
        item = windows[index]
        assert item["image"].shape == (5, 16, 16) and item["label"].shape == (16, 16)
        labelled = item["label"] != IGNORE
        assert labelled.any()  # each window sits around a training pixel, even at the edge
        # flips and rotations move image and labels together: the class band agrees with the label
        assert torch.equal(item["image"][0][labelled].long() - 1, item["label"][labelled])
        assert set(item["image"][1][labelled].long().tolist()) <= train_ids(data)
        seen += int(labelled.sum())
    assert seen >= 60 and len(data.train) == 4 * 5


def test_validation_windows_label_a_sample_of_the_other_pixels_once():
    data = scene()
    windows = TiledWindows([data], window=16, limit=50, seed=0)
    labels = torch.stack([windows[i]["label"] for i in range(len(windows))])
    assert int((labels != IGNORE).sum()) == 50  # every chosen pixel in exactly one tile
    for i in range(len(windows)):
        item = windows[i]
        labelled = item["label"] != IGNORE
        assert torch.equal(item["image"][0][labelled].long() - 1, item["label"][labelled])
        assert not set(item["image"][1][labelled].long().tolist()) & train_ids(data)


def test_a_strips_class_map_lines_up_with_its_pixels():
    """predict returns its input's first bands as "probabilities": the output must be those bands at
    the strip's core pixels, whatever the halo and the padding to the encoder's multiple."""
    rng = np.random.default_rng(0)
    halo, rows, width = 4, 10, 23
    data = rng.random((3, rows + 2 * halo, width)).astype(np.float32)
    shapes = []

    def predict(x):
        shapes.append(x.shape)
        return x[:, :2]

    out = classify_dense(data, halo, 8, predict)
    assert out.shape == (rows, width, 2)
    np.testing.assert_array_equal(out, data[:2, halo : halo + rows].transpose(1, 2, 0))
    assert shapes[0][2] % 8 == 0 and shapes[0][3] % 8 == 0


def test_the_loss_and_accuracy_read_labelled_pixels_only():
    config = load_config("configs/spectral/scene_lite0.yaml")
    task = training_task(PIPELINES.entry("spectral").factory(config.model, config.data))
    label = torch.full((1, 4, 4), IGNORE)
    label[0, 1, 2], label[0, 3, 0] = 2, 5
    pred = torch.zeros(1, 9, 4, 4)
    pred[0, 2, 1, 2] = pred[0, 5, 3, 0] = 10.0  # right where labelled
    pred[0, 0, 0, 0] = 10.0  # an unlabelled pixel: nothing to say about it
    batch = {"label": label}
    assert task.metrics(pred, batch)["accuracy"] == 1.0
    right = task.loss(pred, batch)
    pred[0, 7, 0, 1] = 50.0  # a confident guess on an unlabelled pixel changes nothing
    assert torch.isclose(task.loss(pred, batch), right)
    pred[0, 7, 1, 2] = 50.0  # one on a labelled pixel does
    assert task.loss(pred, batch) > right + 1

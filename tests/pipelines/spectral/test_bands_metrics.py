"""Band subsets, Hierarchical Channel Sampling and the classification scores."""

import numpy as np
import pytest
import torch

from hybridvision.pipelines.spectral.bands import band_subset, dead_bands, hierarchical_channel_sample
from hybridvision.pipelines.spectral.metrics import confusion_matrix, scores


def test_named_subsets_and_ranges():
    assert band_subset("all", 6).tolist() == [0, 1, 2, 3, 4, 5]
    assert band_subset("every-other", 6).tolist() == [0, 2, 4]
    assert band_subset("first-half", 6).tolist() == [0, 1, 2]
    assert band_subset("second-half", 6).tolist() == [3, 4, 5]
    assert band_subset("one", 6).tolist() == [3]
    assert band_subset("0-1, 4", 6).tolist() == [0, 1, 4]


@pytest.mark.parametrize("spec, message", [("9", "outside bands 0-5"), ("half", "use one of"), ("3-1", "outside")])
def test_bad_subsets_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        band_subset(spec, 6)


def test_hcs_draws_every_subset_size_without_repeats():
    generator = torch.Generator().manual_seed(0)
    sizes = set()
    for _ in range(300):
        channels = hierarchical_channel_sample(8, generator)
        assert torch.equal(channels, channels.unique()) and 1 <= len(channels) <= 8
        sizes.add(len(channels))
    assert sizes == set(range(1, 9))


def test_scores_on_a_known_confusion():
    truth = np.array([1, 1, 1, 1, 2, 2, 0, 0])
    pred = np.array([1, 1, 1, 2, 2, 1, 2, 1])  # unlabelled pixels (0) do not count
    confusion = confusion_matrix(truth, pred, 2)
    assert confusion.tolist() == [[3, 1], [1, 1]]
    result = scores(confusion, ("a", "b"))
    assert result["overall_accuracy"] == pytest.approx(66.6667, abs=1e-3)
    assert result["average_accuracy"] == pytest.approx((75 + 50) / 2)
    expected_chance = (4 * 4 + 2 * 2) / 36
    assert result["kappa"] == pytest.approx((4 / 6 - expected_chance) / (1 - expected_chance))
    assert result["per_class_accuracy"] == {"a": 75.0, "b": 50.0}
    # a: precision 3/4, recall 3/4 -> F1 75; b: precision 1/2, recall 1/2 -> F1 50
    assert result["per_class_f1"] == {"a": 75.0, "b": 50.0} and result["macro_f1"] == pytest.approx(62.5)
    lopsided = scores(np.array([[4, 0], [2, 0]]), ("a", "b"))  # b never predicted: F1 0, not undefined
    assert lopsided["per_class_f1"] == {"a": pytest.approx(80.0), "b": 0.0}


def test_dead_bands_are_the_constant_ones_over_valid_pixels():
    cube = np.random.default_rng(0).random((4, 6, 6)).astype(np.float32)
    cube[1] = 0.0
    cube[3, :, :3] = 0.7  # constant where valid; the invalid half differs
    valid = np.zeros((6, 6), bool)
    valid[:, :3] = True
    assert dead_bands(cube).tolist() == [False, True, False, False]
    assert dead_bands(cube, valid).tolist() == [False, True, False, True]


def test_a_pixel_left_without_a_class_is_coverage_not_a_wrong_class():
    from hybridvision.pipelines.spectral.metrics import confusion_matrix, coverage

    truth = np.array([[1, 2, 2, 0]])
    pred = np.array([[1, 0, 2, 1]])  # the second pixel is under a cloud: no class
    confusion = confusion_matrix(truth, pred, 2)
    assert confusion.tolist() == [[1, 0], [0, 1]]  # not counted as class 1
    assert coverage(truth, pred) == (3, 2)

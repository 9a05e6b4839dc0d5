"""Dice and HD95 on volumes with known overlap, the BraTS conventions, and evaluate on folders."""

import nibabel as nib
import numpy as np
import pytest

from hybridvision.pipelines.tumor3d.metrics import EMPTY_HD95, case_scores, detect_convention, dice, hd95
from hybridvision.pipelines.tumor3d.pipeline import Tumor3DPipeline
from hybridvision.pipelines.tumor3d.transforms import label_to_regions, regions_to_label


def cube(shape, start, size):
    mask = np.zeros(shape, bool)
    mask[tuple(slice(s, s + size) for s in start)] = True
    return mask


def test_dice_of_known_overlap():
    a = cube((20, 20, 20), (2, 2, 2), 10)
    b = cube((20, 20, 20), (7, 2, 2), 10)  # shifted by half: overlap 500 of 1000 + 1000
    assert dice(a, b) == pytest.approx(0.5)
    assert dice(a, a) == 1.0


def test_hd95_of_a_shift_is_the_shift_in_millimetres():
    a = cube((30, 30, 30), (5, 5, 5), 12)
    b = cube((30, 30, 30), (8, 5, 5), 12)
    assert hd95(a, b, (1, 1, 1)) == pytest.approx(3.0)
    assert hd95(a, b, (2, 1, 1)) == pytest.approx(6.0)


def test_brats_conventions_for_empty_regions():
    empty = np.zeros((8, 8, 8), bool)
    some = cube((8, 8, 8), (2, 2, 2), 3)
    assert dice(empty, empty) == 1.0 and hd95(empty, empty, (1, 1, 1)) == 0.0
    assert dice(some, empty) == 0.0 and hd95(some, empty, (1, 1, 1)) == EMPTY_HD95
    assert hd95(empty, some, (1, 1, 1)) == EMPTY_HD95


def test_case_scores_read_either_convention():
    truth = np.zeros((16, 16, 16), np.uint8)
    truth[2:12, 2:12, 2:12] = 2
    truth[4:10, 4:10, 4:10] = 1
    truth[5:8, 5:8, 5:8] = 4
    as_2023 = np.where(truth == 4, 3, truth)
    scores = case_scores(as_2023, truth, (1, 1, 1))
    assert all(scores[f"dice_{r}"] == 1.0 and scores[f"hd95_{r}"] == 0.0 for r in ("WT", "TC", "ET"))
    assert detect_convention(truth) == "brats2021" and detect_convention(as_2023) == "brats2023"
    with pytest.raises(ValueError, match="mix 3 and 4"):
        detect_convention(truth, as_2023)


def test_regions_and_labels_round_trip():
    label = np.zeros((1, 6, 6, 6), np.uint8)
    label[0, 1:5, 1:5, 1:5] = 2
    label[0, 2:4, 2:4, 2:4] = 1
    label[0, 2, 2, 2] = 4
    import torch

    regions = label_to_regions(torch.from_numpy(label)).numpy()
    assert np.array_equal(regions_to_label(regions), label[0])
    assert set(np.unique(regions_to_label(regions, "brats2023"))) == {0, 1, 2, 3}


def test_evaluate_pairs_files_by_name(tmp_path):
    truth_dir, pred_dir = tmp_path / "truth", tmp_path / "pred"
    truth_dir.mkdir()
    pred_dir.mkdir()
    truth = np.zeros((20, 20, 20), np.uint8)
    truth[2:12, 2:12, 2:12] = 2
    pred = np.zeros_like(truth)
    pred[7:17, 2:12, 2:12] = 2
    for folder, data in ((truth_dir, truth), (pred_dir, pred)):
        nib.save(nib.Nifti1Image(data, np.eye(4)), str(folder / "c1_seg.nii.gz"))
    nib.save(nib.Nifti1Image(truth, np.eye(4)), str(truth_dir / "c2_seg.nii.gz"))
    result = Tumor3DPipeline.evaluate(pred_dir, truth_dir)
    assert [c["case"] for c in result["cases"]] == ["c1"]
    assert result["mean"]["dice_WT"] == pytest.approx(0.5) and result["mean"]["dice_ET"] == 1.0
    assert result["missing_predictions"] == ["c2_seg.nii.gz"]

"""pair_label_files: how evaluate (tumor3d, xray2shape) finds predictions for truth labels."""

import pytest

from hybridvision.pipelines.common.volumes import pair_label_files


def test_pairs_by_name_and_lists_missing_predictions(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir()
    pred.mkdir()
    for name in ("a_seg.nii.gz", "b_seg.nii.gz", "notes.txt"):
        (truth / name).write_bytes(b"")
    (pred / "a_seg.nii.gz").write_bytes(b"")
    pairs, missing = pair_label_files(pred, truth)
    assert pairs == [("a_seg.nii.gz", truth / "a_seg.nii.gz", pred / "a_seg.nii.gz")]
    assert missing == ["b_seg.nii.gz"]


def test_errors_name_the_folder(tmp_path):
    (tmp_path / "truth").mkdir()
    (tmp_path / "pred").mkdir()
    with pytest.raises(FileNotFoundError, match="--pred folder not found: .*nowhere"):
        pair_label_files(tmp_path / "nowhere", tmp_path / "truth")
    with pytest.raises(FileNotFoundError, match="no <case>_seg.nii.gz files in .*truth"):
        pair_label_files(tmp_path / "pred", tmp_path / "truth")
    (tmp_path / "truth" / "a_seg.nii.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="no prediction in .*pred matches a truth file"):
        pair_label_files(tmp_path / "pred", tmp_path / "truth")

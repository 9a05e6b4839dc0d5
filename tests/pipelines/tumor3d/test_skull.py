"""The skull warning (skull.py): generated brains pass, a head with skull is flagged in every field of
view, and predict puts the warning in report.json. The rates over many cases are skull_bench.py's
(README, "Out-of-distribution warnings"); here a handful on a 3 mm grid, for speed."""

import json
import shutil

import numpy as np
import pytest

from hybridvision.bench.tumor3d.skull_bench import FIELDS_OF_VIEW, head_variant, pydeface_head
from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.volumes import save_nifti
from hybridvision.pipelines.tumor3d.modalities import MODALITIES
from hybridvision.pipelines.tumor3d.skull import FALL_ABOVE, head_signs, skull_warning


@pytest.fixture(scope="module")
def head():
    return pydeface_head()


def test_generated_brains_as_predict_reads_them_raise_no_skull_warning(samples_2021, tiny_pipeline):
    pipeline, _ = tiny_pipeline
    for unit in pipeline.discover_units(samples_2021 / "inputs"):
        sample = pipeline.read(unit)
        signs = head_signs(sample.image, sample.meta["affine"])
        assert signs.fall < FALL_ABOVE / 2 and not signs.is_head, (unit.name, signs)
        assert skull_warning(sample.image, sample.meta["affine"]) is None


def test_a_head_with_skull_is_flagged_in_every_field_of_view(head):
    for index, view in enumerate(FIELDS_OF_VIEW):  # seeds 0, 2, 4, 6 take the views in turn
        image, affine, name = head_variant(*head, seed=2 * index, grid_mm=3.0)
        signs = head_signs(image, affine)
        assert signs.fall >= FALL_ABOVE and signs.is_head, (view, name, signs)
    warning = skull_warning(image, affine)
    assert "not a skull-stripped brain" in warning and "strip the skull first" in warning and "\n" not in warning


def test_too_small_to_tell_is_no_warning():
    image = np.zeros((4, 12, 12, 12), np.float32)
    assert skull_warning(image, np.eye(4)) is None
    image[:, 4:8, 4:8, 4:8] = 100.0
    assert np.isnan(head_signs(image, np.eye(4)).fall) and skull_warning(image, np.eye(4)) is None


def test_predict_puts_the_skull_warning_in_report_json(tiny_pipeline, samples_2021, head, tmp_path):
    pipeline, model = tiny_pipeline
    image, affine, _ = head_variant(*head, seed=2, grid_mm=3.0)  # BraTS's field of view
    inputs = tmp_path / "inputs"
    (inputs / "head").mkdir(parents=True)
    for channel, modality in zip(image, MODALITIES):
        save_nifti(inputs / "head" / f"head_{modality}.nii.gz", channel, affine)
    shutil.copytree(samples_2021 / "inputs" / "HV_01000", inputs / "HV_01000")
    report = run_batch(pipeline, model, inputs, tmp_path / "out")
    assert not report.failed
    units = json.loads((tmp_path / "out" / "report.json").read_text())["units"]
    warnings = {unit["name"]: unit["warning"] for unit in units}
    assert warnings["HV_01000"] is None
    assert "not a skull-stripped brain" in warnings["head"] and "\n" not in warnings["head"]

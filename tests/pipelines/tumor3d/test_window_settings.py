"""Device-aware sliding windows: on a CPU the model's ROI and window batch in fp32, on CUDA 128^3
windows, 4 a call, in bf16; each overridable, recorded in report.json; bf16 gives fp32's labels."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

from hybridvision.pipelines.common.batch import run_batch


def test_each_device_gets_its_settings_and_options_override_them(tiny_pipeline):
    pipeline, _ = tiny_pipeline
    defaults = pipeline.default_options()
    assert pipeline.window_settings(defaults, "cpu") == {
        "roi": 32,
        "window_batch": 2,
        "precision": "fp32",
        "overlap": 0.25,
    }
    assert pipeline.window_settings(defaults, "cuda") == {
        "roi": 128,
        "window_batch": 4,
        "precision": "bf16",
        "overlap": 0.25,
    }
    chosen = pipeline.make_options(roi=64, window_batch=1, precision="fp32")
    assert pipeline.window_settings(chosen, "cuda") == {
        "roi": 64,
        "window_batch": 1,
        "precision": "fp32",
        "overlap": 0.25,
    }


@pytest.mark.parametrize(
    "given, message",
    [({"roi": 48}, "--roi 48: a multiple of 32"), ({"precision": "fp16"}, "--precision must be auto, fp32 or bf16")],
)
def test_bad_values_are_one_line(tiny_pipeline, given, message):
    pipeline, _ = tiny_pipeline
    with pytest.raises(ValueError, match=message):
        pipeline.make_options(**given)


def test_bf16_windows_give_fp32s_labels_and_the_report_records_what_ran(tiny_pipeline, samples_2021, tmp_path):
    pipeline, model = tiny_pipeline
    inputs = samples_2021 / "inputs"
    run_batch(pipeline, model, inputs, tmp_path / "fp32", options=pipeline.make_options(probabilities=True))
    options = pipeline.make_options(roi=64, window_batch=1, precision="bf16", probabilities=True)
    run_batch(pipeline, model, inputs, tmp_path / "bf16", options=options)
    report = json.loads((tmp_path / "bf16" / "report.json").read_text())
    assert report["environment"]["inference"] == {"roi": 64, "window_batch": 1, "precision": "bf16", "overlap": 0.25}
    assert report["environment"]["options"]["precision"] == "bf16"
    default = json.loads((tmp_path / "fp32" / "report.json").read_text())["environment"]["inference"]
    assert default == {"roi": 32, "window_batch": 2, "precision": "fp32", "overlap": 0.25}
    probabilities = sorted((tmp_path / "fp32").glob("*_prob.nii.gz"))
    assert len(probabilities) == 2
    for path in probabilities:  # another window size and bf16: the same probabilities within bf16's rounding
        a = np.asarray(nib.load(path).dataobj, dtype=np.float32)
        b = np.asarray(nib.load(tmp_path / "bf16" / path.name).dataobj, dtype=np.float32)
        assert a.shape == b.shape and a.std() > 0.01 and np.abs(a - b).mean() < 0.01

"""The superres and spectral MONAI bundles: verified offline by MONAI's tools, and
``python -m monai.bundle run`` writes predict's outputs, byte for byte (a PNG; a Sentinel-2
product's class map and confidence COGs, CRS and transform included)."""

from __future__ import annotations

import json

import pytest

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.checkpoint import load_checkpoint, resolve_checkpoint
from hybridvision.pipelines.registry import PIPELINES
from tests.monai_bundle import run_bundle, verify_metadata, verify_net_in_out

CASES = {  # task: (checkpoint, samples options)
    "superres": ("superres/x2", {"count": 1, "seed": 0}),
    "spectral": ("spectral/landcover", {"count": 1, "seed": 2000, "kind": "multispectral", "product": "sentinel2"}),
}


@pytest.mark.parametrize("task", sorted(CASES))
def test_the_bundle_verifies_offline_and_its_run_writes_predicts_outputs(task, tmp_path):
    name, sample_options = CASES[task]
    factory = PIPELINES.entry(task).factory
    factory.write_samples(tmp_path / "samples", **sample_options)
    exports = factory.export_bundle(resolve_checkpoint(name), tmp_path / "bundle")
    root = tmp_path / "bundle"
    assert exports["model.pt"].startswith("ok") and exports["model.ts"] == "ok"
    assert "verified with no error" in verify_metadata(root)
    assert "verified with no error" in verify_net_in_out(root)
    inference = json.loads((root / "configs" / "inference.json").read_text())
    assert inference["run_config"]["pipeline"] == task

    inputs = tmp_path / "samples" / "inputs"
    run_bundle(root, inputs, tmp_path / "bundle_out")
    pipeline, model, _ = load_checkpoint(resolve_checkpoint(name))
    report = run_batch(pipeline, model, inputs, tmp_path / "predict_out")
    assert report.count("done") == 1
    written = sorted(p.name for p in (tmp_path / "predict_out").iterdir() if p.suffix in (".png", ".tif"))
    assert written and written == sorted(
        p.name for p in (tmp_path / "bundle_out").iterdir() if p.suffix in (".png", ".tif")
    )
    for file_name in written:
        assert (tmp_path / "bundle_out" / file_name).read_bytes() == (tmp_path / "predict_out" / file_name).read_bytes()

"""The superres and spectral MONAI bundles: verified offline by MONAI's tools, and
``python -m monai.bundle run`` writes predict's outputs: the same files, georeferencing and tags,
the same class map and pixels, values within one step (the bundle runs in its own process,
where a float sum may round the other way: CI once saw one confidence percent differ)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from PIL import Image

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
        assert_same_output(tmp_path / "bundle_out" / file_name, tmp_path / "predict_out" / file_name)


def assert_same_output(bundle_file, predict_file):
    """Same georeferencing, tags and overviews; class maps equal; other values within one step."""
    if bundle_file.suffix == ".png":
        ours, theirs = (np.asarray(Image.open(f), dtype=np.int16) for f in (bundle_file, predict_file))
        assert ours.shape == theirs.shape and np.abs(ours - theirs).max() <= 1
        return
    with rasterio.open(bundle_file) as ours, rasterio.open(predict_file) as theirs:
        assert ours.profile == theirs.profile and ours.tags() == theirs.tags()
        assert ours.overviews(1) == theirs.overviews(1)
        a, b = ours.read().astype(np.int32), theirs.read().astype(np.int32)
    if "class" in bundle_file.name:
        assert np.array_equal(a, b)
    else:
        assert np.abs(a - b).max() <= 1 and np.mean(a != b) < 1e-3

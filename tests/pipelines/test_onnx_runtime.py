"""``predict --runtime onnxruntime``: the network through ONNX Runtime, its outputs within 1e-4 of
torch on sizes the first export never saw, the same labels as torch through the whole batch runner,
exports cached by checkpoint; tasks and engines it cannot serve refused in one line."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.common.onnx_runtime import onnx_network
from hybridvision.pipelines.registry import PIPELINES
from tests.homes import fresh_home
from tests.pipelines.products.test_predict_products import run

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def tiny(task: str):
    config = load_config(CONFIGS / task / "tiny.yaml")
    pipeline = PIPELINES.entry(task).factory(config.model, config.data)
    torch.manual_seed(3)
    return pipeline, pipeline.build_model().eval()


def test_outputs_match_torch_on_sizes_the_export_never_saw(tmp_path, monkeypatch):
    monkeypatch.setenv("HYBRIDVISION_CACHE", str(tmp_path))
    pipeline, model = tiny("tumor3d")
    network = onnx_network(model, "a" * 64)
    for shape in ((2, 4, 32, 32, 32), (1, 4, 64, 32, 32), (3, 4, 32, 32, 32)):
        x = torch.randn(shape)
        with torch.no_grad():
            expected = model(x)
        got = network(x)
        assert got.shape == expected.shape and torch.allclose(got, expected, atol=1e-4, rtol=1e-4)
    cached = sorted(p.name for p in (tmp_path / "onnx").iterdir())
    assert all(name.startswith("a" * 16) for name in cached)  # named by the checkpoint
    assert (tmp_path / "onnx" / f"{'a' * 16}-sizes").read_text() == "batch"  # the check's finding, kept
    calls = []
    model.register_forward_hook(lambda *_: calls.append(1))
    again = onnx_network(model, "a" * 64)
    again(torch.randn(1, 4, 32, 32, 32))
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == cached  # read back, not exported again
    assert calls == []  # a later run neither exports nor runs torch to check the export again


def test_a_dynamic_export_is_checked_against_torch_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HYBRIDVISION_CACHE", str(tmp_path))
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.ReLU()).eval()
    onnx_network(model, "c" * 64)(torch.randn(2, 2, 16, 16))
    assert (tmp_path / "onnx" / f"{'c' * 16}-sizes").read_text() == "any"
    calls = []
    model.register_forward_hook(lambda *_: calls.append(1))
    x = torch.randn(1, 2, 24, 20)
    got = onnx_network(model, "c" * 64)(x)  # another run, another size: the one dynamic export
    assert calls == [] and sorted(p.name for p in (tmp_path / "onnx").iterdir()) == [
        f"{'c' * 16}-dynamic.onnx", f"{'c' * 16}-sizes"
    ]  # fmt: skip
    with torch.no_grad():
        assert torch.allclose(got, model(x), atol=1e-5)


def test_the_batch_runner_gives_torchs_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("HYBRIDVISION_CACHE", str(tmp_path / "cache"))
    pipeline, model = tiny("xray2shape")
    with torch.no_grad():
        model.head.classifier.bias.copy_(torch.tensor([0.3, 0.0, -0.1]))  # untrained, but every label can appear
    pipeline.write_samples(tmp_path / "s", 2, seed=1000, anatomy="femur", spacing=4.0)
    inputs = tmp_path / "s" / "inputs"
    run_batch(pipeline, model, inputs, tmp_path / "torch")
    run_batch(pipeline, onnx_network(model, "b" * 64), inputs, tmp_path / "onnx")
    for path in sorted((tmp_path / "torch").glob("*_seg.nii.gz")):
        ours, theirs = nib.load(path), nib.load(tmp_path / "onnx" / path.name)
        a, b = np.asarray(ours.dataobj), np.asarray(theirs.dataobj)
        assert np.allclose(ours.affine, theirs.affine) and len(np.unique(a)) > 1 and (a == b).mean() > 0.999


@pytest.mark.parametrize(
    "task, extra, message",
    [
        ("tumor3d", ("--workers", "2"), "error: --runtime onnxruntime runs in this process"),
        ("tumor3d", ("--runtime", "tensorrt"), "error: --runtime must be torch or onnxruntime, got 'tensorrt'"),
    ],
)
def test_what_it_cannot_run_is_one_line(task, extra, message, tmp_path):
    (tmp_path / "in").mkdir()
    args = ("predict", task, "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"))
    runtime = () if "--runtime" in extra else ("--runtime", "onnxruntime")
    done = run(*args, *runtime, *extra, home=fresh_home())
    assert done.returncode == 2 and done.stderr.strip().startswith(message), done.stderr


def test_superres_through_onnx_runtime_gives_torchs_pixels(tmp_path, monkeypatch):
    """HAT's overlapping windows are gathered by index when exporting (ONNX cannot unfold them)."""
    monkeypatch.setenv("HYBRIDVISION_CACHE", str(tmp_path / "cache"))
    pipeline, model = tiny("superres")
    pipeline.write_samples(tmp_path / "s", 1, seed=0)
    inputs = tmp_path / "s" / "inputs"
    run_batch(pipeline, model, inputs, tmp_path / "torch")
    run_batch(pipeline, onnx_network(model, "c" * 64), inputs, tmp_path / "onnx")
    from PIL import Image

    for path in sorted((tmp_path / "torch").glob("*.png")):
        a = np.asarray(Image.open(path), dtype=np.int16)
        b = np.asarray(Image.open(tmp_path / "onnx" / path.name), dtype=np.int16)
        assert a.shape == b.shape and np.abs(a - b).max() <= 1 and (a == b).mean() > 0.999  # float rounding at .5


def test_as_a_user_runs_it_the_exports_land_in_the_home_cache_and_are_reused(tmp_path):
    """The installed command, shipped default model, a fresh HOME and no cache variable: the export
    goes to ~/.cache/hybridvision/onnx, a second run reuses it, and the labels are torch's."""
    home = fresh_home()
    PIPELINES.entry("xray2shape").factory.write_samples(tmp_path / "s", 1, seed=2200, anatomy="femur")
    inputs = str(tmp_path / "s" / "inputs")
    done = run("predict", "xray2shape", "--input", inputs, "--output", str(tmp_path / "torch"), home=home)
    assert done.returncode == 0, done.stderr
    onnx = ("predict", "xray2shape", "--runtime", "onnxruntime", "--input", inputs)
    done = run(*onnx, "--output", str(tmp_path / "onnx"), home=home)
    assert done.returncode == 0, done.stderr
    exports = {p: p.stat().st_mtime_ns for p in (home / ".cache" / "hybridvision" / "onnx").glob("*.onnx")}
    assert exports and list((home / ".cache" / "hybridvision" / "onnx").glob("*-sizes"))  # the check's finding too
    done = run(*onnx, "--output", str(tmp_path / "again"), home=home)
    assert done.returncode == 0, done.stderr
    assert {p: p.stat().st_mtime_ns for p in exports} == exports  # read back, not exported again
    for path in sorted((tmp_path / "torch").glob("*_seg.nii.gz")):
        a = np.asarray(nib.load(path).dataobj)
        for other in ("onnx", "again"):
            assert np.array_equal(a, np.asarray(nib.load(tmp_path / other / path.name).dataobj))


def test_a_band_subset_gets_its_own_export_and_a_fixed_size_vit_takes_any_batch(tmp_path, monkeypatch):
    """spectral's networks take ``channel_ids``: an export per band set, the set fixed inside; the
    ChannelViT takes only its own patch size, so its exports are per shape but take any batch."""
    monkeypatch.setenv("HYBRIDVISION_CACHE", str(tmp_path))
    pipeline, model = tiny("spectral")
    network = onnx_network(model, "d" * 64)
    for ids in (torch.arange(0, 128, 2), torch.arange(40), None):
        for batch in (3, 5):
            x = torch.randn(batch, 128 if ids is None else len(ids), 5, 5)
            with torch.no_grad():
                expected = model(x) if ids is None else model(x, channel_ids=ids)
            got = network(x) if ids is None else network(x, channel_ids=ids)
            assert torch.allclose(got, expected, atol=1e-4, rtol=1e-4)
    assert set(network.sizes.values()) == {"batch"}
    assert sorted(p.read_text() for p in tmp_path.glob("onnx/*-sizes")) == ["batch"] * 3
    assert not model.training  # the exporter left the torch network in eval mode


def test_a_sentinel2_product_through_onnx_runtime_gives_torchs_class_map(tmp_path):
    """The shipped land-cover model on a product, as a user runs it: identical classes and confidence."""
    import rasterio

    home = fresh_home()
    PIPELINES.entry("spectral").factory.write_samples(
        tmp_path / "s", 1, seed=1000, kind="multispectral", product="sentinel2"
    )
    inputs = str(tmp_path / "s" / "inputs")
    for runtime in ("torch", "onnxruntime"):
        done = run(
            "predict",
            "spectral",
            "--runtime",
            runtime,
            "--input",
            inputs,
            "--output",
            str(tmp_path / runtime),
            home=home,
        )
        assert done.returncode == 0, done.stderr
    rasters = sorted((tmp_path / "torch").glob("*.tif"))
    assert len(rasters) == 2  # classes and confidence
    for path in rasters:
        with rasterio.open(path) as ours, rasterio.open(tmp_path / "onnxruntime" / path.name) as theirs:
            a, b = ours.read(), theirs.read()
            assert ours.crs == theirs.crs and ours.transform == theirs.transform
        assert len(np.unique(a)) > 2 and np.array_equal(a, b)

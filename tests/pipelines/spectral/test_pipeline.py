"""The spectral pipeline end to end: samples -> train -> predict -> evaluate, scenes and chips."""

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from hybridvision.pipelines.common.config import load_config, parse_run_config
from hybridvision.pipelines.common.inference import strips
from hybridvision.pipelines.common.training import train
from hybridvision.pipelines.spectral import SpectralPipeline
from hybridvision.pipelines.spectral.io import read_cube
from hybridvision.pipelines.spectral.patches import patches_at
from hybridvision.pipelines.spectral.samples import write_samples
from hybridvision.pipelines.spectral.scene import classify_strip, in_memory, read_strip, scene_statistics

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "spectral"
TINY = CONFIGS / "tiny.yaml"


@pytest.fixture(scope="module")
def scene_samples(tmp_path_factory):
    out = tmp_path_factory.mktemp("scene-samples")
    write_samples(out, 1, 900, kind="scene", formats="tif,envi,mat", size=40, bands=128, progress=lambda m: None)
    return out


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    return train(load_config(TINY), run, progress_bar=False).model_path


def test_tiny_training_lowers_the_loss(tmp_path):
    config = load_config(TINY, ["train.max_steps=30", "train.val_every_steps=30", "train.log_every_steps=5"])
    train(config, tmp_path, progress_bar=False)
    with open(tmp_path / "logs" / "metrics.csv") as handle:
        losses = [float(r["train/loss"]) for r in csv.DictReader(handle) if r.get("train/loss")]
    assert np.mean(losses[-2:]) < losses[0]
    split = json.loads((tmp_path / "split.json").read_text())["scenes"][0]["train_pixels"]
    assert len(split) >= 5 * 8 and len({tuple(p) for p in split}) == len(split)  # >= 5 per class, no repeats


def test_predict_keeps_georeference_and_nodata_and_writes_a_preview(tiny_checkpoint, scene_samples, tmp_path):
    pipeline, model, _ = load_checkpoint(tiny_checkpoint)
    report = run_batch(pipeline, model, scene_samples / "inputs", tmp_path)
    assert report.count("done") == 1
    with rasterio.open(scene_samples / "inputs" / "scene_900.tif") as source:
        crs, transform, nodata_mask = source.crs, source.transform, source.read(1) == source.nodata
    with rasterio.open(tmp_path / "scene_900_classes.tif") as out:
        assert out.crs == crs and out.transform == transform and out.nodata == 0
        classes, colours = out.read(1), out.colormap(1)
    assert (classes[nodata_mask] == 0).all() and (classes[~nodata_mask] > 0).all()
    from rio_cogeo.cogeo import cog_validate

    assert cog_validate(str(tmp_path / "scene_900_classes.tif")) == (True, [], [])  # QGIS opens it fast
    assert colours[0][3] == 0 and colours[1] == (*pipeline.model_cfg.colours[0], 255)  # each class its colour
    import xml.etree.ElementTree as ElementTree

    with rasterio.open(tmp_path / "scene_900_classes.tif") as out:  # GDAL finds the class names' sidecar
        assert str(tmp_path / "scene_900_classes.tif.aux.xml") in out.files
    names = [e.text for e in ElementTree.parse(tmp_path / "scene_900_classes.tif.aux.xml").iter("Category")]
    assert names == ["no data", *pipeline.model_cfg.classes]
    item = json.loads((tmp_path / "scene_900_classes.json").read_text())  # its STAC Item
    assert (
        item["assets"]["data"]["href"] == "./scene_900_classes.tif"
        and "classification" in item["assets"]["data"]["roles"]
    )
    assert item["properties"]["proj:code"] == f"EPSG:{crs.to_epsg()}" and item["properties"]["proj:shape"] == list(
        classes.shape
    )
    assert (tmp_path / "scene_900_classes.png").read_bytes()[:4] == b"\x89PNG"


def test_every_cube_format_gives_the_same_class_map(tiny_checkpoint, scene_samples, tmp_path):
    pipeline, model, _ = load_checkpoint(tiny_checkpoint)
    maps = []
    for source in ("inputs/scene_900.tif", "formats/envi/scene_900.hdr", "formats/mat/scene_900.mat"):
        out = tmp_path / source.split("/")[-2]
        run_batch(pipeline, model, scene_samples / source, out)
        with warnings.catch_warnings(), rasterio.open(out / "scene_900_classes.tif") as dataset:
            warnings.simplefilter("ignore")  # ENVI and .mat carry no georeference, so neither does the map
            maps.append(dataset.read(1))
    assert np.array_equal(maps[0], maps[1]) and np.array_equal(maps[0], maps[2])


def test_evaluate_scores_a_prediction(tiny_checkpoint, scene_samples, tmp_path):
    pipeline, model, _ = load_checkpoint(tiny_checkpoint)
    run_batch(pipeline, model, scene_samples / "inputs", tmp_path)
    result = SpectralPipeline.evaluate(tmp_path, scene_samples / "truth")
    mean = result["mean"]
    assert 0 <= mean["overall_accuracy"] <= 100 and -1 <= mean["kappa"] <= 1
    assert len(mean["confusion"]) == 11 and sum(map(sum, mean["confusion"])) == sum(mean["support"].values())


def test_strips_classify_exactly_like_the_whole_scene(scene_samples):
    cube = read_cube(scene_samples / "inputs" / "scene_900.tif")
    source = in_memory(cube)
    weights = np.random.default_rng(0).normal(size=128).astype(np.float32)

    def predict(patches):  # any function of the whole patch shows halo mistakes
        score = (patches * weights[None, :, None, None]).mean((1, 2, 3))
        return np.stack([score, -score], 1)

    whole = predict(patches_at(cube.data, np.argwhere(np.ones(cube.valid.shape)), 5)).reshape(40, 40, 2)
    windows = strips(source.height, source.width, 7, 2)
    parts = [classify_strip(read_strip(source, w, 2)[0], 2, 5, predict, batch=37) for w in windows]
    assert np.allclose(np.concatenate(parts), whole, atol=1e-5)


def test_missing_bands_matched_by_wavelength(tiny_checkpoint):
    pipeline, _, _ = load_checkpoint(tiny_checkpoint)
    wavelengths = pipeline.wavelengths
    mapping = pipeline.channels_for(64, tuple(wavelengths[::2]), "half.tif")
    assert mapping.tolist() == list(range(0, 128, 2))
    assert (pipeline.channels_for(128, None, "x.tif", "first-half") >= 0).sum() == 64
    with pytest.raises(ValueError, match="no wavelengths"):
        pipeline.channels_for(50, None, "x.tif")


def test_bad_cubes_fail_alone_with_the_file_named(tiny_checkpoint, scene_samples, tmp_path):
    pipeline, model, _ = load_checkpoint(tiny_checkpoint)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.tif").write_text("not a tiff")
    np.save(folder / "flat.npy", np.zeros((5, 5)))
    np.save(folder / "constant.npy", np.full((128, 12, 12), 5.0, np.float32))
    (folder / "good.tif").write_bytes((scene_samples / "inputs" / "scene_900.tif").read_bytes())
    report = run_batch(pipeline, model, folder, tmp_path / "out")
    failed = {u.name: u.error for u in report.failed}
    assert set(failed) == {"broken", "flat", "constant"} and report.count("done") == 1
    assert "broken.tif" in failed["broken"] and "flat.npy" in failed["flat"]
    assert "constant" in failed["constant"] and "dead" in failed["constant"]


def test_a_dead_band_is_treated_as_a_missing_band(tiny_checkpoint, scene_samples, tmp_path):
    pipeline, model, _ = load_checkpoint(tiny_checkpoint)
    cube = read_cube(scene_samples / "inputs" / "scene_900.tif").data
    cube[40] = cube.max()  # a detector line stuck at one value (saturated)
    (tmp_path / "in").mkdir()
    np.save(tmp_path / "in" / "scene.npy", cube)
    used, build_predictor = [], pipeline.predictor
    pipeline.predictor = lambda model, channels: used.append(channels) or build_predictor(model, channels)
    report = run_batch(pipeline, model, tmp_path / "in", tmp_path / "out")
    assert report.count("done") == 1
    live = {b for b in range(128) if np.ptp(cube[b]) > 0}
    assert set(used[0][used[0] >= 0].tolist()) == live and 40 not in live


def test_chips_are_units_gathered_into_a_csv_and_a_bad_chip_fails_alone(tmp_path):
    samples = tmp_path / "chips"
    write_samples(samples, 4, 7, kind="chips", size=16, progress=lambda m: None)
    (samples / "inputs" / "zzz_bad.tif").write_text("junk")
    config = load_config(CONFIGS / "chips.yaml", ["model.backbone.dim=8", "model.backbone.depth=1",
                                                  "model.backbone.heads=2", "model.patch=16"])  # fmt: skip
    pipeline = SpectralPipeline(config.model, config.data)
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "chips.safetensors", pipeline.build_model(), config, pipeline, {})
    pipeline, model, _ = load_checkpoint(tmp_path / "chips.safetensors")
    report = run_batch(pipeline, model, samples / "inputs", tmp_path / "pred")
    assert report.count("done") == 4 and [u.name for u in report.failed] == ["zzz_bad.tif"]
    with open(tmp_path / "pred" / "predictions.csv") as handle:
        rows = {r["file"]: r for r in csv.DictReader(handle)}
    assert len(rows) == 5 and "zzz_bad.tif" in rows["zzz_bad.tif"]["error"]
    (tmp_path / "pred" / "chip_00001.tif.csv").unlink()  # as if killed before that chip: only it runs again
    again = run_batch(pipeline, model, samples / "inputs", tmp_path / "pred")
    assert {u.name for u in again.units if u.status == "done"} == {"chip_00001.tif"}
    with open(tmp_path / "pred" / "predictions.csv") as handle:
        assert {r["file"]: r for r in csv.DictReader(handle)} == rows
    good = rows["chip_00000.tif"]
    probabilities = [float(good[f"p_{c}"]) for c in config.model.classes]
    assert good["class"] in config.model.classes and sum(probabilities) == pytest.approx(1, abs=1e-3)
    result = SpectralPipeline.evaluate(tmp_path / "pred", samples / "truth")
    assert sum(result["mean"]["support"].values()) == 4


def test_lora_adapts_a_checkpoint_and_exports_a_plain_merged_model(tiny_checkpoint, tmp_path):
    """``train.init_from`` + ``model.adapter: lora``: only attention layers change; no PEFT needed after."""
    from safetensors.torch import load_file

    config = load_config(TINY).to_dict()
    config["model"]["adapter"] = {"name": "lora", "rank": 4}
    config["train"].update(init_from=str(tiny_checkpoint), max_steps=4, val_every_steps=4)
    adapted = train(parse_run_config(config, "lora"), tmp_path, progress_bar=False)
    before, after = load_file(str(tiny_checkpoint)), load_file(str(adapted.model_path))
    assert set(before) == set(after)  # no adapter tensors left
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(k.rsplit(".", 2)[-2] in ("qkv", "proj") for k in changed)
    metadata = read_metadata(adapted.model_path)
    assert "% of parameters trained" in metadata["provenance"]["adapter"]
    assert metadata["config"]["model"]["adapter"] is None  # merged: the export is a plain model
    load_checkpoint(adapted.model_path)


def test_bands_option_equals_a_file_holding_only_those_bands(tiny_checkpoint, scene_samples, tmp_path):
    """``--bands first-half`` on a full cube is scaled and classified as a VNIR-only file would be."""
    from hybridvision.pipelines.spectral.io import write_cube

    cube = read_cube(scene_samples / "inputs" / "scene_900.tif")
    (tmp_path / "half").mkdir()
    write_cube(cube.data[:64], tmp_path / "half" / "scene_900.tif", cube.wavelengths[:64], cube.georef, cube.nodata)
    pipeline, model, _ = load_checkpoint(tiny_checkpoint)
    run_batch(pipeline, model, tmp_path / "half", tmp_path / "out-file")
    options = pipeline.make_options(bands="first-half")
    run_batch(pipeline, model, scene_samples / "inputs" / "scene_900.tif", tmp_path / "out-option", options=options)
    with (
        rasterio.open(tmp_path / "out-file" / "scene_900_classes.tif") as a,
        rasterio.open(tmp_path / "out-option" / "scene_900_classes.tif") as b,
    ):
        assert np.array_equal(a.read(1), b.read(1))


def test_scene_scale_comes_from_the_bands_used_and_dead_bands_are_dropped(scene_samples):
    cube = read_cube(scene_samples / "inputs" / "scene_900.tif")
    cube.data[64:] *= 3  # a bright second half: the scale depends on which bands count
    cube.data[10] = 0.0  # a dead band
    source = in_memory(cube)
    first_half = np.where(np.arange(128) < 64, np.arange(128), -1)
    scale_half, channels = scene_statistics(source, first_half)
    scale_all, _ = scene_statistics(source, np.arange(128))
    assert channels[10] == -1 and (channels[:64] >= 0).sum() == 63 and (channels[64:] == -1).all()
    assert scale_all > 2 * scale_half
    expected = np.percentile(np.delete(cube.data[:64], 10, axis=0)[:, cube.valid], 99)
    assert scale_half == pytest.approx(expected, rel=0.02)  # from sampled rows, not every row


def test_the_checkpoint_chooses_the_template_and_the_hooks_have_no_task_branches():
    import inspect

    from hybridvision.pipelines.spectral import pipeline as module
    from hybridvision.pipelines.spectral.templates import ChipsTemplate, SceneTemplate

    assert isinstance(load_checkpoint("spectral/chips")[0].template, ChipsTemplate)
    assert isinstance(load_checkpoint("spectral/scene")[0].template, SceneTemplate)
    assert ".task ==" not in inspect.getsource(module.SpectralPipeline)

"""Checkpoints are chosen as users expect: short names, --scale and --anatomy pick the shipped model,
the run says which it used, report.json records it, and a wrong scale is named in evaluate."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.common.checkpoint import (
    default_checkpoint,
    resolve_checkpoint,
    shipped_name,
    shipped_root,
)
from tests.apps.test_cli import invoke

SHIPPED = shipped_root()


@pytest.mark.parametrize("spec", ["superres/x4", "superres/x4.safetensors", "configs/superres/x4.safetensors"], ids=str)
def test_shipped_checkpoints_resolve_by_short_name(spec, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the source tree: configs/ is not a local folder here
    assert resolve_checkpoint(spec) == SHIPPED / "superres" / "x4.safetensors"
    assert shipped_name(resolve_checkpoint(spec)) == "superres/x4"


def test_a_local_file_of_the_same_name_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "superres").mkdir()
    shutil.copy(SHIPPED / "superres" / "x2.safetensors", tmp_path / "superres" / "x4.safetensors")
    assert resolve_checkpoint("superres/x4.safetensors").resolve() == tmp_path / "superres" / "x4.safetensors"
    assert shipped_name(resolve_checkpoint("superres/x4.safetensors")) is None


def test_an_unknown_name_lists_the_shipped_ones():
    with pytest.raises(
        InputError, match=r"checkpoint not found: superres/x9: .*superres/x2, superres/x2_radiology, superres/x4"
    ):
        resolve_checkpoint("superres/x9")


@pytest.mark.parametrize(
    "pipeline,options,stem",
    [
        ("superres", {}, "superres/x2"),
        ("superres", {"scale": 0}, "superres/x2"),
        ("superres", {"scale": 4}, "superres/x4"),
        ("xray2shape", {}, "xray2shape/femur_lite0_side"),  # the test install has the foundation extra
        ("xray2shape", {"anatomy": "femur"}, "xray2shape/femur_lite0_side"),
        ("xray2shape", {"anatomy": "spine"}, "xray2shape/spine"),
        ("tumor3d", {}, "tumor3d/demo"),
        ("spectral", {}, "spectral/scene"),
    ],
)
def test_options_pick_the_shipped_checkpoint(pipeline, options, stem):
    assert shipped_name(default_checkpoint(pipeline, options)) == stem


def test_without_the_foundation_weights_the_femur_gets_its_own_model(monkeypatch):
    from hybridvision.pipelines.xray2shape import options

    monkeypatch.setattr(options, "find_spec", lambda name: None)  # as an install without [foundation]
    assert shipped_name(default_checkpoint("xray2shape", {})) == "xray2shape/femur"
    assert shipped_name(default_checkpoint("xray2shape", {"anatomy": "spine"})) == "xray2shape/spine"


def test_a_scale_without_a_shipped_model_says_what_ships():
    with pytest.raises(
        InputError,
        match=r"no shipped checkpoint superres/x3 \(shipped: superres/x2, superres/x2_radiology, superres/x4\)",
    ):
        default_checkpoint("superres", {"scale": 3})


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photo") / "in"
    folder.mkdir()
    pixels = (np.random.default_rng(0).random((40, 48)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(folder / "noise.png")
    return folder


@pytest.mark.parametrize("scale_args,scale", [((), 2), (("--scale", "4"), 4)])
def test_predict_superres_says_and_records_the_checkpoint_it_used(photo, tmp_path, scale_args, scale):
    result = invoke("predict", "superres", "-i", photo, "-o", tmp_path / "out", *scale_args)
    assert result.exit_code == 0, result.output
    assert f"checkpoint superres/x{scale} (x{scale})" in result.output
    assert Image.open(tmp_path / "out" / "noise.png").size == (48 * scale, 40 * scale)
    recorded = json.loads((tmp_path / "out" / "report.json").read_text())["checkpoint"]
    shipped = SHIPPED / "superres" / f"x{scale}.safetensors"
    assert recorded == {
        "name": f"superres/x{scale}",
        "path": str(shipped.resolve()),
        "sha256": hashlib.sha256(shipped.read_bytes()).hexdigest(),
    }


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ("predict", "xray2shape", "--anatomy", "spine", "--checkpoint", "xray2shape/femur"),
            "--anatomy spine: this checkpoint reconstructs the femur",
        ),
        (("predict", "xray2shape", "--anatomy", "knee"), "no shipped checkpoint xray2shape/knee"),
        (("predict", "superres", "--checkpoint", "superres/x4", "--scale", "2"), "this checkpoint upscales x4"),
    ],
)
def test_conflicting_checkpoint_options_are_one_line_errors(args, message, photo, tmp_path):
    result = invoke(*args, "-i", photo, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_export_bundle_takes_a_short_name(tmp_path):
    result = invoke("export-bundle", "xray2shape", "--checkpoint", "xray2shape/nothing", "-o", tmp_path / "b")
    assert result.exit_code == 2 and "checkpoint not found: xray2shape/nothing" in result.output


@pytest.mark.parametrize("with_input", [True, False], ids=["input given", "manifest"])
def test_evaluate_names_a_wrong_scale(tmp_path, with_input):
    samples = tmp_path / "sr"
    assert invoke("samples", "superres", "--scale", "4", "--n", "1", "-o", samples).exit_code == 0
    result = invoke("predict", "superres", "-i", samples / "inputs", "-o", samples / "pred")
    assert result.exit_code == 0, result.output
    extra = ("--input", samples / "inputs") if with_input else ()
    result = invoke("evaluate", "superres", "--pred", samples / "pred", "--truth", samples / "truth", *extra)
    assert result.exit_code == 2
    assert "predicted x2, truth needs x4" in result.output and "--scale 4" in result.output


def test_a_checkpoint_is_summarised_by_its_registry_parts():
    from hybridvision.pipelines.common.checkpoint import read_metadata
    from hybridvision.pipelines.common.shipped import model_summary as summarise_checkpoint

    # shipped configs are older (superres called its backbone "body"): read in the current shape
    assert summarise_checkpoint(read_metadata("superres/x2")) == "hat_light + pixel_shuffle"
    assert summarise_checkpoint(read_metadata("tumor3d/demo")) == "hybrid_small + unet"
    assert summarise_checkpoint(read_metadata("spectral/scene")) == "channelvit + classifier"
    assert summarise_checkpoint(read_metadata("xray2shape/femur")) == "hybrid_tiny + cross_view"
    assert summarise_checkpoint({"config": {"model": {"classes": 3}}}) == ""

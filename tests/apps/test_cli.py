"""The command line, called in-process: one shape for every verb, one-line errors."""

import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hybridvision.apps.cli import build_app
from tests.pipelines.test_training import CONFIG
from tests.toy_pipeline import make_square_image

runner = CliRunner()


def invoke(*args):
    return runner.invoke(build_app(), [str(a) for a in args])


def test_list_backbones_shows_every_family_and_the_timm_source():
    result = invoke("list", "backbones")
    assert result.exit_code == 0
    for name in ("swin_tiny", "convnext_small", "hybrid_base", "hybrid_test", "timm:<name>"):
        assert name in result.output
    assert "2D, 3D" in result.output


def test_list_pipelines_and_checkpoints():
    assert "toy" in invoke("list", "pipelines").output
    listed = invoke("list", "checkpoints", "--wide")
    assert listed.exit_code == 0
    assert (
        "reads 128 bands, 400-2500 nm" in listed.output and "reads 13 bands, 443-2190 nm" in listed.output
    )  # band sets


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    config = folder / "toy.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    result = invoke(
        "train",
        "--config",
        config,
        "--set",
        "train.max_steps=20",
        "--output",
        folder / "run",
        "--device",
        "cpu",
        "--threads",
        2,
    )
    assert result.exit_code == 0, result.output
    return folder / "run" / "model.safetensors"


def test_train_then_predict_a_folder(trained_model, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    np.save(inputs / "one.npy", make_square_image(np.random.default_rng(1), 32)[0])
    result = invoke(
        "predict",
        "toy",
        "--input",
        inputs,
        "--output",
        tmp_path / "out",
        "--checkpoint",
        trained_model,
        "--threshold",
        0.9,
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "one_mask.npy").is_file()
    assert json.loads((tmp_path / "out" / "report.json").read_text())["summary"]["done"] == 1


def test_predict_exits_non_zero_when_a_unit_fails(trained_model, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "bad.npy").write_text("nonsense")
    result = invoke("predict", "toy", "-i", inputs, "-o", tmp_path / "out", "--checkpoint", trained_model)
    assert result.exit_code == 1
    assert "bad" in result.output


def test_predict_help_shows_shared_and_pipeline_options():
    text = invoke("predict", "toy", "--help").output
    for flag in (
        "--input",
        "--output",
        "--checkpoint",
        "--device",
        "--threads",
        "--overwrite",
        "--dry-run",
        "--threshold",
    ):
        assert flag in text


@pytest.mark.parametrize(
    "args,message",
    [
        (("train", "--config", "/nonexistent.yaml"), "config file not found"),
        (
            ("predict", "toy", "-i", "/nonexistent", "-o", "/tmp/x", "--checkpoint", "/nonexistent.safetensors"),
            "checkpoint not found",
        ),
        (("train", "--config", "/nonexistent.yaml", "--device", "tpu"), "config file not found"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_bench_backbones_writes_a_table_and_json(tmp_path):
    out = tmp_path / "bench.json"
    result = invoke("bench", "backbones", "--size", 32, "--repeats", 1, "--model", "hybrid_test", "--output", out)
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["rows"]
    assert rows[0]["model"].startswith("monai:") and rows[1]["model"] == "hybrid_test"
    assert rows[0]["speedup_vs_reference"] == 1.0 and rows[1]["median_s"] > 0


def test_bench_superres_names_an_unknown_same_budget_model_before_any_work(tmp_path):
    result = invoke("bench", "superres", "--psnr-models", "ours,swinir3", "--output", tmp_path / "b.json")
    assert result.exit_code != 0 and "--psnr-models must name some of ours, dlgsa, swinir" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "b.json").exists()

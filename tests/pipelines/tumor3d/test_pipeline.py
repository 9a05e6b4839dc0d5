"""tumor3d end to end with the tiny config: train a few steps, predict, evaluate, through the CLI."""

import json

import nibabel as nib
import numpy as np
import torch
from typer.testing import CliRunner

from hybridvision.apps.cli import build_app
from hybridvision.pipelines.common.checkpoint import load_checkpoint

from .conftest import TINY

runner = CliRunner()


def test_tiny_config_trains_predicts_and_evaluates(samples_2021, tmp_path):
    app = build_app()
    run = tmp_path / "run"
    result = runner.invoke(
        app, ["train", "--config", str(TINY), "--output", str(run), "--set", f"data.cache_dir={tmp_path / 'cache'}"]
    )
    assert result.exit_code == 0, result.output
    pipeline, model, meta = load_checkpoint(run / "model.safetensors")
    assert meta["io_spec"]["inputs"]["image"]["channel_names"] == ["t1", "t1ce", "t2", "flair"]
    assert meta["description"]["regions"] == ["WT", "TC", "ET"]

    out = tmp_path / "pred"
    args = ["predict", "tumor3d", "-i", str(samples_2021 / "inputs"), "-o", str(out)]
    result = runner.invoke(app, args + ["--checkpoint", str(run / "model.safetensors"), "--probabilities"])
    assert result.exit_code == 0, result.output
    seg = nib.load(str(out / "HV_01000_seg.nii.gz"))
    prob = nib.load(str(out / "HV_01000_prob.nii.gz"))
    assert prob.shape == (*seg.shape, 3) and 0 <= prob.get_fdata().min() and prob.get_fdata().max() <= 1

    again = runner.invoke(app, args + ["--checkpoint", str(run / "model.safetensors"), "--labels", "brats2023"])
    assert "skipped HV_01000" in again.output  # outputs exist: resumed, nothing redone

    scores = tmp_path / "scores.json"
    result = runner.invoke(
        app, ["evaluate", "tumor3d", "--pred", str(out), "--truth", str(samples_2021 / "truth"), "-o", str(scores)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(scores.read_text())
    assert len(data["cases"]) == 2 and 0 <= data["mean"]["dice_WT"] <= 1


def test_brats2023_output_labels(tiny_pipeline, samples_2023, tmp_path):
    from hybridvision.pipelines.common.batch import run_batch

    pipeline, model = tiny_pipeline
    torch_state = {k: v.clone() for k, v in model.state_dict().items()}
    model.decoder.head.bias.data[:] = 5.0  # every region everywhere: ET must come out as 3
    run_batch(
        pipeline, model, samples_2023 / "inputs", tmp_path / "out", options=pipeline.make_options(labels="brats2023")
    )
    label = np.asarray(nib.load(str(tmp_path / "out" / "HV_01010_seg.nii.gz")).dataobj)
    assert set(np.unique(label)) <= {0, 3} and (label == 3).any()
    model.load_state_dict(torch_state)


def test_a_side_adapter_on_the_frozen_backbone_trains_only_itself_and_the_decoder(samples_2021, tmp_path):
    """``model.adapter: {name: side}``: the backbone starts from a checkpoint and stays frozen."""
    from safetensors.torch import load_file

    app = build_app()
    base, adapted = tmp_path / "base", tmp_path / "adapted"
    cache = f"data.cache_dir={tmp_path / 'cache'}"
    assert runner.invoke(app, ["train", "--config", str(TINY), "--output", str(base), "--set", cache]).exit_code == 0
    sets = [cache, "model.adapter={name: side, width: 4}", f"train.init_from={base / 'model.safetensors'}"]
    result = runner.invoke(
        app, ["train", "--config", str(TINY), "--output", str(adapted), *sum([["--set", s] for s in sets], [])]
    )
    assert result.exit_code == 0, result.output
    assert "adapter" in result.output and "% of the frozen backbone + adapter" in result.output
    pipeline, model, meta = load_checkpoint(adapted / "model.safetensors")
    parts = meta["provenance"]["parameters_by_part"]
    assert parts["adapter"] + parts["frozen"] + parts["decoder"] == parts["total"]
    assert parts["trainable"] == parts["adapter"] + parts["decoder"]
    before, after = load_file(str(base / "model.safetensors")), load_file(str(adapted / "model.safetensors"))
    frozen = [k for k in before if k.startswith("backbone.")]
    assert frozen and all(torch.equal(before[k], after[k.replace("backbone.", "backbone.frozen.", 1)]) for k in frozen)
    out = tmp_path / "pred"
    args = ["predict", "tumor3d", "-i", str(samples_2021 / "inputs"), "-o", str(out), "--checkpoint"]
    assert runner.invoke(app, [*args, str(adapted / "model.safetensors")]).exit_code == 0
    assert (out / "HV_01000_seg.nii.gz").is_file()

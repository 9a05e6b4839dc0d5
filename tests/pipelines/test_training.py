"""The training harness on the toy pipeline: it learns, exports, describes itself and resumes."""

import csv

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from hybridvision.pipelines.common.checkpoint import load_checkpoint, read_metadata
from hybridvision.pipelines.common.config import parse_run_config
from hybridvision.pipelines.common.training import train

CONFIG = {
    "pipeline": "toy",
    "model": {"backbone": {"name": "hybrid_test", "drop_path": 0.0}},
    "data": {"size": 32, "train_images": 16, "val_images": 4},
    "train": {
        "max_steps": 30,
        "batch_size": 4,
        "learning_rate": 0.01,
        "warmup_steps": 3,
        "val_every_steps": 15,
        "log_every_steps": 1,
        "seed": 3,
    },
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    config = parse_run_config(CONFIG, "test")
    return config, train(config, run_dir, progress_bar=False)


def read_losses(run_dir):
    with open(run_dir / "logs" / "metrics.csv") as handle:
        return [float(r["train/loss"]) for r in csv.DictReader(handle) if r.get("train/loss")]


def test_training_lowers_the_loss_and_keeps_best_and_last(trained):
    _, result = trained
    losses = read_losses(result.run_dir)
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5])
    assert (result.run_dir / "checkpoints" / "best.ckpt").is_file()
    assert (result.run_dir / "checkpoints" / "last.ckpt").is_file()
    assert result.metrics["val/dice"] > 0.3


def test_exported_checkpoint_describes_itself(trained):
    config, result = trained
    meta = read_metadata(result.model_path)
    assert meta["pipeline"] == "toy" and meta["config"] == config.to_dict()
    assert meta["io_spec"]["outputs"]["pred"]["class_names"] == ["square"]
    prov = meta["provenance"]
    assert prov["seed"] == 3 and prov["steps"] == 30 and prov["metrics"]["val/dice"] == result.metrics["val/dice"]
    assert prov["commit"] and prov["parameters"] > 0


def test_checkpoint_path_alone_rebuilds_the_same_model(trained):
    _, result = trained
    pipeline, model, _ = load_checkpoint(result.model_path)
    state = load_file(str(result.model_path))
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())
    assert pipeline.name == "toy" and not model.training


def test_resume_continues_from_the_last_checkpoint(trained, tmp_path):
    config, result = trained
    longer = parse_run_config({**CONFIG, "train": {**CONFIG["train"], "max_steps": 40}}, "test")
    resumed = train(longer, tmp_path, resume=result.run_dir / "checkpoints" / "last.ckpt", progress_bar=False)
    assert read_metadata(resumed.model_path)["provenance"]["steps"] == 40
    assert len(read_losses(tmp_path)) == 10  # only the 10 new steps were trained


def test_same_seed_same_first_losses(tmp_path):
    short = parse_run_config({**CONFIG, "train": {**CONFIG["train"], "max_steps": 4, "val_every_steps": 4}}, "t")
    first = read_losses(train(short, tmp_path / "a", progress_bar=False).run_dir)
    second = read_losses(train(short, tmp_path / "b", progress_bar=False).run_dir)
    assert first == pytest.approx(second, rel=1e-5)


def test_init_from_starts_where_a_checkpoint_ended(trained, tmp_path):
    _, result = trained
    settings = {**CONFIG["train"], "max_steps": 3, "val_every_steps": 3}
    fresh = read_losses(
        train(parse_run_config({**CONFIG, "train": settings}, "t"), tmp_path / "a", progress_bar=False).run_dir
    )
    started = parse_run_config({**CONFIG, "train": {**settings, "init_from": str(result.model_path)}}, "t")
    warm = train(started, tmp_path / "b", progress_bar=False)
    assert read_losses(warm.run_dir)[0] < 0.7 * fresh[0]  # the trained weights were used from step one
    assert "init_from" in read_metadata(warm.model_path)["provenance"]


def test_init_from_a_checkpoint_that_shares_nothing_is_a_clear_error(tmp_path):
    from safetensors.torch import save_file

    from hybridvision.pipelines.base import InputError
    from hybridvision.pipelines.common.checkpoint import initialise_from

    save_file({"other.weight": torch.zeros(3)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(InputError, match="no weight matches"):
        initialise_from(torch.nn.Linear(2, 2), tmp_path / "other.safetensors")
    with pytest.raises(InputError, match="no such checkpoint"):
        initialise_from(torch.nn.Linear(2, 2), tmp_path / "missing.safetensors")


def test_init_from_an_adapter_checkpoint_counts_no_packaged_backbone_tensor_as_fresh(tmp_path):
    """An adapter checkpoint leaves its frozen pretrained backbone out (a package holds it): starting
    from it copies every tensor it could, and none of the backbone's is called fresh."""
    from safetensors.torch import save_file

    from hybridvision.pipelines.common.checkpoint import initialise_from

    class Packaged(torch.nn.Linear):
        card = object()  # as a foundation backbone: its weights come from a package

    def model(backbone=torch.nn.Linear):
        net = torch.nn.Module()
        net.backbone, net.head = backbone(3, 3), torch.nn.Linear(3, 2)
        return net

    save_file({"head.weight": torch.ones(2, 3), "head.bias": torch.ones(2)}, str(tmp_path / "adapter.safetensors"))
    target = model(Packaged)
    assert initialise_from(target, tmp_path / "adapter.safetensors") == (2, 2)
    assert torch.equal(target.head.weight, torch.ones(2, 3))
    # a backbone of the model's own (no package) that the checkpoint lacks does start fresh
    assert initialise_from(model(), tmp_path / "adapter.safetensors") == (2, 4)


def test_lora_targets_that_name_no_layer_are_a_clear_error():
    from hybridvision.backbones.adapters import add_lora

    with pytest.raises(ValueError, match="name no Linear or Conv layer"):
        add_lora(torch.nn.Sequential(torch.nn.Linear(2, 2)), targets=("qkv",))


@pytest.mark.parametrize("task", ["tumor3d", "xray2shape", "spectral", "superres"])
def test_the_harness_finds_each_tasks_training_in_its_training_module(task):
    from hybridvision.pipelines.common.training_task import TrainingTask, training_task
    from hybridvision.pipelines.registry import PIPELINES

    cls = PIPELINES.entry(task).factory
    pipeline = cls(cls.model_config(), cls.data_config())
    training = training_task(pipeline)
    assert isinstance(training, TrainingTask) and training.pipeline is pipeline
    assert type(training).__module__ == f"hybridvision.pipelines.{task}.training"
    assert training.monitor[0].startswith("val/") and training.monitor[1] in ("max", "min")


def test_a_pipeline_that_names_no_training_says_so():
    from hybridvision.pipelines.common.training_task import training_task
    from tests.toy_pipeline import ToyPipeline, ToyTraining

    class Untrained(ToyPipeline):
        training = None

    config = parse_run_config(CONFIG, "test")
    assert type(training_task(ToyPipeline(config.model, config.data))) is ToyTraining
    with pytest.raises(NotImplementedError, match="pipeline toy cannot be trained"):
        training_task(Untrained(config.model, config.data))


def test_a_teacher_for_a_task_without_class_logits_is_a_clear_error(trained, tmp_path):
    _, result = trained
    taught = parse_run_config({**CONFIG, "train": {**CONFIG["train"], "teacher": str(result.model_path)}}, "t")
    with pytest.raises(ValueError, match="train.teacher: pipeline toy has no distillation loss"):
        train(taught, tmp_path, progress_bar=False)


def test_distillation_loss_is_zero_only_where_the_teacher_agrees():
    from hybridvision.pipelines.spectral.training import SpectralTraining

    logits = torch.randn(2, 7, 4, 4)
    loss = SpectralTraining.distillation_loss
    assert float(loss(None, logits, logits.clone(), 2.0)) == pytest.approx(0, abs=1e-6)
    assert float(loss(None, logits, logits + 5.0, 2.0)) == pytest.approx(0, abs=1e-5)  # softmax ignores a shift
    assert float(loss(None, logits, -logits, 2.0)) > 0.1


def test_train_only_trains_the_named_parameters_and_keeps_the_rest(trained, tmp_path):
    _, result = trained
    start = load_file(str(result.model_path))
    settings = {**CONFIG["train"], "max_steps": 3, "val_every_steps": 3, "init_from": str(result.model_path)}
    config = parse_run_config({**CONFIG, "train": {**settings, "train_only": ["head."]}}, "t")
    end = load_file(str(train(config, tmp_path / "a", progress_bar=False).model_path))
    changed = {name for name in start if not torch.equal(start[name], end[name])}
    assert changed and all(name.startswith("head.") for name in changed)
    assert any(name.startswith("backbone.") for name in start)

    typo = parse_run_config({**CONFIG, "train": {**settings, "train_only": ["head.", "haed."]}}, "t")
    with pytest.raises(ValueError, match="train.train_only: 'haed.' names no parameter"):
        train(typo, tmp_path / "b", progress_bar=False)

    adapted = {**CONFIG, "model": {**CONFIG["model"], "adapter": {"name": "lora"}}}
    both = parse_run_config({**adapted, "train": {**settings, "train_only": ["head."]}}, "t")
    with pytest.raises(ValueError, match="train.train_only and model.adapter both choose what trains"):
        train(both, tmp_path / "c", progress_bar=False)


def test_tumor3d_distills_each_region_as_its_own_sigmoid():
    from hybridvision.pipelines.tumor3d.training import Tumor3DTraining

    teacher = torch.randn(2, 3, 4, 4, 4) * 3
    loss = Tumor3DTraining.distillation_loss
    student = teacher.clone().requires_grad_(True)
    agreeing = loss(None, student, teacher, 2.0)
    agreeing.backward()
    assert float(student.grad.abs().max()) < 1e-7  # agreeing with the teacher is the minimum
    assert float(loss(None, teacher + 1.0, teacher, 2.0)) > float(agreeing)  # a shift matters: no softmax
    assert float(loss(None, -teacher, teacher, 2.0)) > float(agreeing) + 0.1

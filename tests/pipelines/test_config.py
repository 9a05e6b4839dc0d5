import dataclasses

import pytest
import yaml

from hybridvision.pipelines.common.config import Component, ConfigError, load_config, parse_run_config

GOOD = {
    "pipeline": "toy",
    "model": {"backbone": {"name": "swin_test", "drop_path": 0.0}},
    "data": {"size": 32},
    "train": {"max_steps": 5, "learning_rate": 0.01},
}


def write(tmp_path, data, name="run.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_good_config_becomes_typed_frozen_objects(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.pipeline == "toy"
    assert config.model.backbone == Component("swin_test", {"drop_path": 0.0})
    assert config.data.size == 32 and config.data.train_images == 16  # default kept
    assert config.train.max_steps == 5 and config.train.learning_rate == 0.01
    with pytest.raises(AttributeError):
        config.train.max_steps = 6


def test_round_trip_through_a_plain_dict():
    config = parse_run_config(GOOD, "inline")
    assert parse_run_config(config.to_dict(), "again") == config


@pytest.mark.parametrize(
    "change,message",
    [
        ({"train": {"max_step": 5}}, r"run.yaml: unknown key 'train.max_step'"),
        ({"data": {"size": "big"}}, r"run.yaml: data.size must be an integer"),
        ({"train": {"precision": "fp8"}}, r"train.precision must be one of"),
        ({"model": {"backbone": "hybrid_test"}}, r"model.backbone must be a \{name"),
        ({"extra": 1}, r"unknown key 'extra'"),
        ({"pipeline": "toyy"}, r"unknown pipeline 'toyy'.*closest: toy"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, {**GOOD, **change}))


def test_overrides_apply_before_checking(tmp_path):
    path = write(tmp_path, GOOD)
    config = load_config(path, ["train.max_steps=7", "model.backbone.name=hybrid_test", "data.size=64"])
    assert config.train.max_steps == 7 and config.model.backbone.name == "hybrid_test" and config.data.size == 64
    with pytest.raises(ConfigError, match="unknown key 'train.max_stepz'"):
        load_config(path, ["train.max_stepz=7"])
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        load_config(path, ["train.max_steps"])


def test_missing_and_invalid_files_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("pipeline: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_config(bad)


def test_exponent_floats_empty_blocks_and_bad_override_values(tmp_path):
    path = write(tmp_path, {**GOOD, "train": None})
    config = load_config(path, ["train.learning_rate=1e-4", "train.max_steps=3"])
    assert config.train.learning_rate == 1e-4 and config.train.max_steps == 3
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path, ["data.size=[1,2"])


def test_a_blocks_own_checks_name_the_file(tmp_path):
    raw = {"pipeline": "tumor3d", "data": {"roi": [48, 64, 64]}}
    with pytest.raises(ConfigError, match=r"run.yaml: data.roi \[48, 64, 64\]: every side must be a multiple of 32"):
        load_config(write(tmp_path, raw))


# -- one config shape, and older configs migrated ----------------------------------------

SHIPPED_TASKS = ("tumor3d", "xray2shape", "spectral", "superres")


@pytest.mark.parametrize("task", SHIPPED_TASKS)
def test_every_task_model_block_is_backbone_decoder_adapter(task):
    import dataclasses

    from hybridvision.pipelines.registry import PIPELINES

    fields = {f.name for f in dataclasses.fields(PIPELINES.entry(task).factory.model_config)}
    assert {"backbone", "decoder", "adapter"} <= fields


def test_shipped_checkpoints_older_configs_read_as_their_yaml_in_the_current_shape():
    """The checkpoints keep the config they were saved with (older keys); read, it is the YAML's."""
    from hybridvision.pipelines.common.checkpoint import read_metadata, shipped_checkpoints, shipped_root
    from hybridvision.pipelines.common.composition import adapter_kind

    checked = 0
    for path in shipped_checkpoints():
        saved = parse_run_config(read_metadata(path)["config"], str(path))
        current = load_config(shipped_root() / path.parent.name / f"{path.stem}.yaml")
        expected = current.model
        if adapter_kind(expected) == "model":  # merged into the weights when saved: the file names no adapter
            expected = dataclasses.replace(expected, adapter=None)
        assert saved.model == expected, path
        checked += 1
    assert checked == 14


def test_older_adapter_keys_move_to_model_adapter():
    raw = {**GOOD, "train": {"adapter": "lora", "lora_rank": 4, "lora_targets": ["qkv"]}}
    config = parse_run_config(raw, "old.yaml")
    assert config.model.adapter == Component("lora", {"rank": 4, "targets": ("qkv",)})
    assert parse_run_config({**GOOD, "train": {"adapter": "none"}}, "old.yaml").model.adapter is None
    both = {**GOOD, "model": {**GOOD["model"], "adapter": {"name": "lora"}}, "train": {"adapter": "lora"}}
    with pytest.raises(ConfigError, match="old.yaml: both train.adapter .* keep model.adapter"):
        parse_run_config(both, "old.yaml")


@pytest.mark.parametrize(
    "task,older,newer,expected",
    [
        ("tumor3d", {"input_skip_channels": 8}, "decoder", Component("unet", {"input_skip_channels": 8})),
        ("superres", {"head_channels": 16, "direct_head": True}, "decoder",
         Component("pixel_shuffle", {"hidden": 16, "direct": True})),
        ("xray2shape", {"volume_channels": [4, 8, 8, 16, 16], "attention_heads": 2}, "decoder",
         Component("cross_view", {"volume_channels": (4, 8, 8, 16, 16), "attention_heads": 2})),
        ("spectral", {"classifier": {"name": "spectral_window", "dim": 8}}, "decoder",
         Component("classifier", {"pool": "centre_mean"})),
    ],
)  # fmt: skip
def test_older_model_keys_migrate_and_a_mix_is_refused_naming_the_new_key(task, older, newer, expected):
    config = parse_run_config({"pipeline": task, "model": older}, "old.yaml")
    assert getattr(config.model, newer) == expected
    mixed = {"pipeline": task, "model": {**older, "decoder": {"name": "x"}}}
    with pytest.raises(ConfigError, match=r"old.yaml: model: .*model\.(decoder|backbone)"):
        parse_run_config(mixed, "old.yaml")


def test_every_config_the_package_carries_parses():
    """Shipped or not (experiments, tiny test configs), each YAML under configs/ is a valid run."""
    from hybridvision.pipelines.common.checkpoint import shipped_root

    paths = sorted(shipped_root().glob("*/*.yaml"))
    assert len(paths) > 20 and any(p.name == "fast.yaml" for p in paths)
    for path in paths:
        config = load_config(path)
        assert config.pipeline == path.parent.name, path

"""train.feature_cache: a frozen trunk that sees the input unchanged runs once per replayed crop;
later epochs and a re-run read its levels back; another trunk's entries are removed; a model or
task that cannot use the cache is refused in one line."""

from pathlib import Path

import pytest
import torch

from hybridvision.pipelines.common.checkpoint import read_metadata
from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.common.feature_cache import TrunkFeatureCache, trunk_sha256
from hybridvision.pipelines.common.training import train

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
CACHED = [  # 2 cases x 2 crops, batch 1: 4 steps an epoch, 3 epochs
    "model.adapter={name: dvpt, rank: 4, prompts: 2}",
    "data.train_seeds=[0, 2]",
    "data.samples_per_case=2",
    "train.batch_size=1",
    "train.max_steps=12",
    "train.val_every_steps=12",
    "train.feature_cache=true",
]


def trained(tmp_path, run, *overrides):
    config = load_config(
        CONFIGS / "tumor3d" / "tiny.yaml", [*CACHED, f"data.cache_dir={tmp_path / 'cases'}", *overrides]
    )
    result = train(config, tmp_path / run, progress_bar=False)
    return read_metadata(result.model_path)["provenance"]["feature_cache"]


def test_the_trunk_runs_once_per_crop_and_a_new_trunk_clears_the_old_entries(tmp_path):
    assert trained(tmp_path, "run") == "trunk ran on 4 samples, 8 read back; 0.00 GB stored"
    entries = list((tmp_path / "run" / "feature_cache").glob("*/*.safetensors"))
    assert len(entries) == 4  # one per replayed crop
    # the same run again: every crop's levels are read back, the trunk never runs in training
    assert trained(tmp_path, "run", "train.max_steps=4", "train.val_every_steps=4").startswith(
        "trunk ran on 0 samples, 4 read back"
    )
    # another trunk (another seed, other random frozen weights): the old trunk's entries go
    trained(tmp_path, "run", "train.seed=1", "train.max_steps=4", "train.val_every_steps=4")
    folders = list((tmp_path / "run" / "feature_cache").iterdir())
    assert len(folders) == 1 and not set(entries) & set(folders[0].iterdir())


def test_cached_levels_are_the_trunks_own_to_bfloat16_and_the_size_bound_holds(tmp_path):
    trunk = torch.nn.Conv2d(1, 3, 3, padding=1)

    def levels(x):
        return [trunk(x), trunk(x)[:, :, ::2, ::2]]

    lines = []
    cache = TrunkFeatureCache(
        tmp_path, trunk_sha256(trunk), limit_bytes=3 * 2 * (3 * 8 * 8 + 3 * 4 * 4), log=lines.append
    )
    x = torch.rand(4, 1, 8, 8)
    first = cache(levels, x)
    again = cache(levels, x)
    with torch.no_grad():
        direct = levels(x)
    for a, b, d in zip(first, again, direct):
        assert torch.equal(a, b) and a.dtype == torch.float32
        assert torch.allclose(a, d, atol=1e-2) and not a.requires_grad
    assert cache.trunk_samples == 5 and cache.cached_samples == 3  # the fourth did not fit: it ran again
    assert lines == ["feature cache full at 0.00 GB (train.feature_cache_gb): further crops run the trunk each time"]


def test_models_and_tasks_that_cannot_use_the_cache_are_refused(tmp_path):
    plain = load_config(CONFIGS / "tumor3d" / "tiny.yaml", ["train.feature_cache=true"])
    with pytest.raises(ValueError, match="no frozen trunk in this model sees its input unchanged"):
        train(plain, tmp_path / "plain", progress_bar=False)
    superres = load_config(CONFIGS / "superres" / "tiny.yaml", ["train.feature_cache=true"])
    with pytest.raises(ValueError, match="superres training does not replay a fixed set of crops"):
        train(superres, tmp_path / "superres", progress_bar=False)


def test_xray2shape_replays_its_pairs_so_a_side_adapters_trunk_runs_once_per_view(tmp_path):
    overrides = [
        "model.adapter={name: side, width: 4}",
        "data.samples_per_epoch=4",
        "train.max_steps=6",
        "train.val_every_steps=6",
        "train.feature_cache=true",
    ]
    config = load_config(CONFIGS / "xray2shape" / "tiny.yaml", overrides)
    result = train(config, tmp_path / "run", progress_bar=False)
    summary = read_metadata(result.model_path)["provenance"]["feature_cache"]
    assert summary.startswith("trunk ran on 8 samples, 16 read back")  # 4 pairs x 2 views, 3 epochs

"""Model cards: every shipped checkpoint has one, it belongs to these weights, its figures reproduce,
the README's tables are rendered from the cards, and ``list checkpoints`` shows them in 100 columns."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from hybridvision.bench.cards import lookup, measure_evaluation, readme_with_tables
from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.common.cards import card_path, figure_text, read_card, shipped_cards
from hybridvision.pipelines.common.checkpoint import shipped_checkpoints, shipped_name

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("checkpoint", shipped_checkpoints(), ids=lambda p: shipped_name(p))
def test_every_shipped_checkpoint_has_a_card_of_its_own_weights(checkpoint):
    card = read_card(card_path(checkpoint))
    assert card["checkpoint"] == shipped_name(checkpoint)
    assert card["sha256"] == hashlib.sha256(checkpoint.read_bytes()).hexdigest(), "weights changed: re-measure"
    assert (ROOT / card["trained"]).is_file()
    assert card["evaluations"]
    for evaluation in card["evaluations"]:
        assert any(c.startswith("hybridvision predict") for c in evaluation["commands"])
        assert all(isinstance(f["value"], (int, float)) for f in evaluation["figures"]), "every figure measured"


@pytest.mark.parametrize("checkpoint", shipped_checkpoints(), ids=lambda p: shipped_name(p))
def test_every_cards_predict_commands_run_the_cards_own_checkpoint(checkpoint):
    """A card measures its checkpoint: named, or the default its options pick (which can change)."""
    from hybridvision.pipelines.common.checkpoint import default_checkpoint

    card = read_card(card_path(checkpoint))
    for evaluation in card["evaluations"]:
        for command in (c for c in evaluation["commands"] if c.startswith("hybridvision predict")):
            words = command.split()
            option = dict(zip(words[3::1], words[4::1]))
            if "--checkpoint" in option:
                assert option["--checkpoint"] == card["checkpoint"], command
                continue
            chosen = {"scale": int(option.get("--scale", 0)), "anatomy": option.get("--anatomy", "")}
            assert shipped_name(default_checkpoint(words[2], chosen)) == card["checkpoint"], command


def test_the_readme_tables_are_rendered_from_the_cards():
    text = (ROOT / "README.md").read_text()
    for task in ("tumor3d", "superres", "spectral", "xray2shape"):
        assert f"<!-- cards:{task} -->" in text
    assert readme_with_tables(text, shipped_cards()) == text, (
        "README tables differ from the cards: python -m hybridvision.bench.cards --readme README.md"
    )


def test_lookup_walks_objects_and_picks_list_items_by_case():
    scores = {"cases": [{"case": "camera", "psnr": 31.4}, {"case": "brick", "psnr": 38.7}], "mean": {"psnr": 35.0}}
    assert lookup(scores, "cases.brick.psnr") == 38.7
    assert lookup(scores, "mean.psnr") == 35.0
    with pytest.raises(KeyError, match="mean.ssim"):
        lookup(scores, "mean.ssim")


def test_a_card_with_a_misnamed_key_names_it(tmp_path):
    bad = tmp_path / "x.card.json"
    evaluation = '{"data": "d", "commands": [], "figure": []}'
    bad.write_text(f'{{"checkpoint": "a/b", "trained": "c", "evaluations": [{evaluation}]}}')
    with pytest.raises(InputError, match="evaluation 0 has keys"):
        read_card(bad)


@pytest.mark.slow
def test_a_card_figure_reproduces(tmp_path):
    """The x2 card's commands, cut to one hold-out image, give its per-image gain again."""
    card = shipped_cards()["superres/x2"]
    (evaluation,) = card["evaluations"]
    (figure,) = [f for f in evaluation["figures"] if f["key"] == "cases.camera.psnr_gain"]
    commands = list(evaluation["commands"])
    commands.insert(1, "find sr/inputs sr/truth -type f ! -name 'camera.png' -delete")
    check = {**evaluation, "commands": commands, "figures": [dict(figure)]}
    measure_evaluation(check, tmp_path, log=lambda message: None)
    assert check["figures"][0]["value"] == pytest.approx(figure["value"], abs=0.01)


@pytest.mark.slow
def test_list_checkpoints_shows_every_figure_within_100_columns(user_env):
    command, env = "hybridvision", user_env
    listed = subprocess.run([command, "list", "checkpoints"], env=env, capture_output=True, text=True, check=True)
    wide = subprocess.run([command, "list", "checkpoints", "--wide"], env=env, capture_output=True, text=True)
    assert max(len(line) for line in listed.stdout.splitlines()) <= 100
    for name, card in shipped_cards().items():
        assert name in listed.stdout
        for evaluation in card["evaluations"]:
            for figure in evaluation["figures"]:
                assert f"{figure['value']:.{figure['digits']}f}" in listed.stdout, f"{name}: {figure['label']}"
                assert figure_text(figure) in wide.stdout, f"{name}: {figure_text(figure)} (--wide)"
            assert evaluation["data"] in wide.stdout
    assert "validation while training" in wide.stdout and "validation while" in listed.stdout

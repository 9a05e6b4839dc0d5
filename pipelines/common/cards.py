"""Model cards: each shipped checkpoint's hold-out figures, with the data and commands they came from.

A card is ``configs/<task>/<name>.card.json`` beside the checkpoint (the ``.safetensors`` is never
re-saved for it, so its SHA-256 stays stable)::

    {"checkpoint": "superres/x2", "sha256": "<of the .safetensors>", "trained": "configs/superres/x2.yaml",
     "evaluations": [{"data": "what it was measured on",
                      "commands": ["hybridvision samples ...", "hybridvision predict ...", ...],
                      "figures": [{"label": "Y-PSNR dB", "file": "sr/scores.json",
                                   "key": "mean.psnr", "digits": 2, "value": 34.89}]}]}

``commands`` run in order in an empty folder; each figure is read from the JSON ``file`` they
wrote, at ``key`` (dots walk into objects; in a list, a segment picks the item whose ``case`` has
that name). ``python -m hybridvision.pipelines.common.cards`` runs them again and rewrites the
values; the README's tables of shipped figures are rendered from the cards (``readme_table``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..base import InputError
from .atomic import write_json_atomic
from .checkpoint import SUFFIX, checkpoint_identity, shipped_checkpoints, shipped_name, shipped_root

CARD_SUFFIX = ".card.json"
EVALUATION_KEYS = {"data", "commands", "figures"}
FIGURE_KEYS = {"label", "file", "key", "digits", "value"}


def card_path(checkpoint: Path) -> Path:
    """``configs/superres/x2.card.json`` for ``configs/superres/x2.safetensors``."""
    return Path(checkpoint).with_suffix("").with_suffix(CARD_SUFFIX)


def read_card(path: Path) -> dict[str, Any]:
    """A card, checked for the keys every reader relies on.

    Raises:
        InputError: the file is missing, not JSON, or lacks or misnames a key (the message names it).
    """
    try:
        card = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not a readable model card ({error})") from error
    for key in ("checkpoint", "trained", "evaluations"):
        if key not in card:
            raise InputError(f"{path}: model card without {key!r}")
    for index, evaluation in enumerate(card["evaluations"]):
        if set(evaluation) != EVALUATION_KEYS:
            raise InputError(f"{path}: evaluation {index} has keys {sorted(evaluation)}, not {sorted(EVALUATION_KEYS)}")
        for figure in evaluation["figures"]:
            if not set(figure) <= FIGURE_KEYS or not {"label", "file", "key", "digits"} <= set(figure):
                raise InputError(f"{path}: figure {figure.get('label', '?')!r} has keys {sorted(figure)}")
    return card


def shipped_cards() -> dict[str, dict[str, Any]]:
    """Cards of the shipped checkpoints by short name (``superres/x2``); a checkpoint without one is left out."""
    cards = {}
    for checkpoint in shipped_checkpoints():
        if card_path(checkpoint).is_file():
            cards[shipped_name(checkpoint)] = read_card(card_path(checkpoint))
    return cards


def figure_text(figure: dict[str, Any]) -> str:
    """``Dice WT 0.959``: a figure as tables show it ("?" when never measured)."""
    value = figure.get("value")
    shown = "?" if value is None else f"{value:.{figure['digits']}f}"
    return f"{figure['label']} {shown}"


def lookup(scores: Any, key: str) -> float:
    """``scores`` at a dotted ``key``; in a list, a segment is the ``case`` name of an item."""
    node = scores
    for part in key.split("."):
        if isinstance(node, list):
            node = next((item for item in node if str(item.get("case")) == part), None)
        elif isinstance(node, dict):
            node = node.get(part)
        if node is None:
            raise KeyError(f"{key}: no {part!r}")
    return float(node)


def measure_evaluation(evaluation: dict[str, Any], folder: Path, log=print) -> None:
    """Run an evaluation's commands in ``folder`` (skipped when a previous run finished) and set its
    figures' values from what they wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    finished = folder / ".finished"
    if not finished.exists():
        # the installed command of this interpreter's environment, as a user's shell finds it
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        for command in evaluation["commands"]:
            log(f"$ {command}")
            subprocess.run(["bash", "-c", command], cwd=folder, env=env, check=True)
        finished.touch()
    for figure in evaluation["figures"]:
        scores = json.loads((folder / figure["file"]).read_text())
        figure["value"] = round(lookup(scores, figure["key"]), figure["digits"])


def measure_card(name: str, work: Path, log=print) -> dict[str, Any]:
    """Re-measure every figure of a shipped checkpoint's card and rewrite the card."""
    path = shipped_root() / f"{name}{CARD_SUFFIX}"
    card = read_card(path)
    for index, evaluation in enumerate(card["evaluations"]):
        measure_evaluation(evaluation, work / name.replace("/", "-") / str(index), log)
    sha256 = checkpoint_identity(path.with_name(path.name.replace(CARD_SUFFIX, SUFFIX)))["sha256"]
    rest = {k: v for k, v in card.items() if k not in ("checkpoint", "sha256")}
    card = {"checkpoint": card["checkpoint"], "sha256": sha256, **rest}  # the weights these figures belong to
    write_json_atomic(path, card)
    return card


def readme_table(cards: dict[str, dict[str, Any]], task: str) -> str:
    """The Markdown table of a task's shipped figures, as the README shows it."""
    lines = ["| checkpoint | measured on | figures |", "|---|---|---|"]
    for name, card in cards.items():
        if not name.startswith(f"{task}/"):
            continue
        for evaluation in card["evaluations"]:
            figures = ", ".join(figure_text(f) for f in evaluation["figures"])
            lines.append(f"| `{name}` | {evaluation['data']} | {figures} |")
    return "\n".join(lines)


def readme_with_tables(text: str, cards: dict[str, dict[str, Any]]) -> str:
    """README text with each ``<!-- cards:TASK -->`` ... ``<!-- /cards -->`` block rendered anew."""
    out, rest = [], text
    while "<!-- cards:" in rest:
        before, marker = rest.split("<!-- cards:", 1)
        task, after = marker.split(" -->", 1)
        if "<!-- /cards -->" not in after:
            raise InputError(f"README: <!-- cards:{task} --> is not closed by <!-- /cards -->")
        rest = after.split("<!-- /cards -->", 1)[1]
        out.append(f"{before}<!-- cards:{task} -->\n{readme_table(cards, task)}\n<!-- /cards -->")
    return "".join(out) + rest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Re-measure shipped model cards and render the README's tables.")
    parser.add_argument("names", nargs="*", help="cards to re-measure (<task>/<name>); none: only render the README")
    parser.add_argument("--work", type=Path, default=Path("card-runs"), help="folder for the commands' outputs")
    parser.add_argument("--readme", type=Path, help="README.md whose card tables to rewrite")
    args = parser.parse_args(argv)
    for name in args.names:
        measure_card(name, args.work)
    if args.readme:
        args.readme.write_text(readme_with_tables(args.readme.read_text(), shipped_cards()))


if __name__ == "__main__":
    main()

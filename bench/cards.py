"""The model-card tool: re-measure shipped checkpoints' cards and render the README's tables from them.

``python -m hybridvision.bench.cards [NAME ...] [--readme README.md]``: each named card's
evaluations run again (their ``commands`` in an empty folder, in order) and its figures are rewritten
from the JSON files they wrote; ``--readme`` renders each ``<!-- cards:TASK -->`` block anew. Reading
cards (what ``list checkpoints`` shows) stays in ``pipelines/common/cards.py``; this module only
writes them, so nothing at prediction time imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hybridvision.pipelines.common.atomic import write_json_atomic
from hybridvision.pipelines.common.cards import CARD_SUFFIX, figure_text, read_card, shipped_cards
from hybridvision.pipelines.common.checkpoint import SUFFIX, checkpoint_identity, shipped_root
from hybridvision.pipelines.errors import InputError


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

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
that name). This module only reads cards (``list checkpoints`` shows them); the tool that re-runs
the commands, rewrites the values and renders the README's tables is ``hybridvision.bench.cards``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from .shipped import shipped_checkpoints, shipped_name

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

"""What the command line knows of a task before importing it: its options and verbs.

Each task declares a ``TaskSpec`` in its ``options.py``, a module that imports nothing heavy, so
``hybridvision --help`` lists every task and option without loading torch, MONAI or Gradio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CliOption:
    """A pipeline's own option (``--scale 4``, ``--labels brats2023``)."""

    name: str
    type: type
    default: Any
    help: str


@dataclass(frozen=True)
class TaskSpec:
    """A task's command-line surface.

    Attributes:
        name: the registry name (``tumor3d``).
        description: one line for ``list pipelines`` and ``--help``.
        default_checkpoint: stem of the shipped checkpoint used without ``--checkpoint``.
        predict: ``predict``'s own options.
        samples, evaluate, bench: the options of those verbs; None when the task has no such verb.
        bench_help: what ``bench <task>`` compares.
        export_bundle: whether the task exports MONAI bundles.
    """

    name: str
    description: str
    default_checkpoint: str = ""
    predict: tuple[CliOption, ...] = ()
    samples: tuple[CliOption, ...] | None = None
    evaluate: tuple[CliOption, ...] | None = None
    bench: tuple[CliOption, ...] | None = None
    bench_help: str = ""
    export_bundle: bool = False

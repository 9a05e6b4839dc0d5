"""Results as tables: what a benchmark or an evaluation hands the command line to print.

Tasks build ``Report``s from their own results; one printer (``apps/printing.py``) renders every
report, so the command line never unpacks a task's private dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    """A titled table of text cells; numbers are formatted by the task that knows their meaning."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Report:
    """Tables, then notes (one line each)."""

    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

"""One printer for every ``Report`` a task hands back (benchmarks, evaluations)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable

from hybridvision.pipelines.report import Report


def print_report(report: Report, console: Console) -> None:
    """Each table with its title (numbers right-aligned, the first column left), then the notes."""
    for table in report.tables:
        rich = RichTable(title=table.title)
        for index, column in enumerate(table.columns):
            rich.add_column(column, justify="left" if index == 0 else "right")
        for row in table.rows:
            rich.add_row(*row)
        console.print(rich)
    for note in report.notes:
        console.print(note, highlight=False)

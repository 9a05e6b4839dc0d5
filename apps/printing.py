"""One printer for every ``Report`` a task hands back (benchmarks, evaluations)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable

from hybridvision.pipelines.report import Report, Table


def width_of(columns: list[str], rows: list[list[str]]) -> int:
    """Characters a table needs on one line (cells, padding and borders)."""
    cells = [columns, *rows]
    return sum(max(len(row[i]) for row in cells) + 3 for i in range(len(columns))) + 1


def transposed(table: Table) -> Table:
    """Rows become columns: many metrics over few cases read better as a row per metric."""
    columns = [table.columns[0], *[row[0] for row in table.rows]]
    rows = [[name, *[row[i] for row in table.rows]] for i, name in enumerate(table.columns) if i]
    return Table(table.title, columns, rows)


def print_report(report: Report, console: Console) -> None:
    """Each table with its title (numbers right-aligned, the first column left), then the notes.

    A table too wide for the console is printed turned (a row per column) when that fits better;
    nothing is cut.
    """
    for table in report.tables:
        if width_of(table.columns, table.rows) > console.width:
            turned = transposed(table)
            if width_of(turned.columns, turned.rows) < width_of(table.columns, table.rows):
                table = turned
        rich = RichTable(title=table.title)
        for index, column in enumerate(table.columns):
            rich.add_column(column, justify="left" if index == 0 else "right", overflow="fold")
        for row in table.rows:
            rich.add_row(*row)
        console.print(rich)
    for note in report.notes:
        console.print(note, highlight=False)

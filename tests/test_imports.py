"""Imports run one way: apps -> bench -> pipelines -> backbones -> layers, read from every module's
AST (imports inside functions included); only the bench verbs import hybridvision.bench;
pipelines/common imports no task and not its parent package; the demo does not import the command
line; cli.py and common/ never name a task; and ``--help`` at any level, like ``import
hybridvision``, loads no torch, MONAI or Gradio."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from hybridvision.pipelines.registry import TASKS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "hybridvision_package": "hybridvision",  # the top-level package's own folder
    "apps": "hybridvision.apps",
    "bench": "hybridvision.bench",
    "pipelines": "hybridvision.pipelines",
    "backbones": "hybridvision.backbones",
}
TASK_PACKAGES = tuple(f"hybridvision.pipelines.{task}" for task in TASKS)
CLI_MODULES = (
    "hybridvision.apps.cli", "hybridvision.apps.commands", "hybridvision.apps.listing",
    "hybridvision.apps.bench_commands",
)  # fmt: skip
# `hybridvision bench backbones` and the other shared benches; task benches go through registry.VERBS
BENCH_CALLERS = ("hybridvision.apps.bench_commands",)


def modules() -> dict[str, Path]:
    """Module name -> file, for every module of the three packages."""
    found = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts))
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(name: str, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in a file, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names if not node.module]
    return [(line, target) for line, target in found if target.startswith("hybridvision.")]


def layer(module: str) -> int | None:
    if module == "hybridvision":
        return 5  # the top-level package: ``load`` over everything
    if module.startswith("hybridvision.apps"):
        return 4
    if module.startswith("hybridvision.bench"):
        return 3
    if module.startswith("hybridvision.pipelines"):
        return 2
    if module.startswith("hybridvision.backbones.layers"):
        return 0
    if module.startswith("hybridvision.backbones"):
        return 1
    return None  # hybridvision.configs: data, open to all


ALL = modules()


@pytest.mark.parametrize("name", sorted(ALL))
def test_imports_run_one_way(name):
    upward = [
        f"{ALL[name].relative_to(ROOT)}:{line} imports {target}"
        for line, target in imports_of(name, ALL[name])
        if layer(target) is not None and layer(target) > layer(name)
    ]
    assert not upward


def test_only_the_bench_verbs_import_bench():
    """Prediction, training, the demo and the API never load a benchmark: the registry names the
    bench verbs as strings, imported when one runs, and only the command line imports the rest."""
    wrong = [
        f"{ALL[name].relative_to(ROOT)}:{line} imports {target}"
        for name in sorted(ALL)
        if not name.startswith("hybridvision.bench") and name not in BENCH_CALLERS
        for line, target in imports_of(name, ALL[name])
        if target.startswith("hybridvision.bench")
    ]
    assert not wrong


@pytest.mark.parametrize("name", sorted(n for n in ALL if n.startswith("hybridvision.pipelines.common")))
def test_common_imports_no_task_and_not_its_parent_package(name):
    wrong = [
        f"line {line}: {target}"
        for line, target in imports_of(name, ALL[name])
        if target.startswith(TASK_PACKAGES) or target == "hybridvision.pipelines"
    ]
    assert not wrong


@pytest.mark.parametrize("name", sorted(n for n in ALL if n.startswith("hybridvision.apps.demo")))
def test_the_demo_does_not_import_the_command_line(name):
    wrong = [f"line {line}: {t}" for line, t in imports_of(name, ALL[name]) if t.startswith(CLI_MODULES)]
    assert not wrong


def code_strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@pytest.mark.parametrize(
    "name", ["hybridvision.apps.cli", *sorted(n for n in ALL if n.startswith("hybridvision.pipelines.common"))]
)
def test_cli_and_common_never_name_a_task(name):
    named = [f"line {line}: {text!r}" for line, text in code_strings(ALL[name]) if any(t in text for t in TASKS)]
    imported = [f"line {line}: {t}" for line, t in imports_of(name, ALL[name]) if t.startswith(TASK_PACKAGES)]
    assert not named and not imported


def test_cli_stays_thin():
    assert len((ROOT / "apps" / "cli.py").read_text().splitlines()) < 300


def module_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (anywhere in it). ``from . import x`` is an edge
    to module ``x``; ``from . import NAME`` one to the package, whose ``__init__`` defines NAME."""
    graph = {}
    for name, path in ALL.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = (f"{base}.{node.module}" if node.module else base) if node.level else node.module or ""
                targets |= {f"{module}.{a.name}" if f"{module}.{a.name}" in ALL else module for a in node.names}
        edges = set()
        for imported in targets:
            target = imported
            while target and target not in ALL:  # a name inside a module: the module
                target = target.rpartition(".")[0]
            if target == "hybridvision" != imported:  # under a folder not read here (configs), not the top
                continue
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    """No module reaches itself through imports, at module level or inside functions."""
    assert circles(module_graph()) == []
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]  # the check checks


@pytest.mark.parametrize("args", [["--help"], ["predict", "--help"], ["predict", "tumor3d", "--help"]], ids=str)
def test_help_loads_no_torch_monai_or_gradio(args):
    probe = (
        "import sys\n"
        "from hybridvision.apps.cli import build_app\n"
        "try:\n"
        f"    build_app()(prog_name='hybridvision', args={args!r})\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print(sorted(m for m in ('torch', 'monai', 'gradio') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "Usage" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout[-500:]


def test_import_hybridvision_loads_no_torch_and_load_is_the_api():
    probe = (
        "import sys\n"
        "import hybridvision\n"
        "assert hybridvision.__file__.endswith('__init__.py'), 'a namespace package, not the real one'\n"
        "loaded = sorted(m for m in ('torch', 'monai', 'gradio') if m in sys.modules)\n"
        "from hybridvision.pipelines.api import load\n"
        "assert not hasattr(hybridvision, 'no_such_name')\n"
        "print(loaded, hybridvision.load is load)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["[]", "True"], done.stdout + done.stderr[-500:]


def test_the_demo_page_is_built_without_torch_or_a_task():
    """Start-up: the page (every tab, its model choices and legends) comes from the cards, the
    checkpoints' headers and the tasks' options; torch and a task's code load on the first request."""
    probe = (
        "import sys\n"
        "from hybridvision.apps.demo.app import build_demo\n"
        "build_demo()\n"
        "LIGHT = ('options', 'model_block')  # a task's command-line surface and its config migration: plain data\n"
        "parts = [m.split('.') for m in sys.modules if m.startswith('hybridvision.pipelines.')]\n"
        f"tasks = ['.'.join(p) for p in parts if len(p) > 3 and p[2] in {sorted(TASKS)!r} and p[3] not in LIGHT]\n"
        "print(sorted(m for m in ('torch', 'monai', 'timm') if m in sys.modules), sorted(tasks))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)  # the user's environment
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[] []", done.stdout[-800:]

"""House rules a machine can check: every package is installed, no file over 600 lines."""

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {
    "apps": "hybridvision.apps",
    "backbones": "hybridvision.backbones",
    "pipelines": "hybridvision.pipelines",
    "configs": "hybridvision.configs",
}


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for top, package in MAPPED.items():
        for init in (ROOT / top).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((package, *relative)))
    assert found == listed


def test_no_python_file_over_600_lines():
    files = [p for top in (*MAPPED, "tests") for p in (ROOT / top).rglob("*.py")]
    long = [str(p) for p in files if len(p.read_text().splitlines()) > 600]
    assert not long

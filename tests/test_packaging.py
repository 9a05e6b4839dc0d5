"""House rules a machine can check: every package is installed, no file over 600 lines, one version."""

import json
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {
    "hybridvision_package": "hybridvision",  # the top-level package's own __init__.py
    "apps": "hybridvision.apps",
    "backbones": "hybridvision.backbones",
    "pipelines": "hybridvision.pipelines",
    "bench": "hybridvision.bench",
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


def test_every_mapped_folder_is_in_the_package_dir():
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    assert mapping == {package: folder for folder, package in MAPPED.items()}


def test_the_package_version_is_pyprojects():
    import hybridvision

    assert hybridvision.__version__ == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_no_python_file_over_600_lines():
    files = [p for top in (*MAPPED, "tests") for p in (ROOT / top).rglob("*.py")]
    long = [str(p) for p in files if len(p.read_text().splitlines()) > 600]
    assert not long


def test_a_regular_install_carries_configs_and_checkpoints(tmp_path):
    """Build the wheel, install it into a folder, and find the top-level package, the benchmarks and
    the package data from there."""
    import subprocess
    import sys

    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheel_dir), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(wheel_dir.glob("hybridvision-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    shipped = sorted(p.name for p in (ROOT / "configs").glob("*/*") if p.suffix in (".yaml", ".safetensors"))
    script = (
        f"import sys; sys.path.insert(0, {str(target)!r})\n"
        "from importlib import resources\n"
        "import hybridvision.configs as configs\n"
        f"assert configs.__file__.startswith({str(target)!r}), configs.__file__\n"
        "import hybridvision, importlib.util\n"
        f"assert hybridvision.__file__ == {str(target / 'hybridvision' / '__init__.py')!r}, hybridvision.__file__\n"
        "assert importlib.util.find_spec('hybridvision.bench.superres.benchmark') is not None\n"
        "root = resources.files('hybridvision.configs')\n"
        "import json; print(json.dumps(sorted(p.name for d in root.iterdir() if d.is_dir() for p in d.iterdir())))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    found = json.loads(result.stdout)
    assert set(shipped) <= set(found)

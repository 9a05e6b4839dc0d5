"""The README's Python API examples, run as written, each in an empty folder; and the API's errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def api_examples() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Python API\n") : text.index("\n## ", text.index("## Python API\n") + 1)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_shows_an_example_per_task():
    firsts = [example.splitlines()[0] for example in api_examples()]
    assert [line.split(":")[0] for line in firsts[:4]] == ["# superres", "# tumor3d", "# spectral", "# xray2shape"]


@pytest.mark.parametrize("index", range(5))
def test_readme_api_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(api_examples()[index], f"README.md Python API example {index + 1}", "exec"), {"__name__": "example"})


def test_api_errors_say_what_the_task_takes(tmp_path):
    from hybridvision.pipelines.api import load
    from hybridvision.pipelines.base import InputError

    with pytest.raises(InputError, match=r"tumor3d takes \(4, X, Y, Z\) volumes"):
        load("tumor3d").predict(np.zeros((3, 8, 8, 8)))
    with pytest.raises(InputError, match="missing.nii.gz: not found"):
        load("tumor3d").predict(tmp_path / "missing.nii.gz")
    with pytest.raises(InputError, match=r"xray2shape takes \(2, H, W\)"):
        load("xray2shape").predict(np.zeros((64, 64)))


def test_a_geotiff_keeps_its_georeference_through_the_api():
    from rasterio.transform import from_origin

    from hybridvision.pipelines.api import load

    transform = from_origin(500000, 4000000, 10, 10)
    image = (np.random.default_rng(0).random((32, 40, 3)) * 4000).astype(np.uint16)
    result = load("superres/x2").predict(image, meta={"crs": "EPSG:32633", "transform": transform, "nodata": 0})
    assert result.array.shape == (64, 80, 3) and result.array.dtype == np.uint16
    assert result.crs.to_epsg() == 32633 and result.transform.a == 5.0 and result.transform.c == 500000

"""kill -9 of a whole ``predict`` (its process group, workers included) at several moments, then a
re-run: every output complete and valid, none duplicated, no temporary left, the resumed units
listed. As a user runs it: the installed command, the shipped model, a fresh HOME."""

import json

import numpy as np
import pytest
import rasterio
from PIL import Image

from .batch_inputs import kill_group, start, temporaries, wait_for, write_photos, write_raster

PHOTOS = [f"photo{i:03d}.png" for i in range(4)]
OUTPUTS = sorted([*PHOTOS, "zz_scene.tif", "zz_scene.json", "report.json"])  # a GeoTIFF gets its STAC Item


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = write_photos(tmp_path_factory.mktemp("kill") / "in", 4, side=96)
    write_raster(folder / "zz_scene.tif", side=256)  # last in order; streamed, so half-written for seconds
    return folder


def finals(folder):
    return [p for p in folder.glob("*") if not p.name.startswith(".")] if folder.exists() else []


MOMENTS = {
    "mid-batch": lambda out: len(finals(out)) >= 1,  # the first photo is out, the next is running
    "mid-write": lambda out: any("zz_scene" in name for name in temporaries(out)),  # the raster half-written
}


@pytest.mark.parametrize(
    "engine, moment", [([], "mid-batch"), ([], "mid-write"), (["--workers", "2"], "mid-write")], ids=str
)
def test_a_killed_run_leaves_nothing_half_written_and_resumes(inputs, tmp_path, user_env, engine, moment):
    out = tmp_path / "out"
    command = ["hybridvision", "predict", "superres", "-i", str(inputs), "-o", str(out), "--threads", "1", *engine]
    run = start(command, user_env, tmp_path)
    wait_for(lambda: MOMENTS[moment](out) or run.poll() is not None)
    assert run.poll() is None, "the run ended before the moment to kill it"
    assert kill_group(run) == []  # no worker, nanny or client survives
    before = {p.name for p in finals(out)}
    assert "report.json" not in before and before <= set(PHOTOS)

    again = start(command, user_env, tmp_path)
    log = again.communicate(timeout=600)[0].decode()
    assert again.returncode == 0, log
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS  # all there, none twice, no temporary
    report = json.loads((out / "report.json").read_text())
    assert {u["name"] for u in report["units"] if u["status"] == "skipped"} == before  # what was resumed
    assert report["summary"] == {"done": 5 - len(before), "partial": 0, "skipped": len(before), "failed": 0}
    for name in PHOTOS:
        assert Image.open(out / name).size == (192, 192)
    with rasterio.open(out / "zz_scene.tif") as scene:
        assert scene.shape == (512, 512) and scene.crs.to_epsg() == 32633 and scene.transform.a == 5.0
        assert np.isfinite(scene.read()).all() and scene.read().max() > 0

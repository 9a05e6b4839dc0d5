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


def test_the_readme_examples_load_through_import_hybridvision():
    section = README.read_text().split("## Python API\n", 1)[1]
    assert section.lstrip().startswith("`import hybridvision`")
    assert api_examples()[0].splitlines()[1] == "import hybridvision"
    for example in api_examples()[:4]:
        assert "import hybridvision\n" in example and "hybridvision.load(" in example


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


def test_tumor3d_and_xray2shape_predict_in_memory_with_options_per_call(tmp_path, monkeypatch):
    """No file is written (nothing in the temp dir or the working folder, no NIfTI or TIFF saved), and
    an option given to one call does not stay with the loaded model."""
    import tempfile

    import nibabel as nib
    import tifffile

    from hybridvision.pipelines.api import load

    def refuse(*args, **kwargs):
        raise AssertionError("the in-memory API wrote a file")

    for module, name in ((nib, "save"), (tifffile, "imwrite"), (tempfile, "mkdtemp"), (tempfile, "mkstemp")):
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.chdir(tmp_path)
    from hybridvision.pipelines.tumor3d.generator import MODALITIES, GeneratorRanges, generate_case

    case = generate_case(1000, GeneratorRanges(working_spacing=3.0))  # 32 voxels around its tumour
    start = np.clip(np.argwhere(case.label > 0).mean(axis=0).astype(int) - 16, 0, np.array(case.label.shape) - 32)
    volumes = np.stack([case.images[m][tuple(slice(a, a + 32) for a in start)] for m in MODALITIES])
    model = load("tumor3d")
    plain = model.predict(volumes, meta={"affine": case.affine})
    relabelled = model.predict(volumes, meta={"affine": case.affine}, labels="brats2023")
    again = model.predict(volumes, meta={"affine": case.affine})
    assert plain.array.shape == (32, 32, 32) and np.allclose(plain.affine, case.affine)
    assert (plain.array == 4).any()  # enhancing voxels, whose value the option changes
    assert np.array_equal(relabelled.array, np.where(plain.array == 4, 3, plain.array))
    assert np.array_equal(again.array, plain.array)  # brats2023 did not stick to the model
    views = np.stack([np.outer(np.hanning(96), np.hanning(80)) for _ in range(2)]).astype(np.float32)
    bones = load("xray2shape").predict(views)
    assert bones.array.dtype == np.uint8 and bones.array.ndim == 3 and bones.affine.shape == (4, 4)
    assert not any(tmp_path.iterdir()) and not list(Path(tempfile.gettempdir()).glob("hybridvision-api-*"))
    import torch

    tensors = model.predict_batch([torch.from_numpy(volumes)] * 2, [{"affine": case.affine}] * 2)
    assert all(isinstance(t.array, torch.Tensor) and t.array.device.type == "cpu" for t in tensors)
    assert all(np.array_equal(t.array.numpy(), plain.array) for t in tensors)  # a tensor in: a tensor out
    with pytest.raises(TypeError, match="tumor3d has no prediction option 'tta_flip'"):
        model.predict(volumes, tta_flip=2)
    with pytest.raises(ValueError, match="--tta-flips must be 1 to 8, got 9"):
        model.predict(volumes, tta=True, tta_flips=9)


def test_streamed_tasks_predict_in_memory_and_agree_with_predict(tmp_path, monkeypatch):
    """superres and spectral stream their windows into an array: no file is written, the result is
    the file ``predict`` writes, value for value, and an option holds for its call only."""
    import tempfile

    import rasterio
    from PIL import Image
    from rasterio.transform import from_origin

    from hybridvision.pipelines.api import load
    from hybridvision.pipelines.common import rasters
    from hybridvision.pipelines.common.batch import run_batch
    from hybridvision.pipelines.spectral.io import Georeference, write_cube
    from hybridvision.pipelines.spectral.training_data import generated_scene

    rng = np.random.default_rng(3)
    photo = rng.integers(0, 255, (40, 52, 3)).astype(np.uint8)
    raster = (rng.random((36, 44, 2)) * 4000).astype(np.uint16)
    raster[:4, :4] = 0  # nodata: a hole in both bands
    geo = {"crs": "EPSG:32633", "transform": from_origin(500000, 4000000, 10, 10), "nodata": 0}
    cube, _ = generated_scene(24, 128, seed=1000)
    (tmp_path / "in").mkdir()
    Image.fromarray(photo).save(tmp_path / "in" / "photo.png")
    with rasterio.open(tmp_path / "in" / "raster.tif", "w", driver="GTiff", height=36, width=44, count=2,
                       dtype="uint16", **geo) as dataset:  # fmt: skip
        dataset.write(raster.transpose(2, 0, 1))
    (tmp_path / "cube").mkdir()
    write_cube(cube, tmp_path / "cube" / "scene.tif", None, Georeference(None, None), None)

    superres, spectral = load("superres/x2"), load("spectral")
    options = spectral.pipeline.make_options(bands="first-half")
    run_batch(superres.pipeline, superres.model, tmp_path / "in", tmp_path / "x2")
    run_batch(spectral.pipeline, spectral.model, tmp_path / "cube", tmp_path / "half", options=options)

    def refuse(*args, **kwargs):
        raise AssertionError("the in-memory API wrote a file")

    for module, name in ((rasters, "create_raster"), (Image.Image, "save"), (tempfile, "mkdtemp")):
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.chdir(tmp_path / "in")
    ours = superres.predict(photo)
    assert np.array_equal(ours.array, np.asarray(Image.open(tmp_path / "x2" / "photo.png")))
    ours = superres.predict(raster, meta=geo)
    with rasterio.open(tmp_path / "x2" / "raster.tif") as written:
        assert np.array_equal(ours.array, written.read().transpose(1, 2, 0))
        assert ours.crs == written.crs and ours.transform == written.transform
    half = spectral.predict(cube, bands="first-half")
    with rasterio.open(tmp_path / "half" / "scene_classes.tif") as written:
        assert np.array_equal(half.array, written.read(1))
    whole = spectral.predict(cube)
    assert whole.array.shape == (24, 24) and (whole.array != half.array).any()  # the option did not stay
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["photo.png", "raster.tif"]

"""Training on your own labelled folder as a user runs it: the installed ``train --data DIR``
(and ``--init``) on a folder in the samples layout, with the bad units a real folder holds (one
without truth, one whose label lies on another grid, one with labels outside BraTS's); each said
in one line and skipped, the rest trained on, the split recorded, the checkpoint loaded by predict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from safetensors.torch import load_file

from tests.homes import fresh_home
from tests.pipelines.products.test_predict_products import run

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Six generated BraTS 2023 cases (labels 0/1/2/3) at 3 mm, three of them broken."""
    root, home = tmp_path_factory.mktemp("folder"), fresh_home()
    args = ("--n", "6", "--spacing", "3.0", "--labels", "brats2023", "--output", str(root / "data"))
    done = run("samples", "tumor3d", *args, home=home)
    assert done.returncode == 0, done.stderr
    truth = root / "data" / "truth"
    cases = sorted(p.name for p in (root / "data" / "inputs").iterdir())
    (truth / f"{cases[0]}_seg.nii.gz").unlink()  # no truth
    moved = nib.load(truth / f"{cases[1]}_seg.nii.gz")
    affine = moved.affine.copy()
    affine[0, 3] += 2.0
    nib.save(nib.Nifti1Image(np.asarray(moved.dataobj), affine), truth / f"{cases[1]}_seg.nii.gz")  # another grid
    odd = nib.load(truth / f"{cases[2]}_seg.nii.gz")
    values = np.asarray(odd.dataobj).copy()
    values[values == 2] = 7
    nib.save(nib.Nifti1Image(values, odd.affine), truth / f"{cases[2]}_seg.nii.gz")  # not BraTS
    return root, home, cases


@pytest.fixture(scope="module")
def trained(folder):
    root, home, _ = folder
    args = ("-c", str(CONFIGS / "tumor3d" / "tiny.yaml"), "--data", str(root / "data"), "-o", str(root / "run"))
    return run("train", *args, home=home)


def test_a_folder_trains_with_its_bad_units_said_and_skipped(folder, trained):
    root, home, cases = folder
    done = trained
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert (
        f"skipped {cases[0]}: no truth (truth/{cases[0]}_seg.nii.gz, or {cases[0]}_seg.nii.gz beside its modalities)"
        in lines
    )
    assert any(line.startswith(f"skipped {cases[1]}: {cases[1]}_seg.nii.gz: on another grid") for line in lines)
    assert f"skipped {cases[2]}: {cases[2]}_seg.nii.gz: label values [7] outside BraTS 0/1/2/4 (or 0/1/2/3)" in lines
    split = json.loads((root / "run" / "data_split.json").read_text())
    assert sorted(split["train"] + split["val"]) == cases[3:] and len(split["val"]) == 1
    out = root / "pred"
    done = run("predict", "tumor3d", "--checkpoint", str(root / "run" / "model.safetensors"),
               "--input", str(root / "data" / "inputs" / cases[3]), "--output", str(out), home=home)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / f"{cases[3]}_seg.nii.gz").is_file()


def test_the_split_file_is_followed_and_too_few_units_stop_before_training(folder, tmp_path):
    root, home, cases = folder
    data = tmp_path / "data"
    shutil.copytree(root / "data", data)
    (data / "units_split.json").write_text(json.dumps({"train": [cases[4], cases[5]], "val": [cases[3], "gone"]}))
    args = ("-c", str(CONFIGS / "tumor3d" / "tiny.yaml"), "--data", str(data), "--set", "train.max_steps=2")
    done = run("train", *args, "-o", str(tmp_path / "run"), home=home)
    assert done.returncode == 0, done.stderr
    assert "units_split.json: gone is not a usable unit of data; left out" in done.stderr
    split = json.loads((tmp_path / "run" / "data_split.json").read_text())
    assert split["train"] == [cases[4], cases[5]] and split["val"] == [cases[3]]

    (data / "units_split.json").write_text(json.dumps({"train": [cases[4]], "val": [cases[0]]}))
    done = run("train", *args, "-o", str(tmp_path / "none"), home=home)
    assert done.returncode != 0 and not (tmp_path / "none" / "model.safetensors").exists()
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "1 unit(s) to train on and 0 to validate on; both need at least one (the lines above say which units "
            "were skipped)"
        )
    )


def test_init_keeps_the_checkpoints_model_and_weights(folder, trained, tmp_path):
    """--init with a learning rate of 0: the exported weights are the checkpoint's, tensor for tensor."""
    root, home, _ = folder
    assert trained.returncode == 0, trained.stderr
    start = root / "run" / "model.safetensors"
    args = ("--init", str(start), "--data", str(root / "data"), "--set", "train.learning_rate=0")
    done = run("train", *args, "--set", "train.max_steps=2", "-o", str(tmp_path / "run"), home=home)
    assert done.returncode == 0, done.stderr
    assert "started from" in done.stdout and "start fresh" not in done.stdout
    before, after = load_file(str(start)), load_file(str(tmp_path / "run" / "model.safetensors"))
    assert before.keys() == after.keys() and all(np.array_equal(before[k], after[k]) for k in before)


def break_superres(data: Path) -> str:
    from PIL import Image

    Image.new("L", (10, 10)).save(data / "truth" / "tiny.png")
    return "skipped tiny.png: tiny.png: 10x10, smaller than 64 pixels a side"


def break_landcover(data: Path) -> str:
    import rasterio

    path = sorted((data / "truth").iterdir())[0]
    with rasterio.open(path, "r+") as dataset:
        labels = dataset.read(1)
        labels[0, 0] = 9
        dataset.write(labels, 1)
    unit = path.name.removesuffix("_classes.tif")
    return f"skipped {unit}: {path.name}: class value 9, beyond the model's 7 classes (0 = unlabelled)"


def break_xray(data: Path) -> str:
    path = sorted((data / "truth").iterdir())[0]
    path.unlink()
    unit = path.name.removesuffix("_seg.nii.gz")
    return f"skipped {unit}: no truth (truth/{unit}_seg.nii.gz on the model's grid)"


@pytest.mark.parametrize(
    "task, samples, config, spoil",
    [
        ("superres", ("--n", "3"), "superres/tiny.yaml", break_superres),
        ("spectral", ("--kind", "multispectral", "--product", "sentinel2", "--n", "4", "--size", "48"),
         "spectral/landcover_tiny.yaml", break_landcover),
        ("xray2shape", ("--n", "4", "--spacing", "4.0"), "xray2shape/tiny.yaml", break_xray),
    ],
)  # fmt: skip
def test_every_task_trains_on_a_folder_that_predict_then_reads(task, samples, config, spoil, tmp_path):
    home, data = fresh_home(), tmp_path / "data"
    assert run("samples", task, *samples, "--output", str(data), home=home).returncode == 0
    said = spoil(data)
    done = run("train", "-c", str(CONFIGS / config), "--data", str(data), "-o", str(tmp_path / "run"), home=home)
    assert done.returncode == 0, done.stderr
    assert said in done.stderr.splitlines()
    split = json.loads((tmp_path / "run" / "data_split.json").read_text())
    assert len(split["train"]) == 2 and len(split["val"]) == 1
    first = sorted((data / "inputs").iterdir())[-1]
    predict = ("predict", task, "--checkpoint", str(tmp_path / "run" / "model.safetensors"), "--input", str(first))
    done = run(*predict, "--output", str(tmp_path / "pred"), home=home)
    assert done.returncode == 0, done.stderr


def test_classes_of_your_own_give_the_model_their_names_and_a_fresh_head(tmp_path):
    """classes.json with three land-cover classes of an analyst's own (the generated seven merged):
    --init spectral/landcover keeps its trunk, learns a three-class head, and predict names them."""
    import rasterio

    home, data = fresh_home(), tmp_path / "data"
    args = ("--kind", "multispectral", "--product", "sentinel2", "--n", "3", "--size", "48", "--output", str(data))
    assert run("samples", "spectral", *args, home=home).returncode == 0
    merged = np.array([0, 1, 2, 2, 2, 3, 3, 2], np.uint8)  # water; vegetation and wetland; built-up and bare soil
    for path in (data / "truth").iterdir():
        with rasterio.open(path, "r+") as dataset:
            dataset.write(merged[dataset.read(1)], 1)
    (data / "classes.json").write_text(json.dumps(["water", "vegetation", "open land"]))
    settings = ("--set", "train.max_steps=2", "--set", "train.val_every_steps=2", "--set", "train.batch_size=4")
    done = run(
        "train", "--init", "spectral/landcover", "--data", str(data), *settings, "-o", str(tmp_path / "run"), home=home
    )
    assert done.returncode == 0, done.stderr
    assert "classes from data/classes.json: water, vegetation, open land" in done.stdout
    assert "start fresh" in done.stdout  # the seven-class head could not be copied
    first = sorted((data / "inputs").iterdir())[0]
    out = tmp_path / "pred"
    done = run("predict", "spectral", "--checkpoint", str(tmp_path / "run" / "model.safetensors"),
               "--input", str(first), "--output", str(out), home=home)  # fmt: skip
    assert done.returncode == 0, done.stderr
    unit = first.name.split(".")[0]
    assert "<Category>open land</Category>" in (out / f"{unit}_classes.tif.aux.xml").read_text()
    with rasterio.open(out / f"{unit}_classes.tif") as dataset:
        assert dataset.read(1).max() <= 3


def test_geotiffs_without_band_names_train_with_the_sensor_named_in_the_data_block(tmp_path):
    """A Landsat scene exported as a plain float GeoTIFF (no band descriptions): without
    data.sensor it is said in one line and left out; with it, it trains like the product."""
    from tests.pipelines.products.test_predict_landcover import product_stack, write_geotiff

    home, data = fresh_home(), tmp_path / "data"
    args = ("--kind", "multispectral", "--product", "landsat", "--n", "3", "--size", "48", "--output", str(data))
    assert run("samples", "spectral", *args, home=home).returncode == 0
    for product in sorted((data / "inputs").iterdir()):
        stack, grid = product_stack(product)
        write_geotiff(data / "inputs" / f"{product.name}.tif", stack, grid)  # float reflectance, unnamed
        shutil.rmtree(product)  # the unit keeps its name: truth/<product>_classes.tif still pairs
    config = ("-c", str(CONFIGS / "spectral" / "landcover_tiny.yaml"), "--data", str(data))
    done = run("train", *config, "-o", str(tmp_path / "unnamed"), home=home)
    assert done.returncode == 2 and "7 bands but no wavelengths or band names" in done.stderr, done.stderr
    done = run("train", *config, "--set", "data.sensor=landsat", "-o", str(tmp_path / "run"), home=home)
    assert done.returncode == 0, done.stderr
    split = json.loads((tmp_path / "run" / "data_split.json").read_text())
    assert len(split["train"] + split["val"]) == 3

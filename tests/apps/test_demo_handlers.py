"""Demo handlers called directly: the sample paths, orientation of the slice viewer, bad input."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from hybridvision.apps.demo import spectral_products, spectral_tab, superres_tab, tumor3d_tab, xray2shape_tab
from hybridvision.apps.demo.app import available_tabs, build_demo
from hybridvision.pipelines.common.mesh import read_mesh_bounds


@pytest.fixture(scope="module", autouse=True)
def demo_home():
    """The handlers run as a user's demo does: samples cached in the home's ~/.cache, here a fresh
    home outside the temp dir (HOME is what every user has; the test restores it afterwards)."""
    import shutil

    from tests.homes import fresh_home

    home = fresh_home()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.delenv("HYBRIDVISION_CACHE", raising=False)
        yield home
    shutil.rmtree(home, ignore_errors=True)


def test_tabs_follow_shipped_checkpoints():
    assert available_tabs() == ["tumor3d", "xray2shape", "spectral", "superres"]
    assert build_demo() is not None


def test_slice_viewer_orientation():
    """RAS volume: anterior is up in axial, superior up in coronal/sagittal, right is right."""
    volume = np.zeros((10, 12, 14), np.uint8)
    volume[8, 10, 5] = 1  # right, anterior, inferior-ish
    axial = tumor3d_tab.slice_of(volume, "axial", 5)
    row, col = np.argwhere(axial)[0]
    assert axial.shape == (12, 10) and row == 12 - 1 - 10 and col == 8
    coronal = tumor3d_tab.slice_of(volume, "coronal", 10)
    row, col = np.argwhere(coronal)[0]
    assert coronal.shape == (14, 10) and row == 14 - 1 - 5 and col == 8
    sagittal = tumor3d_tab.slice_of(volume, "sagittal", 8)
    row, col = np.argwhere(sagittal)[0]
    assert sagittal.shape == (14, 12) and row == 14 - 1 - 5 and col == 10


def test_region_volumes_in_millilitres():
    label = np.zeros((10, 10, 10), np.uint8)
    label[:5] = 2
    label[:2] = 1
    label[:1] = 4
    rows = dict(tumor3d_tab.region_volumes(label, voxel_mm3=8.0))
    assert rows == {"WT whole tumour": 4.0, "TC tumour core": 1.6, "ET enhancing": 0.8}


def test_tumor3d_missing_modality_is_a_readable_error(tmp_path):
    with pytest.raises(gr.Error, match="missing T2"):
        tumor3d_tab.segment(tmp_path / "a_t1.nii.gz", tmp_path / "a_t1ce.nii.gz", None, tmp_path / "a_flair.nii.gz")


def test_tumor3d_sample_case_end_to_end(tumor3d_sample_result):
    result = tumor3d_sample_result
    paths, (state, view, position, volumes, label_file, mesh_file, status) = result[:4], result[4:]
    assert set(state) == {"flair", "robust", "label"}
    assert all(p.endswith(f"_{m}.nii.gz") for p, m in zip(paths, tumor3d_tab.MODALITY_LABELS))
    assert view.dtype == np.uint8 and view.ndim == 3
    label = nib.load(label_file)
    flair = nib.load(paths[3])
    assert label.shape == flair.shape and np.allclose(label.affine, flair.affine)
    assert label_file.endswith("HV_01000_seg.nii.gz") and status.startswith("done")
    whole = volumes[0][1]
    assert whole > 1.0  # the generated case has a tumour of a few mL at least
    nodes = read_mesh_bounds(mesh_file)
    assert nodes, "the tumour surface has at least one labelled node"
    last = state["label"].shape[2] - 1  # axial: slices along S
    assert position["maximum"] == last and position["step"] == 1
    assert isinstance(position["value"], int) and 0 <= position["value"] <= last
    assert np.any(state["label"][:, :, position["value"]]), "the view opens on a slice through the tumour"
    import trimesh

    scene = trimesh.load(mesh_file, force="scene")  # the mesh wears the legend's colours
    legend = {name: colour for name, colour in tumor3d_tab.COMPARTMENTS.values()}
    for name, geometry in scene.geometry.items():
        assert tuple(geometry.visual.face_colors[0][:3]) == legend[name]


def test_tumor3d_status_warns_when_the_upload_is_a_head_not_a_stripped_brain(tmp_path, monkeypatch):
    """A study with scalp and skull (pydeface's mean head) is segmented, and the status says to strip
    the skull first; a tiny untrained model stands in for the shipped one (seconds, not minutes)."""
    from hybridvision.bench.tumor3d.skull_bench import head_variant, pydeface_head
    from hybridvision.pipelines.common.checkpoint import save_checkpoint
    from hybridvision.pipelines.common.config import load_config
    from hybridvision.pipelines.common.volumes import save_nifti
    from hybridvision.pipelines.tumor3d import Tumor3DPipeline

    config = load_config(Path(__file__).resolve().parents[2] / "configs" / "tumor3d" / "tiny.yaml")
    pipeline = Tumor3DPipeline(config.model, config.data)
    tiny = save_checkpoint(tmp_path / "tiny.safetensors", pipeline.build_model(), config, pipeline, {})
    monkeypatch.setattr(tumor3d_tab, "checkpoint", lambda model=None: tiny)
    image, affine, _ = head_variant(*pydeface_head(), seed=2, grid_mm=3.0)  # BraTS's field of view
    paths = [tmp_path / f"head_{modality}.nii.gz" for modality in tumor3d_tab.MODALITY_LABELS]
    for path, channel in zip(paths, image):
        save_nifti(path, channel, affine)
    status = tumor3d_tab.segment(*paths)[-1]
    assert status.startswith("done") and "**Warning:**" in status and "not a skull-stripped brain" in status


def test_tumor3d_errors_name_the_users_file_never_a_server_path(tmp_path):
    """A broken upload is named as the user named it, though the demo copies it under its own name."""
    paths = tumor3d_tab.sample_case()
    broken = tmp_path / "fake_t1.nii.gz"
    broken.write_bytes(b"not a nifti file at all")
    with pytest.raises(gr.Error) as raised:
        tumor3d_tab.segment(broken, *paths[1:])
    message = raised.value.message
    assert "fake_t1.nii.gz" in message and "case_t1" not in message and "/" not in message, message
    assert "\n" not in message


def test_an_error_clears_the_outputs_and_shows_once_in_the_status():
    from hybridvision.apps.demo.shared import in_status

    def fails(value):
        raise gr.Error("scan.nii.gz: not a NIfTI file")

    assert in_status(fails, ("kept", None, ""), 2)(1) == ("kept", None, "**Error:** scan.nii.gz: not a NIfTI file")
    assert in_status(lambda value: (value, 2, "done"), ("kept", None, ""), 2)(1) == (1, 2, "done")


def test_slices_carry_orientation_letters_and_follow_window_and_level():
    volume = np.linspace(0, 100, 20 * 20 * 20, dtype=np.float32).reshape(20, 20, 20)
    state = {"flair": volume, "robust": (0.0, 100.0), "label": np.zeros((20, 20, 20), np.uint8)}
    view = tumor3d_tab.render(state, "axial", 10)
    blank = tumor3d_tab.render({**state, "flair": np.zeros_like(volume)}, "axial", 10)
    height, width = blank.shape[:2]
    middle_rows, middle_cols = slice(height // 2 - 8, height // 2 + 8), slice(width // 2 - 8, width // 2 + 8)
    edges = {
        "L": blank[middle_rows, :20],
        "R": blank[middle_rows, -20:],
        "A": blank[:20, middle_cols],
        "P": blank[-20:, middle_cols],
    }
    assert all(part.max() > 200 for part in edges.values())  # a white letter at each edge's middle
    assert blank[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4].max() == 0  # none inside
    narrow = tumor3d_tab.render(state, "axial", 10, window=20, level=50)
    centre = (slice(height // 4, 3 * height // 4), slice(width // 4, 3 * width // 4))
    assert narrow[centre].std() > view[centre].std()  # a narrower window: more contrast
    assert tumor3d_tab.ORIENTATION["sagittal"] == ("P", "A", "S", "I")


def test_tumor3d_model_choice_lists_the_default_first_and_refuses_unknown_names():
    from hybridvision.apps.demo.shared import model_choices
    from hybridvision.pipelines.common.checkpoint import default_checkpoint

    choices = model_choices("tumor3d")
    first = next(iter(choices))
    assert choices[first] == default_checkpoint("tumor3d") and first.startswith("demo (hybrid_small + unet")
    assert tumor3d_tab.checkpoint(first) == tumor3d_tab.checkpoint()
    with pytest.raises(ValueError, match="no shipped tumor3d model 'nope'; choose one of: demo"):
        tumor3d_tab.checkpoint("nope")


def test_xray2shape_offers_each_anatomys_models_its_default_first(tmp_path):
    assert list(xray2shape_tab.checkpoints()) == ["femur", "spine"]
    for anatomy, default in (("femur", "femur_lite0_side"), ("spine", "spine")):  # as predict chooses
        models = xray2shape_tab.models_for(anatomy)
        assert next(iter(models)).startswith(f"{default} (") and models[next(iter(models))].stem == default
    assert [path.stem for path in xray2shape_tab.models_for("femur").values()] == ["femur_lite0_side", "femur"]
    with pytest.raises(gr.Error, match="no shipped femur model 'spine"):
        xray2shape_tab.reconstruct(
            tmp_path / "a.png", tmp_path / "b.png", "femur", model=next(iter(xray2shape_tab.models_for("spine")))
        )


def test_superres_upscales_a_png(tmp_path):
    rng = np.random.default_rng(0)
    image = (rng.random((40, 48)) * 255).astype(np.uint8)
    Image.fromarray(image).save(tmp_path / "scan.png")
    (before, after), output, status = superres_tab.upscale(tmp_path / "scan.png", "x2")
    assert before.shape == after.shape == (80, 96, 3)
    with Image.open(output) as result:
        assert result.size == (96, 80) and result.mode == "L"
    assert "48x40 -> 96x80" in status


def test_superres_offers_the_radiology_adapted_x2_after_the_default(tmp_path):
    models = superres_tab.models_for("x2")
    assert [path.stem for path in models.values()] == ["x2", "x2_radiology"]
    assert [path.stem for path in superres_tab.models_for("x4").values()] == ["x4"]
    image = (np.random.default_rng(0).random((40, 48)) * 255).astype(np.uint8)
    Image.fromarray(image).save(tmp_path / "scan.png")
    _, output, status = superres_tab.upscale(tmp_path / "scan.png", "x2", model=list(models)[1])
    assert Image.open(output).size == (96, 80)
    with pytest.raises(gr.Error, match="no shipped x2 model 'x4"):
        superres_tab.upscale(tmp_path / "scan.png", "x2", model=next(iter(superres_tab.models_for("x4"))))


def test_superres_bad_file_names_the_file(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    with pytest.raises(gr.Error, match="notes.png"):
        superres_tab.upscale(bad, "x2")
    with pytest.raises(gr.Error, match="no shipped x8"):
        superres_tab.upscale(bad, "x8")


def test_superres_geotiff_sample_keeps_crs():
    import rasterio

    source, compare, output, status = superres_tab.upscale_sample("Rocky Mountain NP (GeoTIFF, RGB)", "x2")
    with rasterio.open(source) as low, rasterio.open(output) as high:
        assert high.crs == low.crs and high.width == 2 * low.width
        assert np.isclose(high.transform.a, low.transform.a / 2)


def test_spectral_sample_with_half_the_bands(tmp_path):
    cube, rgb, preview, rows, class_map, status = spectral_tab.classify_sample("first half (SWIR lost)")
    assert rgb.shape == (145, 145, 3) and rgb.dtype == np.uint8
    assert Image.open(preview).format == "PNG"
    import rasterio

    with rasterio.open(cube) as source, rasterio.open(class_map) as out:
        assert out.crs == source.crs and out.transform == source.transform
        valid = source.read(1) != source.nodata
    assert sum(r[1] for r in rows) == valid.sum()  # every valid pixel gets a class, no-data none
    assert all(r[2] == pytest.approx(r[1] * 0.04, abs=0.01) for r in rows)  # 20 m pixels: 0.04 ha each
    assert "64 of the model's 128 bands" in status and "overall accuracy" in status


def test_spectral_product_sample_is_land_cover_of_its_centre():
    """The generated Sentinel-2 product goes to the land-cover model, its true colour beside the map;
    with its 10 m bands only it still scores against its truth."""
    import rasterio

    product, rgb, preview, rows, class_map, status = spectral_tab.classify_sample_product("first half (SWIR lost)")
    assert product.endswith(".SAFE.zip") and rgb.shape == (192, 192, 3) and Image.open(preview).format == "PNG"
    assert "sentinel2 land cover" in status and "10 m bands (B02,B03,B04,B08)" in status
    accuracy = float(status.split("overall accuracy against the truth: ")[1].split("%")[0])
    assert accuracy > 80  # clouds and shadows are holes, counted against it here
    with rasterio.open(class_map) as out:
        assert out.res == (10.0, 10.0) and out.crs.to_epsg() == 32634
    assert [r[0] for r in rows][-1] == "wetland" and all(r[2] == pytest.approx(r[1] * 0.01, abs=0.01) for r in rows)


def test_spectral_geotiff_naming_its_bands_is_land_cover_as_its_product(tmp_path):
    """A GeoTIFF exported from the sample product (bands described B12 ... B01, reversed) goes to
    the land-cover model as the product does, with the same classes and its true colour in order."""
    import rasterio

    from hybridvision.pipelines.common.product_grid import ProductGrid
    from hybridvision.pipelines.common.products import open_product

    product_path, _ = spectral_products.sample_product()
    product = open_product(product_path)
    grid = ProductGrid(product, product.bands, 0, "clouds")
    data, masked = grid.read(0, 0, grid.height, grid.width)
    grid.close()
    data[:, masked] = np.nan
    names = [b.name for b in product.bands][::-1]
    path = tmp_path / "exported.tif"
    profile = dict(driver="GTiff", count=len(names), height=grid.height, width=grid.width, dtype="float32")
    with rasterio.open(path, "w", crs=grid.crs, transform=grid.transform, **profile) as out:
        out.write(data[::-1])
        for index, name in enumerate(names, 1):
            out.set_band_description(index, name)
    rgb, _, rows, class_map, status = spectral_tab.classify(str(path), "all bands")
    _, product_rgb, _, product_rows, product_map, _ = spectral_tab.classify_sample_product("all bands")
    assert "exported.tif: sentinel2 land cover" in status
    assert rows == product_rows and np.abs(rgb.astype(int) - product_rgb.astype(int)).max() <= 1
    with rasterio.open(class_map) as ours, rasterio.open(product_map) as theirs:
        assert np.array_equal(ours.read(1), theirs.read(1)) and ours.transform == theirs.transform


def test_spectral_knows_the_sample_by_its_bytes_and_an_upload_by_its_truth_beside_it(tmp_path):
    """After the sample, Classify with another band choice still reports the accuracy (the cube is
    the sample, in another folder as Gradio hands it back); an upload with its <scene>_classes.tif
    beside it is scored against that; a renamed copy of the sample has no truth."""
    import shutil

    from hybridvision.apps.demo.spectral_truth import truth_for
    from hybridvision.pipelines.spectral.samples import write_samples

    cube, truth = spectral_tab.sample_scene()
    copied = Path(shutil.copy(cube, tmp_path / cube.name))
    assert truth_for(copied, [copied], spectral_tab.sample_scene) == truth
    renamed = Path(shutil.copy(cube, tmp_path / "field.tif"))
    assert truth_for(renamed, [renamed], spectral_tab.sample_scene) is None
    field_truth = Path(shutil.copy(truth, tmp_path / "field_classes.tif"))
    assert truth_for(renamed, [renamed, field_truth], spectral_tab.sample_scene) == field_truth
    # end to end on a small scene (the 145-pixel sample takes half a minute a run)
    write_samples(tmp_path / "small", 1, 1001, kind="scene", size=48, bands=128, progress=lambda message: None)
    small = next((tmp_path / "small" / "inputs").iterdir())
    small_truth = next((tmp_path / "small" / "truth").glob("*_classes.tif"))
    *_, status = spectral_tab.classify([str(small), str(small_truth)], "every other band")
    assert "64 of the model's 128 bands" in status and "overall accuracy against the truth" in status
    *_, status = spectral_tab.classify([str(small)], "all bands")
    assert "overall accuracy" not in status


def test_spectral_offers_the_scene_models_default_first_and_runs_the_dense_one():
    models = spectral_tab.scene_models()
    assert [path.stem for path in models.values()] == ["scene", "scene_lite0"]  # chips classify folders
    dense = list(models)[1]
    cube, rgb, preview, rows, class_map, status = spectral_tab.classify_sample("every other band", model=dense)
    assert "64 of the model's 128 bands" in status and "overall accuracy" in status and "Warning" not in status
    with pytest.raises(gr.Error, match="no shipped spectral scene model 'chips"):
        spectral_tab.classify_sample("all bands", model="chips")


def test_spectral_upload_errors_name_the_problem(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    with pytest.raises(gr.Error, match="upload one cube"):
        spectral_tab.classify([str(junk)], "all bands")
    flat = tmp_path / "flat.npy"
    np.save(flat, np.zeros((4, 4)))
    with pytest.raises(gr.Error, match="flat.npy"):
        spectral_tab.classify([str(flat)], "all bands")


def test_xray2shape_sample_gives_labels_and_a_mesh():
    ap, lateral, ap_view, lat_view, mesh, labels, table, status = xray2shape_tab.reconstruct_sample("femur")
    assert ap_view.dtype == lat_view.dtype == np.uint8 and ap_view.shape == np.asarray(Image.open(ap)).shape
    ((name, diameter),) = table
    assert name == "femoral head diameter" and 25 < diameter < 70  # the generator's heads are 40-55 mm
    image = nib.load(labels)
    assert image.shape == (64, 64, 64) and np.allclose(image.header.get_zooms(), 2.0)
    assert set(np.unique(np.asarray(image.dataobj))) <= {0, 1, 2} and np.asarray(image.dataobj).any()
    bounds = read_mesh_bounds(mesh)
    assert bounds and all((b[0] > -70).all() and (b[1] < 70).all() for b in bounds.values())  # in the 128 mm grid
    assert "femur" in status
    assert Path(labels).name == "femur_01000_seg.nii.gz" and Path(mesh).name == "femur_01000.glb"


def test_xray2shape_sample_mesh_is_smooth_within_half_a_voxel_of_the_labels():
    """The surfaces the page shows: no voxel staircase left (at most 3 degrees between adjacent faces
    on average), yet within half a voxel of the predicted labels' unsmoothed surface."""
    import trimesh

    from hybridvision.pipelines.common.mesh import label_surface
    from hybridvision.pipelines.xray2shape.geometry import ANATOMIES
    from tests.mesh_checks import mean_angle_degrees, surface_gap

    mesh, labels = xray2shape_tab.reconstruct_sample("femur")[4:6]
    image = nib.load(labels)
    label = np.asarray(image.dataobj)
    half_voxel = 0.5 * float(image.header.get_zooms()[0])
    scene = trimesh.load(mesh, force="scene")
    for value, name in ANATOMIES["femur"].label_names.items():
        shown = scene.geometry[name]
        staircase = label_surface(label == value, image.affine, smoothing=0)
        assert mean_angle_degrees(staircase) > 9 and mean_angle_degrees(shown) <= 3.0, name
        assert surface_gap(shown, staircase, within=half_voxel) <= half_voxel + 1e-4, name  # float32 in the GLB
        assert shown.is_watertight, name


@pytest.mark.parametrize(
    ("ap_name", "case"),
    [("knee01_ap.png", "knee01"), ("scan-AP.png", "scan"), ("frontal.png", "frontal"), ("Ωμέγα_ap.png", "case")],
)
def test_xray2shape_downloads_are_named_after_the_ap_file(tmp_path, ap_name, case):
    """As ``predict`` names them: the AP file's stem less its view tag, through the safe-name rules."""
    import shutil

    ap, lateral = xray2shape_tab.sample_pair("femur")
    shutil.copy(ap, tmp_path / ap_name)
    shutil.copy(lateral, tmp_path / "side view.png")  # the lateral file's name plays no part
    mesh, labels = xray2shape_tab.reconstruct(tmp_path / ap_name, tmp_path / "side view.png", "femur")[2:4]
    assert Path(labels).name == f"{case}_seg.nii.gz" and Path(mesh).name == f"{case}.glb"


def test_xray2shape_legend_and_spine_measurements_name_every_bone(tmp_path):
    from hybridvision.pipelines.common.mesh import label_colour

    assert "femur" in xray2shape_tab.legend("femur") and f"rgb{label_colour(1)}" in xray2shape_tab.legend("femur")
    assert all(level in xray2shape_tab.legend("spine") for level in ("L1", "L5"))
    label = np.zeros((32, 32, 48), np.int16)
    label[8:24, 10:26, 4:10] = 1  # L1 only: a 6-voxel-high body at 2 mm
    nib.save(nib.Nifti1Image(label, np.diag([2.0, 2.0, 2.0, 1.0])), tmp_path / "spine.nii.gz")
    rows = dict(xray2shape_tab.measurements(tmp_path / "spine.nii.gz", "spine"))
    assert list(rows) == [f"L{i} vertebral body height" for i in range(1, 6)]
    assert 10 <= rows["L1 vertebral body height"] <= 14 and rows["L5 vertebral body height"] == "not found"


def test_xray2shape_errors_name_the_users_file(tmp_path):
    (tmp_path / "knee_ap.png").write_text("not an image")
    ap, lateral = xray2shape_tab.sample_pair("femur")
    with pytest.raises(gr.Error) as raised:
        xray2shape_tab.reconstruct(tmp_path / "knee_ap.png", lateral, "femur")
    assert "knee_ap.png" in raised.value.message and "case_ap" not in raised.value.message
    assert "/" not in raised.value.message


def test_xray2shape_missing_view_is_a_readable_error(tmp_path):
    with pytest.raises(gr.Error, match="lateral view is missing"):
        xray2shape_tab.reconstruct(tmp_path / "a.png", None, "femur")


def test_superres_upscales_the_centre_of_a_sentinel2_zip(tmp_path):
    """A product uploaded to the page: its centre, in its own bands, as predict --window writes it."""
    import rasterio

    from hybridvision.pipelines.common.product_samples import write_sentinel2

    product = write_sentinel2(tmp_path, seed=6, side=320)
    (before, after), output, status = superres_tab.upscale(product, "x2")
    with rasterio.open(output) as dataset:
        assert (dataset.width, dataset.height, dataset.res, dataset.count) == (512, 512, (5.0, 5.0), 4)
    assert before.shape[-1] == after.shape[-1] == 3 and before.shape[:2] == after.shape[:2]
    assert "the centre 256x256 of its 10 m bands (B02, B03, B04, B08) -> 512x512 at 5 m" in status
    assert Path(output).with_suffix(".json").is_file()  # its STAC Item beside it

"""bench superres: the pieces, small and in-process (nothing is timed here)."""

import numpy as np
import pytest
import rasterio
import torch

from hybridvision.bench.superres import benchmark


class ListQueue(list):
    put = list.append


def test_spandrel_references_build_and_run_on_16x16():
    x = torch.rand(1, 3, 16, 16)
    for name in (benchmark.SWINIR_LIGHT, benchmark.HAT_REFERENCE):
        model = benchmark.build_reference(name)
        with torch.inference_mode():
            assert model(x).shape == (1, 3, 64, 64), name


def test_hat_reference_matches_our_hat_small_in_parameters():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    _, ours = benchmark.build_ours(benchmark.OURS_HAT_SMALL)
    reference = benchmark.build_reference(benchmark.HAT_REFERENCE)
    assert abs(count(reference) / count(ours) - 1) < 0.01
    assert 0.85e6 < count(benchmark.build_reference(benchmark.SWINIR_LIGHT)) < 0.95e6


def test_shipped_x4_upscaler_takes_an_rgb_image_by_luma_and_by_bands():
    image = np.random.default_rng(0).random((3, 16, 16)).astype(np.float32)
    by_luma, parameters = benchmark.upscaler(benchmark.OURS_X4)
    by_bands, _ = benchmark.upscaler(benchmark.OURS_X4_BANDS)
    luma, bands = by_luma(image), by_bands(image)
    assert luma.shape == bands.shape == (3, 64, 64) and 0.2e6 < parameters < 0.5e6
    assert not np.allclose(luma, bands)  # two different paths were timed


def test_interpolate_is_nearest_upscaling_with_a_parameter():
    module = benchmark.Interpolate(2)
    x = torch.rand(1, 1, 5, 7)
    assert torch.equal(module(x), x.repeat_interleave(2, 2).repeat_interleave(2, 3))
    assert next(module.parameters()).device.type == "cpu"


def test_identity_streaming_on_a_small_raster(tmp_path):
    (tmp_path / "in").mkdir()
    source = benchmark.write_test_raster(tmp_path / "in" / "small.tif", 100, "uint8", strip=32)
    with rasterio.open(source) as dataset:
        assert dataset.crs is not None and dataset.block_shapes[0] == (256, 256)
        assert dataset.read(1).std() > 5  # smooth noise, not a constant
    queue = ListQueue()
    threads = torch.get_num_threads()
    benchmark.predict_raster(str(source), str(tmp_path / "out"), True, threads, 64, 8, queue)
    (result,) = queue
    assert result["gdal_cache_mb"] == 64  # the pipeline's own bound on GDAL's block cache
    assert "error" not in result, result
    expected = {"size", "model", "seconds", "cpu_seconds", "megapixels_per_s", "peak_rss_mb", "rss_before_mb", "output"}
    assert expected <= set(result)
    assert result["size"] == 100 and result["output"] == [200, 200]
    assert result["transform_scaled"] and result["crs_kept"] and result["size_scaled"] and result["identity_exact"]
    with rasterio.open(source) as src, rasterio.open(tmp_path / "out" / "small.tif") as out:
        assert out.transform == src.transform @ rasterio.Affine.scale(0.5)
        assert np.array_equal(out.read(1), np.repeat(np.repeat(src.read(1), 2, 0), 2, 1))


def test_uint16_test_raster_is_written_in_strips(tmp_path):
    path = benchmark.write_test_raster(tmp_path / "r.tif", 70, "uint16", strip=16)
    with rasterio.open(path) as dataset:
        data = dataset.read(1)
        assert dataset.dtypes[0] == "uint16" and data.shape == (70, 70)
        assert 200 <= data.min() < data.max() <= 4000


def test_same_budget_models_see_identical_batches_and_learn():
    from hybridvision.bench.superres import same_budget

    images = [np.random.default_rng(i).random((64, 64, 1)).astype(np.float32) for i in range(3)]
    batches = same_budget.batch_source(images, steps=3, batch=2, patch=8)
    first, second = list(batches()), list(batches())
    assert len(first) == 3 and all(torch.equal(a["image"], b["image"]) for a, b in zip(first, second))
    assert first[0]["image"].shape == (2, 1, 8, 8) and first[0]["label"].shape == (2, 1, 32, 32)
    _, model = same_budget.build_ours()
    fixed = first[0]
    before = torch.nn.functional.l1_loss(model(fixed["image"]), fixed["label"]).item()

    def score(trained):  # the curve's reading: minus the loss on the fixed batch
        assert not trained.training
        with torch.no_grad():
            return -torch.nn.functional.l1_loss(trained(fixed["image"]), fixed["label"]).item()

    at = same_budget.curve_steps(30, 3)
    seconds, curve = same_budget.fit(model, lambda: iter([fixed] * 30), 30, 2e-3, at, score)
    assert at == [10, 20, 30] and [step for step, _ in curve] == at and seconds > 0
    with torch.no_grad():
        after = torch.nn.functional.l1_loss(model(fixed["image"]), fixed["label"]).item()
    assert after < before and curve[-1][1] == pytest.approx(-after, abs=1e-3)


def test_a_stopped_same_budget_run_resumes_with_the_models_it_had_not_finished(monkeypatch):
    from hybridvision.bench.superres import same_budget

    images = [np.random.default_rng(i).random((64, 64, 1)).astype(np.float32) for i in range(2)]
    monkeypatch.setattr(same_budget, "offline_images", lambda: (images, "noise"))
    truth = np.random.default_rng(5).random((32, 32, 1)).astype(np.float32)
    low = same_budget.bicubic_downsample(torch.from_numpy(truth.transpose(2, 0, 1))[None], 4)[0].numpy()
    monkeypatch.setattr(same_budget, "holdouts", lambda: [("noise", low, truth)])
    budget = {"steps": 2, "batch": 2, "patch": 8, "points": 1}
    saved = []
    first = same_budget.same_budget_psnr(**budget, log=lambda _: None, models=("ours",), save=saved.append)
    ours = same_budget.OURS
    assert list(first["by_model"]) == [ours] and saved[-1]["by_model"] == first["by_model"]
    assert set(first["holdout_psnr_y"]["mean"]) == {"bicubic", ours} and "ours_minus_swinir_db" not in first
    trained = []
    real_fit = same_budget.fit
    monkeypatch.setattr(same_budget, "fit", lambda model, *a, **k: trained.append(model) or real_fit(model, *a, **k))
    resumed = same_budget.same_budget_psnr(**budget, log=lambda _: None, models=("ours", "dlgsa"), previous=first)
    assert len(trained) == 1 and resumed["by_model"][ours] == first["by_model"][ours]  # only dlgsa trained
    assert set(resumed["holdout_psnr_y"]["mean"]) == {"bicubic", ours, same_budget.DLGSA}
    other_budget = same_budget.same_budget_psnr(
        **budget | {"steps": 3}, log=lambda _: None, models=("ours",), previous=first
    )
    assert len(trained) == 2 and other_budget["budget"]["steps"] == 3  # a different budget starts afresh
    with pytest.raises(ValueError, match="unknown same-budget models"):
        same_budget.same_budget_psnr(**budget, models=("swinir2",))


def test_a_curve_has_reached_its_plateau_when_its_last_fifth_gains_under_0_05_db():
    from hybridvision.bench.superres.bench_report import curve_table, plateau_line
    from hybridvision.bench.superres.same_budget import plateau

    rising = [[100, 25.0], [200, 26.0], [300, 26.5], [400, 26.9], [500, 27.1]]
    flat = [[100, 25.0], [200, 26.0], [300, 26.5], [400, 26.60], [500, 26.64]]
    assert plateau(rising) == {"gain_db": 0.2, "from_step": 400, "to_step": 500, "reached": False}
    assert plateau(flat)["reached"] and plateau(flat)["gain_db"] == 0.04
    assert plateau([[10, 20.0]])["reached"] is False  # one point says nothing of a plateau
    assert "no plateau yet (+0.200 dB over steps 400-500" in plateau_line("ours", plateau(rising))
    table = curve_table({"ours": rising, "ref": flat[:2]})
    assert table.rows[0] == ["100", "25.00", "25.00"] and table.rows[-1] == ["500", "27.10", "-"]


def test_a_timed_model_carries_its_flops_and_the_table_its_share_of_the_peak():
    from hybridvision.bench.superres.bench_report import speed_table

    queue = ListQueue()
    benchmark.time_upscale(benchmark.OURS_X4, 16, 1, torch.get_num_threads(), queue)
    (ours,) = queue
    # the x4 body runs on luma only: 16 x 16 pixels, some thousands of multiply-adds each
    assert 1e-4 < ours["gflop"] < 1.0 and ours["gflops"] > 0
    reference = {**ours, "model": "ref", "gflops": 2.0}
    pair = {"reference": reference, "ours": {**ours, "gflops": 5.0}, "speedup": 2.0, "cpu_speedup": 2.0}
    result = {"matmul_peak_gflops": 50.0, "throughput": {"pairs": [{**pair, "memory_ratio": 1.0}]}}
    table = speed_table(result, 2, 1)
    assert [row[5] for row in table.rows] == ["2.0 (4%)", "5.0 (10%)"] and "peak 50 GFLOP/s" in table.title

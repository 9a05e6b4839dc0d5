"""The spectral library and the scene/chip generator: physics the classes depend on, and layout."""

import numpy as np
import pytest

from hybridvision.pipelines.spectral import generator, library
from hybridvision.pipelines.spectral.library import FINE_GRID, SENTINEL2, imaging_spectrometer


def at(spectrum: np.ndarray, nm: float) -> float:
    return float(spectrum[np.abs(FINE_GRID - nm).argmin()])


def test_vegetation_has_a_red_edge_and_water_is_dark_in_the_infrared():
    rng = np.random.default_rng(0)
    corn = library.class_spectra(library.SCENE_CLASS_NAMES.index("corn") + 1, 5, rng, np.zeros(3)).mean(0)
    water = library.class_spectra(library.SCENE_CLASS_NAMES.index("water") + 1, 5, rng, np.zeros(3)).mean(0)
    assert at(corn, 850) > 5 * at(corn, 670)  # chlorophyll well, then the NIR plateau
    assert at(corn, 550) > at(corn, 670)  # green peak
    assert at(corn, 1450) < 0.6 * at(corn, 1250)  # leaf water
    assert at(water, 1000) < 0.02 and at(water, 500) > 2 * at(water, 1000)


def test_minerals_carry_their_diagnostic_absorptions():
    rng = np.random.default_rng(0)
    clay = library.class_spectra(library.SCENE_CLASS_NAMES.index("kaolinite clay") + 1, 3, rng, np.zeros(3))[0]
    rock = library.class_spectra(library.SCENE_CLASS_NAMES.index("carbonate rock") + 1, 3, rng, np.zeros(3))[0]
    assert at(clay, 2206) < 0.85 * (at(clay, 2120) + at(clay, 2280)) / 2  # Al-OH
    assert at(rock, 2340) < 0.85 * (at(rock, 2250) + at(rock, 2420)) / 2  # CO3


def test_sensor_responses_are_normalised_and_centred():
    for sensor in (imaging_spectrometer(128), SENTINEL2):
        response = sensor.response()
        assert np.allclose(response.sum(0), 1)
        centres = (FINE_GRID[:, None] * response).sum(0)
        assert np.abs(centres - np.asarray(sensor.centres)).max() < 15  # clipped only at 400/2500 nm


def test_a_scene_is_seeded_labelled_mixed_and_has_a_nodata_edge():
    sensor = imaging_spectrometer(100)
    first, again = generator.scene(64, sensor, 3), generator.scene(64, sensor, 3)
    assert np.array_equal(first.reflectance, again.reflectance)
    assert not np.array_equal(first.reflectance, generator.scene(64, sensor, 4).reflectance)
    assert first.reflectance.shape == (100, 64, 64) and first.labels.max() <= len(library.SCENE_CLASSES)
    assert len(np.unique(first.labels[first.labels > 0])) >= 7
    assert (first.labels == 0).mean() > 0.02  # mixed borders and background stay unlabelled
    scenes = [generator.scene(48, sensor, s) for s in range(6)]
    cut = [s for s in scenes if not s.valid.all()]
    assert cut, "most scenes should have a no-data corner"
    assert all((s.labels[~s.valid] == 0).all() for s in cut)
    values = generator.to_file_values(cut[0])
    assert values.dtype == np.int16 and (values[:, ~cut[0].valid] == generator.NODATA).all()


@pytest.mark.parametrize("kind", generator.CHIP_CLASSES)
def test_every_chip_kind_renders(kind):
    chip = generator.chip(kind, 16, 1)
    assert chip.shape == (13, 16, 16) and np.isfinite(chip).all() and chip.max() > 0.02


def test_lake_chips_are_darker_in_the_infrared_than_forest_chips():
    nir = SENTINEL2.centres.index(842)
    lake = np.mean([generator.chip("lake", 24, s)[nir].mean() for s in range(3)])
    forest = np.mean([generator.chip("forest", 24, s)[nir].mean() for s in range(3)])
    assert lake < 0.6 * forest

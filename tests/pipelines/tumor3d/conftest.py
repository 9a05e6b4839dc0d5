"""tumor3d fixtures: coarse generated cases (3 mm grid) and a tiny untrained model."""

from pathlib import Path

import pytest

from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.tumor3d import Tumor3DPipeline
from hybridvision.pipelines.tumor3d.samples import write_samples

TINY = Path(__file__).resolve().parents[3] / "configs" / "tumor3d" / "tiny.yaml"


@pytest.fixture(scope="session")
def samples_2021(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples2021")
    write_samples(out, 2, seed=1000, spacing=3.0)
    return out


@pytest.fixture(scope="session")
def samples_2023(tmp_path_factory):
    out = tmp_path_factory.mktemp("samples2023")
    write_samples(out, 1, seed=1010, labels="brats2023", spacing=3.0)
    return out


@pytest.fixture(scope="session")
def tiny_config():
    return load_config(TINY)


@pytest.fixture
def tiny_pipeline(tiny_config):
    pipeline = Tumor3DPipeline(tiny_config.model, tiny_config.data)
    return pipeline, pipeline.build_model().eval()

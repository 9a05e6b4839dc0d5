from pathlib import Path

import pytest
import torch

from hybridvision.pipelines.common.config import load_config
from hybridvision.pipelines.superres import SuperresPipeline

TINY = Path(__file__).resolve().parents[3] / "configs" / "superres" / "tiny.yaml"


@pytest.fixture
def make_pipeline():
    """A tiny pipeline with a random (not bicubic-identical) head: tiling effects would show; the
    prediction options given are the ones its runs use."""

    def make(scale=2, bands=1, **prediction):
        config = load_config(TINY, [f"model.scale={scale}", f"model.bands={bands}"])
        pipeline = SuperresPipeline(config.model, config.data)
        torch.manual_seed(0)
        model = pipeline.build_model().eval()
        with torch.no_grad():
            torch.nn.init.normal_(model.decoder.layers[-1].weight, std=0.05)
        options = pipeline.make_options(**prediction)
        pipeline.default_options = lambda: options  # the runs below go with these options unless told others
        return pipeline, model

    return make

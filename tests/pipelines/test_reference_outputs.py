"""Every shipped checkpoint gives the outputs recorded before the model-composition refactor.

Each network runs on a fixed, seeded input shaped as its pipeline feeds it; the labels (argmax, or
the sign of each region's logit for tumor3d's sigmoids) must be identical and an evenly spaced
sample of 2048 raw outputs equal within 1e-5 (relative and absolute). Record anew only on purpose:
``python -m tests.pipelines.test_reference_outputs`` (a changed output is what this test exists to
catch).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from hybridvision.pipelines.common.checkpoint import load_checkpoint, shipped_checkpoints, shipped_name

RECORD = Path(__file__).resolve().parents[1] / "reference" / "shipped_outputs.npz"
SAMPLE = 2048


def fixed_input(name: str, pipeline) -> torch.Tensor:
    """A seeded input of the shape and range the pipeline gives its network."""
    generator = torch.Generator().manual_seed(1234)
    task = name.split("/")[0]
    if task == "tumor3d":
        shape = (1, 4, 32, 32, 32)  # z-scored modalities
        return torch.randn(shape, generator=generator)
    if task == "xray2shape":
        return torch.rand((1, 2, *pipeline.image_shape), generator=generator)
    if task == "spectral":
        patch, bands = pipeline.model_cfg.patch, pipeline.model_cfg.bands
        return torch.rand((4, bands, patch, patch), generator=generator)
    if task == "superres":
        return torch.rand((2, 1, 24, 32), generator=generator)
    raise AssertionError(f"no fixed input for {name}")


def outputs(name: str) -> dict[str, np.ndarray]:
    pipeline, model, _ = load_checkpoint(name)
    with torch.inference_mode():
        raw = model(fixed_input(name, pipeline)).float()
    task = name.split("/")[0]
    labels = (raw > 0) if task == "tumor3d" else raw.argmax(1) if task in ("xray2shape", "spectral") else None
    flat = raw.flatten().numpy()
    picked = flat[np.linspace(0, flat.size - 1, min(SAMPLE, flat.size)).astype(int)]
    result = {"shape": np.array(raw.shape), "sample": picked}
    if labels is not None:
        result["labels"] = labels.to(torch.uint8).numpy()
    return result


NAMES = [shipped_name(p) for p in shipped_checkpoints()]


def test_every_shipped_checkpoint_has_a_recorded_output():
    recorded = np.load(RECORD)
    assert sorted({key.split(":")[0] for key in recorded.files}) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_outputs_match_the_recording(name):
    recorded = np.load(RECORD)
    now = outputs(name)
    assert np.array_equal(now["shape"], recorded[f"{name}:shape"])
    if "labels" in now:
        assert np.array_equal(now["labels"], recorded[f"{name}:labels"]), "labels changed"
    np.testing.assert_allclose(now["sample"], recorded[f"{name}:sample"], rtol=1e-5, atol=1e-5)


if __name__ == "__main__":
    torch.set_num_threads(2)
    arrays = {f"{name}:{key}": value for name in NAMES for key, value in outputs(name).items()}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(RECORD, **arrays)
    print(f"recorded {len(NAMES)} checkpoints in {RECORD} ({RECORD.stat().st_size / 1024:.0f} KB)")

"""MONAI bundles whose ``run`` is hybridvision's own batch runner: superres and spectral.

Their inputs are rasters that may not fit in memory (a Sentinel-2 tile, a large scan): ``predict``
reads them window by window and streams each window's result into its output file, keeping CRS,
transform, nodata and dtype. MONAI's SupervisedEvaluator holds each input whole, so instead the
bundle's ``run`` expression hands the bundle's network (built from ``run_config``, weights from
``models/model.pt``) to the runner ``predict`` uses: the same reading, windows and writing, hence
the same outputs, and a ``report.json`` beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

MODULE = "hybridvision.pipelines.common.runner_bundle"


def run_units(network: torch.nn.Module, run_config: dict, dataset_dir: str, output_dir: str) -> None:
    """``predict`` over ``dataset_dir`` into ``output_dir`` with the bundle's network; a failed unit fails the run."""
    from ..registry import PIPELINES
    from .batch import run_batch
    from .config import parse_run_config

    config = parse_run_config(run_config, "inference.json")
    pipeline = PIPELINES.entry(config.pipeline).factory(config.model, config.data)
    report = run_batch(pipeline, network.eval(), Path(dataset_dir), Path(output_dir), checkpoint={"bundle": "model.pt"})
    if report.incomplete:
        first = report.incomplete[0]
        raise RuntimeError(f"{len(report.incomplete)} unit(s) failed; {first.name}: {first.error}")


def runner_inference(run_config: dict) -> dict[str, Any]:
    """``configs/inference.json``: the network, its weights, and ``run`` through ``run_units``."""
    return {
        "imports": ["$import torch", f"$import {MODULE} as runner_bundle"],
        "bundle_root": ".",
        "dataset_dir": "$@bundle_root + '/data'",
        "output_dir": "$@bundle_root + '/eval'",
        "device": "$torch.device('cuda' if torch.cuda.is_available() else 'cpu')",
        "run_config": run_config,
        "network_def": {"_target_": "hybridvision.pipelines.common.bundle.build_network", "run_config": "@run_config"},
        "network": "$@network_def.to(@device)",
        "initialize": [
            "$@network.load_state_dict(torch.load(@bundle_root + '/models/model.pt', map_location='cpu', "
            "weights_only=True))",
        ],
        "run": ["$runner_bundle.run_units(@network, @run_config, @dataset_dir, @output_dir)"],
    }

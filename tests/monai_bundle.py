"""Run MONAI's bundle tools the way a user would: ``python -m monai.bundle ...`` in a fresh process."""

import subprocess
import sys


def monai_bundle(*args, cwd) -> str:
    """stdout + stderr of ``python -m monai.bundle ARGS``; fails the test when it exits non-zero."""
    result = subprocess.run(
        [sys.executable, "-m", "monai.bundle", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout + result.stderr


def verify_metadata(root) -> str:
    """``verify_metadata`` against the bundle's own schema copy (offline)."""
    return monai_bundle(
        "verify_metadata",
        "--meta_file",
        root / "configs/metadata.json",
        "--filepath",
        root / "configs/schema.json",
        cwd=root,
    )


def verify_net_in_out(root) -> str:
    """``verify_net_in_out`` of ``network_def`` on the CPU."""
    meta, config = root / "configs/metadata.json", root / "configs/inference.json"
    return monai_bundle(
        "verify_net_in_out", "network_def", "--meta_file", meta, "--config_file", config, "--device", "cpu", cwd=root
    )


def run_bundle(root, dataset_dir, output_dir) -> str:
    """``monai.bundle run`` of the bundle's inference.json over ``dataset_dir``."""
    meta, config = root / "configs/metadata.json", root / "configs/inference.json"
    return monai_bundle(
        "run", "--config_file", config, "--meta_file", meta, "--bundle_root", root,
        "--dataset_dir", dataset_dir, "--output_dir", output_dir, cwd=root,
    )  # fmt: skip

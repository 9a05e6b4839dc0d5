"""Inputs for the batch engine tests: real photographs (scikit-image) as PNGs, and a GeoTIFF large
enough that its streamed output stays half-written for seconds (a moment to kill a run in)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np


def write_photos(folder: Path, count: int, side: int = 96) -> Path:
    """``photo000.png`` ...: crops of a real photograph (the bench's units)."""
    from hybridvision.bench.superres.batch_bench import write_units

    return write_units(folder, count, side, prefix="photo")


def write_raster(path: Path, side: int = 640) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    pixels = (np.random.default_rng(0).random((3, side, side)) * 4000).astype("uint16")
    profile = {"driver": "GTiff", "width": side, "height": side, "count": 3, "dtype": "uint16"}
    profile |= {"crs": "EPSG:32633", "transform": from_origin(500000, 4000000, 10, 10)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as raster:
        raster.write(pixels)
    return path


def start(command: list[str], env: dict, cwd: Path) -> subprocess.Popen:
    """A command in a session (process group) of its own, so killing the group reaches its workers."""
    return subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_for(condition, timeout: float = 300, every: float = 0.02) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the awaited moment never came")
        time.sleep(every)


def kill_group(process: subprocess.Popen) -> list[int]:
    """SIGKILL the whole process group; returns the pids of the group still alive a moment later."""
    import psutil

    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(1.0)
    alive = []
    for candidate in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(candidate.pid) == group and candidate.status() != psutil.STATUS_ZOMBIE:
                alive.append(candidate.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return alive


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".partial-*")) if folder.exists() else []

"""``--device``: its choices, and the torch device they give on this machine or on a Dask worker.
Nothing here imports torch until a device is resolved (``--help`` stays instant)."""

from __future__ import annotations

from ..errors import InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def check_device_choice(device: str) -> None:
    if device not in DEVICE_CHOICES:
        raise ValueError(f"--device must be auto, cpu or cuda, got {device!r}")


def resolve_device(device: str) -> str:
    """The device on this machine: ``auto`` is cuda when there is one, else cpu."""
    import torch

    check_device_choice(device)
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked but no CUDA device is available")
    return "cuda" if device == "auto" and torch.cuda.is_available() else ("cpu" if device == "auto" else device)


def worker_device(requested: str, worker_index: int, cuda_count: int) -> str:
    """The torch device one Dask worker runs on.

    Args:
        requested: ``--device``: auto, cpu or cuda.
        worker_index: the worker's place among those sharing its GPUs (0 when it has them to itself).
        cuda_count: the CUDA devices the worker sees.

    Returns:
        ``cpu``, or ``cuda:(worker_index mod cuda_count)`` so that workers spread over the GPUs.

    Raises:
        InputError: ``cuda`` asked for on a worker that sees no CUDA device.
        ValueError: ``requested`` is none of auto, cpu, cuda.
    """
    check_device_choice(requested)
    if requested == "cuda" and cuda_count == 0:
        raise InputError("--device cuda was asked but this Dask worker sees no CUDA device")
    if requested == "cpu" or cuda_count == 0:
        return "cpu"
    return f"cuda:{worker_index % cuda_count}"

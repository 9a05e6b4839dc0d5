"""``predict --runtime onnxruntime``: a checkpoint's network run by ONNX Runtime, everything around it
(reading, resampling, windows, blending, writing) unchanged.

The network is exported once per checkpoint and input shape it meets and cached under
``cache_root()/onnx`` (named by the checkpoint's SHA-256). The first export asks for dynamic batch
and spatial sizes; it is kept as dynamic only when ONNX Runtime then matches torch within 1e-4 on a
size the export never saw; otherwise (a model whose traced graph fixes its sizes) each new input
shape gets an export of its own, taking any batch where that too matches torch, else one window at a
time. A network given a band subset (spectral's ``channel_ids``) is
exported once per subset, the subset fixed inside. torch stays installed: it exports, and checks.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import InputError
from .atomic import atomic_outputs, write_text_atomic
from .stand_in import NetworkStandIn, band_key

TOLERANCE = 1e-4


def cpu_session(path: Path, threads: int | None = None):
    """An ONNX Runtime session on the CPU with ``threads`` intra-op threads (torch's count by default)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_cache() -> Path:
    from ...backbones.cache import cache_root

    return cache_root() / "onnx"


def export(model: nn.Module, example: torch.Tensor, path: Path, sizes: str = "fixed") -> None:
    """``model`` on ``example`` to ONNX at ``path`` (atomically). ``sizes``: which input sizes the
    graph takes: ``any`` (batch and spatial), ``batch`` (the batch only) or ``fixed`` (the example's)."""
    model.eval()  # the exporter puts a module back in the mode it found it in, its children included
    with torch.no_grad():
        out_dims = model(example).ndim
    inputs = {"any": [0, *range(2, example.ndim)], "batch": [0], "fixed": []}[sizes]
    outputs = {"any": list(range(out_dims)), "batch": [0], "fixed": []}[sizes]
    axes = {"image": {i: f"in{i}" for i in inputs}, "pred": {i: f"out{i}" for i in outputs}}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_outputs({"onnx": path}) as temps, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (example,), str(temps["onnx"]), input_names=["image"], output_names=["pred"],
            dynamic_axes=axes if inputs else None, dynamo=False,
        )  # fmt: skip


class FixedBands(nn.Module):
    """The network with its band subset fixed (``model(x, channel_ids=...)``): an export per band set
    a run reads (one for a folder of one sensor), each taking the image alone."""

    def __init__(self, model: nn.Module, channel_ids: torch.Tensor):
        super().__init__()
        self.model, self.channel_ids = model, channel_ids

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, channel_ids=self.channel_ids)


class OnnxRuntimeNetwork(NetworkStandIn):
    """Looks like the torch network to the pipeline (``model(x)``, a device), runs ONNX Runtime.

    Args:
        model: the loaded torch network (exports and checks; never run for predictions).
        sha256: the checkpoint's, naming the cached exports.
        threads: ONNX Runtime's intra-op threads (torch's count by default).
    """

    def __init__(self, model: nn.Module, sha256: str, threads: int | None = None):
        super().__init__(model.eval())  # the torch network exports and checks; it never predicts here
        self.sha256, self.threads = sha256, threads or torch.get_num_threads()
        # per band set (None: all bands, as model(x)): the sizes its exports take, decided at its first call
        self.sizes: dict[tuple[int, ...] | None, str] = {}
        self.sessions: dict[tuple, object] = {}  # (band set, input shape or None for the "any" export)

    def session(self, path: Path):
        return cpu_session(path, self.threads)

    def run(self, session, x: torch.Tensor) -> torch.Tensor:
        array = x.detach().float().cpu().numpy()
        return torch.from_numpy(session.run(None, {"image": array})[0])

    def network(self, bands: tuple[int, ...] | None) -> tuple[nn.Module, str]:
        """The torch module exported for a band set, and its cache files' name prefix."""
        model, prefix = self.torch_model[0], self.sha256[:16]
        if bands is None:
            return model, prefix
        digest = hashlib.sha256(repr(bands).encode()).hexdigest()[:8]
        return FixedBands(model, torch.tensor(bands)), f"{prefix}-bands{digest}"

    def matches(self, model: nn.Module, session, x: torch.Tensor) -> bool:
        """Whether the exported ``session`` gives torch's output on ``x`` (within TOLERANCE)."""
        try:
            with torch.no_grad():
                expected = model(x).float()
            got = self.run(session, x)
        except Exception:  # torch or ONNX Runtime refuses this size
            return False
        return got.shape == expected.shape and bool(torch.allclose(got, expected, atol=TOLERANCE, rtol=TOLERANCE))

    def first_export(self, x: torch.Tensor, bands: tuple[int, ...] | None) -> None:
        """Which sizes this band set's exports take: any (one export, checked on a size it never saw),
        else any batch at the shapes met (an export per shape), else none (one window at a time)."""
        (model, prefix), folder = self.network(bands), onnx_cache()
        marker = folder / f"{prefix}-sizes"  # an earlier run's finding: no torch pass to check it again
        path = folder / f"{prefix}-dynamic.onnx"
        found = marker.read_text().strip() if marker.is_file() else None
        if found in ("batch", "fixed") or (found == "any" and path.is_file()):
            self.sizes[bands] = found
            if found == "any":
                self.sessions[bands, None] = self.session(path)
            return
        if not path.is_file():
            export(model, x[:1], path, "any")
        session = self.session(path)
        bigger = (x.shape[0] + 1, *x.shape[1:2], *(s + 16 for s in x.shape[2:]))
        if self.matches(model, session, torch.rand(bigger)):
            self.sizes[bands], self.sessions[bands, None] = "any", session
            write_text_atomic(marker, "any")
            return
        path.unlink(missing_ok=True)
        shape_path = folder / f"{prefix}-batch-{'x'.join(str(s) for s in x.shape[1:])}.onnx"
        export(model, x[:1], shape_path, "batch")
        batched = self.matches(model, self.session(shape_path), torch.rand(x.shape[0] + 1, *x.shape[1:]))
        self.sizes[bands] = "batch" if batched else "fixed"
        if not batched:
            shape_path.unlink()
        write_text_atomic(marker, self.sizes[bands])

    def forward(self, x: torch.Tensor, channel_ids: torch.Tensor | None = None, **kwargs) -> torch.Tensor:
        if kwargs:
            passed = ", ".join(kwargs)
            raise InputError(f"--runtime onnxruntime runs model(x[, channel_ids]) only; this call passes {passed}")
        bands = band_key(channel_ids)
        if bands not in self.sizes:
            self.first_export(x, bands)
        sizes = self.sizes[bands]
        key = (bands, None if sizes == "any" else tuple(x.shape[1:]))
        if key not in self.sessions:
            model, prefix = self.network(bands)
            path = onnx_cache() / f"{prefix}-{sizes}-{'x'.join(str(s) for s in x.shape[1:])}.onnx"
            if not path.is_file():
                export(model, x[:1], path, sizes)
            self.sessions[key] = self.session(path)
        if sizes == "fixed" and x.shape[0] != 1:  # a fixed export takes one window at a time
            return torch.cat([self.run(self.sessions[key], x[i : i + 1]) for i in range(x.shape[0])]).to(x.device)
        return self.run(self.sessions[key], x).to(x.device)


def onnx_network(model: nn.Module, sha256: str, threads: int | None = None) -> OnnxRuntimeNetwork:
    """The network for ``--runtime onnxruntime``, or one line saying how to install ONNX Runtime."""
    try:
        import onnxruntime  # noqa: F401
    except ModuleNotFoundError:
        raise InputError("--runtime onnxruntime needs onnxruntime: pip install 'hybridvision[deploy]'") from None
    return OnnxRuntimeNetwork(model, sha256, threads)

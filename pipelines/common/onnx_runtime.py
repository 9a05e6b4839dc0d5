"""``predict --runtime onnxruntime``: a checkpoint's network run by ONNX Runtime, everything around it
(reading, resampling, windows, blending, writing) unchanged.

The network is exported once per checkpoint and input shape it meets and cached under
``cache_root()/onnx`` (named by the checkpoint's SHA-256). The first export asks for dynamic batch
and spatial sizes; it is kept as dynamic only when ONNX Runtime then matches torch within 1e-4 on a
size the export never saw; otherwise (a model whose traced graph fixes its sizes) each new input
shape gets an export of its own. torch stays installed: it exports, and checks.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import InputError
from .atomic import atomic_outputs

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


def export(model: nn.Module, example: torch.Tensor, path: Path, dynamic: bool) -> None:
    """``model`` on ``example`` to ONNX at ``path`` (atomically): batch and spatial sizes dynamic, or none."""
    with torch.no_grad():
        out_dims = model(example).ndim
    axes = {
        "image": {i: f"in{i}" for i in [0, *range(2, example.ndim)]},
        "pred": {i: f"out{i}" for i in range(out_dims)},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_outputs({"onnx": path}) as temps, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (example,), str(temps["onnx"]), input_names=["image"], output_names=["pred"],
            dynamic_axes=axes if dynamic else None, dynamo=False,
        )  # fmt: skip


class OnnxRuntimeNetwork(nn.Module):
    """Looks like the torch network to the pipeline (``model(x)``, a device), runs ONNX Runtime.

    Args:
        model: the loaded torch network (exports and checks; never run for predictions).
        sha256: the checkpoint's, naming the cached exports.
        threads: ONNX Runtime's intra-op threads (torch's count by default).
    """

    def __init__(self, model: nn.Module, sha256: str, threads: int | None = None):
        super().__init__()
        self.torch_model = [model.eval()]  # in a list: not a submodule (nothing of it runs here)
        self.probe = nn.Parameter(torch.zeros(1), requires_grad=False)  # pipelines ask a parameter for the device
        self.sha256, self.threads = sha256, threads or torch.get_num_threads()
        self.sessions: dict[tuple[int, ...] | None, object] = {}  # None: the dynamic export
        self.dynamic: bool | None = None  # decided at the first call

    def __getattr__(self, name: str):
        """The torch network's own facts (superres's ``scale``) where this wrapper has none."""
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["torch_model"][0], name)

    def session(self, path: Path):
        return cpu_session(path, self.threads)

    def run(self, session, x: torch.Tensor) -> torch.Tensor:
        array = x.detach().float().cpu().numpy()
        return torch.from_numpy(session.run(None, {"image": array})[0])

    def first_export(self, x: torch.Tensor) -> None:
        """Export with dynamic sizes and check them on an unseen size; else fall back to per-shape exports."""
        model, folder = self.torch_model[0], onnx_cache()
        path, fixed = folder / f"{self.sha256[:16]}-dynamic.onnx", folder / f"{self.sha256[:16]}-fixed-sizes"
        if fixed.is_file():  # an earlier run found its sizes fixed
            self.dynamic = False
            return
        if not path.is_file():
            export(model, x[:1], path, dynamic=True)
        session = self.session(path)
        other = torch.rand(x.shape[0] + 1, *x.shape[1:2], *(s + 16 for s in x.shape[2:]), dtype=torch.float32)
        try:
            with torch.no_grad():
                expected = model(other).float()
            got = self.run(session, other)
            self.dynamic = got.shape == expected.shape and bool(
                torch.allclose(got, expected, atol=TOLERANCE, rtol=TOLERANCE)
            )
        except Exception:  # torch or ONNX Runtime refuses the other size: fixed sizes, an export per shape
            self.dynamic = False
        if self.dynamic:
            self.sessions[None] = session
        else:
            fixed.touch()
            path.unlink(missing_ok=True)

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        if kwargs:
            raise InputError(f"--runtime onnxruntime runs model(x) only; this call passes {', '.join(kwargs)}")
        if self.dynamic is None:
            self.first_export(x)
        key = None if self.dynamic else tuple(x.shape[1:])
        if key not in self.sessions:
            shape = "x".join(str(s) for s in x.shape[1:])
            path = onnx_cache() / f"{self.sha256[:16]}-{shape}.onnx"
            if not path.is_file():
                export(self.torch_model[0], x[:1], path, dynamic=False)
            self.sessions[key] = self.session(path)
        if key is not None and x.shape[0] != 1:  # a static export takes one window at a time
            return torch.cat([self.run(self.sessions[key], x[i : i + 1]) for i in range(x.shape[0])]).to(x.device)
        return self.run(self.sessions[key], x).to(x.device)


def onnx_network(pipeline, model: nn.Module, sha256: str, threads: int | None = None) -> OnnxRuntimeNetwork:
    """The network for ``--runtime onnxruntime``; a task whose network it cannot run (its
    ``onnx_refusal``) is refused in one line."""
    if pipeline.onnx_refusal:
        raise InputError(
            f"--runtime onnxruntime: not for {pipeline.name} yet ({pipeline.onnx_refusal}); use --runtime torch"
        )
    try:
        import onnxruntime  # noqa: F401
    except ModuleNotFoundError:
        raise InputError("--runtime onnxruntime needs onnxruntime: pip install 'hybridvision[deploy]'") from None
    return OnnxRuntimeNetwork(model, sha256, threads)

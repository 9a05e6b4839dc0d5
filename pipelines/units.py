"""What flows through a pipeline: a ``Unit`` of work (files grouped by discovery), the ``Sample``
its hooks pass along, a training ``Batch``, and which files are ground truth rather than inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Unit:
    """One unit of work: a name (used for output names) and the files that make it up.

    ``error``: why this unit cannot run (a case with a modality missing, a file whose name is no
    view), found while grouping files; the runner reports it as the unit's failure and goes on.
    """

    name: str
    files: tuple[Path, ...]
    extra: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Sample:
    """One unit on its way through the prediction hooks.

    Attributes:
        image: what the network reads: an array or tensor; for inputs read window by window, the
            open source (``close`` closes it).
        meta: what the outputs need to land where the input was (name, affine, header, CRS, the
            transform to invert ...).
        pred: the model's output, set by ``infer`` always: an array; for an input streamed into
            its files (``sink`` set), the window function that was streamed.
        label: ground truth, when there is one (evaluation); never a prediction.
        progress: told ``(done, total)`` as the work inside the unit advances (a streamed raster's
            windows), for the runner's progress bar.
        options: the prediction options this sample runs under (the task's frozen ``options_type``),
            set by ``predict_sample``: hooks read them here, never from the pipeline, so one loaded
            model serves any option set.
        sink: for streamed inputs, ``put(window, output)`` into the output files the files layer
            opened (``Streaming.output_sink``); None: the output stays in memory, in ``pred``.
        preprocessed: ``preprocess`` has run (the batch runner's read-ahead did it, under
            ``options``): ``predict_sample`` goes straight to ``infer``.
    """

    image: Any
    meta: dict[str, Any] = field(default_factory=dict)
    pred: Any = None
    label: Any = None
    progress: Callable[[int, int], None] | None = None
    options: Any = None
    sink: Callable[[Any, Any], None] | None = None
    preprocessed: bool = False

    @property
    def name(self) -> str:
        return self.meta["name"]

    def close(self) -> None:
        """Release an open source (a streamed raster); arrays need nothing."""
        close = getattr(self.image, "close", None)
        if callable(close):
            close()


Batch = dict[str, Any]  # a training batch from a DataLoader: {"image": tensor, "label": tensor, ...}


GROUND_TRUTH_SUFFIXES = ("_seg", "-seg", "_label", "-label", "_labels", "_gt", "_mask")


def is_ground_truth(path: Path) -> bool:
    """True for files that hold labels rather than inputs (``case_seg.nii.gz``, ``x_gt.png``)."""
    stem = path.name.split(".")[0].lower()
    return stem.endswith(GROUND_TRUTH_SUFFIXES)

"""``IOSpec``: what a model takes and gives, per key, saved in every checkpoint and MONAI bundle."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a model.

    Attributes:
        channels: channel count, or None when any count is accepted.
        channel_names: names of the channels (modalities, bands, regions), when fixed.
        spatial_dims: 2 or 3.
        dtype: the tensor's dtype name ("float32", "int64").
        value_range: expected range of values, if any ((0, 1) for probabilities).
        class_names: names of the classes of a label output.
    """

    channels: int | None
    spatial_dims: int
    channel_names: tuple[str, ...] = ()
    dtype: str = "float32"
    value_range: tuple[float, float] | None = None
    class_names: tuple[str, ...] = ()

    def __post_init__(self):
        if self.channel_names and self.channels is not None and len(self.channel_names) != self.channels:
            raise ValueError(f"{len(self.channel_names)} channel names for {self.channels} channels")


@dataclass(frozen=True)
class IOSpec:
    """What a model takes and gives, per key (``image`` in, ``pred`` out, ...)."""

    inputs: Mapping[str, TensorSpec]
    outputs: Mapping[str, TensorSpec]

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": {k: asdict(v) for k, v in self.inputs.items()},
            "outputs": {k: asdict(v) for k, v in self.outputs.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "IOSpec":
        def spec(d: Mapping[str, Any]) -> TensorSpec:
            d = dict(d)
            for key in ("channel_names", "class_names"):
                d[key] = tuple(d.get(key, ()))
            if d.get("value_range") is not None:
                d["value_range"] = tuple(d["value_range"])
            return TensorSpec(**d)

        return cls(
            inputs={k: spec(v) for k, v in data["inputs"].items()},
            outputs={k: spec(v) for k, v in data["outputs"].items()},
        )

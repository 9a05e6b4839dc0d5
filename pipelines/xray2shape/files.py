"""xray2shape's files: pairs of AP and lateral radiographs in; the label volume (NIfTI) and its mesh (GLB) out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..base import InputError, Sample, Unit, is_ground_truth
from ..common.discovery import Roles, discover_cases
from ..common.mesh import write_label_meshes
from ..common.volumes import save_nifti
from .io import IMAGE_SUFFIXES, image_suffix, read_radiograph

VIEW_PATTERN = re.compile(r"^(?P<case>.+)_(?P<view>ap|lat|lateral)$", re.IGNORECASE)
VIEWS = ("ap", "lateral")
NON_INPUTS = (".json", ".glb", ".txt", ".md", ".csv", ".yaml", ".yml", ".log")


def strip_extension(name: str) -> str:
    lowered = name.lower()
    for suffix in sorted(IMAGE_SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name.rsplit(".", 1)[0] if "." in name else name


def parse_view(path: Path) -> tuple[str, str] | None:
    """``(case, "ap" | "lateral")`` for ``<case>_ap.*`` / ``<case>_lat.*`` (or ``_lateral``), else None."""
    match = VIEW_PATTERN.match(strip_extension(path.name))
    if match is None:
        return None
    return match["case"], "ap" if match["view"].lower() == "ap" else "lateral"


def looks_like_input(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and not name.startswith(".") and not name.endswith(NON_INPUTS) and not is_ground_truth(path)


def missing_view(case: str, missing: list[str], present: list[str]) -> str:
    expected = f"{case}_ap.*" if missing[0] == "ap" else f"{case}_lat.*"
    return f"case {case}: missing the {missing[0]} view ({expected})"


def unnamed_view(path: Path) -> str | None:
    """An image that is not a view is said; other files (notes, outputs) are passed over."""
    if image_suffix(path) not in IMAGE_SUFFIXES:
        return None
    return f"{path.name}: not a view name (expected <case>_ap.* or <case>_lat.*)"


VIEW_ROLES = Roles(
    names=VIEWS,
    noun="view",
    parse=parse_view,
    candidate=looks_like_input,
    unnamed=unnamed_view,
    missing=missing_view,
    stem=lambda path: strip_extension(path.name),
)


def discover_pairs(input_path: Path) -> list[Unit]:
    """Group view files into cases; incomplete or ambiguous cases become units carrying an ``error``."""
    return discover_cases(input_path, VIEW_ROLES)


class X2SFiles:
    """xray2shape's files: discovery, output names, read, write; the in-memory core
    (preprocess, infer, postprocess) is in ``pipeline.py``."""

    def discover_units(self, input_path: Path, options: Any = None) -> list[Unit]:
        return discover_pairs(Path(input_path))

    def output_names(self, unit: Unit, options: Any = None) -> list[str]:
        return [f"{unit.name}_seg.nii.gz", f"{unit.name}.glb"]

    def read(self, unit: Unit) -> Sample:
        views = {}
        for view in VIEWS:
            try:
                views[view] = read_radiograph(unit.extra["roles"][view])
            except InputError as error:
                raise InputError(f"case {unit.name}: {error}") from error
        return Sample(views, {"name": unit.name})

    def write(self, sample: Sample, paths: Mapping[str, Path]) -> None:
        name, affine = sample.name, sample.meta["affine"]
        description = f"hybridvision xray2shape {self.model_cfg.anatomy}"
        save_nifti(paths[f"{name}_seg.nii.gz"], sample.pred.astype(np.uint8), affine, description=description)
        write_label_meshes(sample.pred, affine, self.model_cfg.label_names, paths[f"{name}.glb"])

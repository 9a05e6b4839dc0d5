"""tumor3d's files: BraTS-named NIfTI cases and DICOM studies in; labels (NIfTI, DICOM-SEG),
probabilities and the TTA variance out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ..base import InputError, Sample, Unit
from .dicom_input import discover_studies, load_series_map, read_dicom_case
from .dicom_seg import write_seg_keeping_label
from .io import discover_cases, read_case, strip_nifti, write_label, write_probabilities


class Tumor3DFiles:
    """tumor3d's files: discovery, output names, read, write; the in-memory core
    (preprocess, infer, postprocess) is in ``pipeline.py``."""

    def discover_units(self, input_path: Path, options: Any = None) -> list[Unit]:
        """BraTS-named NIfTI cases, and DICOM studies (``dicom_input.py``, its series mapped with
        ``--series-map``), under ``input_path``."""
        series_map = (options or self.default_options()).series_map
        nifti = input_path.is_dir() or strip_nifti(input_path.name) is not None
        units = discover_cases(input_path) if nifti else []
        if input_path.is_dir() or not nifti:
            units += discover_studies(input_path, load_series_map(series_map) if series_map else {})
        return units

    def output_format(self, unit: Unit, options: Any) -> str:
        chosen = options.output_format
        return ("both" if "dicom" in unit.extra else "nifti") if chosen == "auto" else chosen

    def output_names(self, unit: Unit, options: Any = None) -> list[str]:
        options = options or self.default_options()
        kind = self.output_format(unit, options)
        names = [f"{unit.name}_seg.nii.gz"] if kind in ("nifti", "both") else []
        names += [f"{unit.name}_seg.dcm"] if kind in ("dicom-seg", "both") else []
        if options.probabilities or options.tta:
            names.append(f"{unit.name}_prob.nii.gz")
        if options.tta:
            names.append(f"{unit.name}_var.nii.gz")
        return names

    def read(self, unit: Unit) -> Sample:
        case = read_dicom_case(unit) if "dicom" in unit.extra else read_case(unit)
        meta = {
            "name": unit.name,
            "affine": case["affine"],
            "header": case["header"],
        }
        return Sample(case["image"], meta | {"source": case.get("source")})

    def write(self, sample: Sample, paths: Mapping[str, Path]) -> None:
        """The label as NIfTI and/or DICOM-SEG; probabilities (the TTA mean) and the TTA variance."""
        name, affine, header = sample.name, sample.meta["affine"], sample.meta["header"]
        label, probabilities, options = sample.pred, sample.meta["probabilities"], self.options_of(sample)
        seg_name, nifti_name = f"{name}_seg.dcm", f"{name}_seg.nii.gz"
        if seg_name in paths and not sample.meta["source"]:
            kind = self.output_format(Unit(name, ()), options)
            raise InputError(f"case {name}: --output-format {kind} needs a DICOM study as input")
        if nifti_name in paths:
            write_label(paths[nifti_name], label, affine, header)
        if f"{name}_prob.nii.gz" in paths:
            write_probabilities(paths[f"{name}_prob.nii.gz"], probabilities, affine, header)
        if f"{name}_var.nii.gz" in paths:
            write_probabilities(paths[f"{name}_var.nii.gz"], sample.meta["variance"], affine, header)
        if seg_name in paths:  # last: if the study cannot carry a DICOM-SEG, the labels are already safe
            write_seg_keeping_label(paths, name, label, sample.meta, options.labels)

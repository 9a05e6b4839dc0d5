"""tumor3d from DICOM studies: one unit per study, its series mapped to T1, T1ce, T2 and FLAIR.

The mapping, in order (the first that decides wins):

1. ``--series-map FILE`` (YAML, modality -> a SeriesInstanceUID or a glob pattern on
   SeriesDescription, e.g. ``t1ce: "*POST*"``), for the modalities it names.
2. SeriesDescription and ProtocolName: ``flair``, ``t2f``, ``dark fluid``, ``tirm`` are FLAIR; a T1
   name (``t1``, ``mprage``, ``spgr``, ``tfe``, ``bravo``, ``vibe``) with a contrast word (``post``,
   ``gd``, ``gad``, ``contrast``, ``+c``, ``ce``, ``t1c``, ``enh``) is T1ce, without one T1; ``t2`` is T2.
3. The acquisition tags, when the names say nothing: inversion recovery with TI over 1500 ms is
   FLAIR; TR under 1000 ms with TE under 30 ms is T1 (T1ce with a ContrastBolusAgent); TR over
   2000 ms with TE over 70 ms is T2.

Localisers, derived and secondary-capture series, and non-MR objects, are skipped. Where several
series fit one modality, the one with the most slices wins, then the latest SeriesNumber; the
choice is logged. The four series must share a FrameOfReferenceUID; on different grids they are
resampled onto the T1ce grid (logged). Output names come from the study's folder (the first
folder under the input, or the input folder for a single study), else ``study-<hash of its UID>``,
never from patient tags.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from ..base import InputError, Unit
from ..common.dicom_series import Grid, Series, grid_of, read_volume, resample_onto, scan, why_not_an_acquisition
from .modalities import MODALITIES

FLAIR_WORDS = re.compile(r"\bflair\b|\bt2 ?f\b|dark ?fluid|\btirm\b")
T1_WORDS = re.compile(r"\bt1|\bmprage\b|\bspgr\b|\btfe\b|\bbravo\b|\bvibe\b")
CONTRAST_WORDS = re.compile(
    r"\+ ?c\b|\bc ?\+|\bpost\b|\bgd\b|\bgad|contrast|\bce\b|\bt1 ?c\b|\bt1 ?ce\b|\bt1gd\b|\benh"
)
T2_WORDS = re.compile(r"\bt2")
UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")


def modality_of(series: Series) -> str | None:
    """T1, T1ce, T2 or FLAIR by the rules in the module docstring; None when none fits."""
    text = series.text
    if FLAIR_WORDS.search(text):
        return "flair"
    if T1_WORDS.search(text):
        return "t1ce" if CONTRAST_WORDS.search(text) or series.acquisition["contrast"] else "t1"
    if T2_WORDS.search(text):
        return "t2"
    tr, te, ti = (series.acquisition[k] for k in ("repetition_ms", "echo_ms", "inversion_ms"))
    if ("IR" in str(series.acquisition["sequence"]).split() or ti) and (ti or 0) > 1500:
        return "flair"
    if tr is not None and te is not None:
        if tr < 1000 and te < 30:
            return "t1ce" if series.acquisition["contrast"] else "t1"
        if tr > 2000 and te > 70:
            return "t2"
    return None


def load_series_map(path: str | Path) -> dict[str, str]:
    """``--series-map``: a YAML mapping of modality to a SeriesInstanceUID or a description pattern."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise InputError(f"--series-map {path.name}: unreadable ({str(error).splitlines()[0]})") from error
    if not isinstance(data, dict) or not data:
        raise InputError(f"--series-map {path.name}: expected a mapping like 't1ce: \"*POST*\"'")
    unknown = [str(k) for k in data if str(k).lower() not in MODALITIES]
    if unknown:
        raise InputError(f"--series-map {path.name}: unknown modality {unknown[0]!r} (use {', '.join(MODALITIES)})")
    return {str(k).lower(): str(v) for k, v in data.items()}


def matches(series: Series, wanted: str) -> bool:
    if UID.match(wanted):
        return series.uid == wanted
    return fnmatch.fnmatch(series.description.lower(), wanted.lower())


def choose(candidates: dict[str, list[Series]], notes: list[str]) -> dict[str, Series]:
    """One series per modality: the most slices, then the latest series number (logged)."""
    chosen = {}
    for modality, found in candidates.items():
        ranked = sorted(found, key=lambda s: (len(s.files), s.number), reverse=True)
        chosen[modality] = ranked[0]
        if len(ranked) > 1:
            others = ", ".join(f"{s.label} ({len(s.files)} slices)" for s in ranked[1:])
            notes.append(f"{modality}: took {ranked[0].label} ({len(ranked[0].files)} slices) over {others}")
    return chosen


def map_study(series: list[Series], series_map: dict[str, str], notes: list[str]) -> dict[str, Series]:
    """The study's series for each modality; raises naming the modalities with none."""
    candidates: dict[str, list[Series]] = {}
    for one in sorted(series, key=lambda s: s.number):
        skip = "not MR" if one.modality != "MR" else why_not_an_acquisition(one)
        if skip:
            notes.append(f"skipped {one.label}: {skip}")
            continue
        by_map = [m for m, wanted in series_map.items() if matches(one, wanted)]
        modality = by_map[0] if by_map else modality_of(one)
        if modality in series_map and not by_map:
            modality = None  # the map decides that modality alone
        if modality is not None:
            candidates.setdefault(modality, []).append(one)
    missing = [m for m in MODALITIES if m not in candidates]
    if missing:
        present = ", ".join(f"{m} {candidates[m][0].label}" for m in MODALITIES if m in candidates) or "none"
        raise InputError(f"no series for {', '.join(missing).upper()} (found: {present}); see --series-map")
    return choose(candidates, notes)


def study_names(studies: dict[str, list[Series]], root: Path) -> dict[str, str]:
    """Output names: the study's own first folder under ``root`` when it is its alone, the root's
    name for a single study, else ``study-<hash>``."""
    firsts = {}
    for uid, series in studies.items():
        parts = {
            f.relative_to(root).parts[0] if len(f.relative_to(root).parts) > 1 else "" for s in series for f in s.files
        }
        firsts[uid] = parts.pop() if len(parts) == 1 else ""
    names = {}
    for uid in studies:
        folder = firsts[uid]
        if folder and list(firsts.values()).count(folder) == 1:
            names[uid] = folder
        elif len(studies) == 1:
            names[uid] = root.name
        else:
            names[uid] = "study-" + hashlib.sha256(uid.encode()).hexdigest()[:10]
    return names


def discover_studies(root: Path, series_map: dict[str, str] | None = None) -> list[Unit]:
    """One unit per DICOM study under ``root``; a study that cannot run carries its ``error``."""
    root = Path(root)
    studies, broken = scan(root if root.is_dir() else root.parent)
    by_study = {uid: list(series.values()) for uid, series in studies.items()}
    names = study_names(by_study, root if root.is_dir() else root.parent)
    units = []
    for uid, series in sorted(by_study.items(), key=lambda item: names[item[0]]):
        name = names[uid]
        files = tuple(f for s in series for f in s.files)
        notes: list[str] = []
        try:
            plan = plan_study(series, series_map or {}, broken, notes)
            units.append(
                Unit(
                    name,
                    tuple(f for g in plan["grids"].values() for f in g.files),
                    {"dicom": plan, "notes": notes, "summary": summary(plan)},
                )
            )
        except InputError as error:
            units.append(Unit(name, files, {"notes": notes}, error=f"study {name}: {error}"))
    return units


def summary(plan: dict[str, Any]) -> list[str]:
    """What a dry run shows of a study: the series taken for each modality."""
    return [f"{m}: {plan['labels'][m]} ({len(plan['grids'][m].files)} slices)" for m in MODALITIES]


def plan_study(series: list[Series], series_map: dict[str, str], broken: list, notes: list[str]) -> dict[str, Any]:
    """The chosen series, their checked grids, and what reading must do (resample)."""
    folders = {f.parent for s in series for f in s.files}
    for path, reason in broken:
        if path.parent in folders:
            raise InputError(reason)
    chosen = map_study(series, series_map, notes)
    frames = {chosen[m].frame_of_reference for m in MODALITIES}
    if len(frames) > 1:
        groups = ", ".join(
            f"{m} {chosen[m].label}"
            for m in MODALITIES
            if chosen[m].frame_of_reference != chosen["t1ce"].frame_of_reference
        )
        raise InputError(
            f"{groups}: another frame of reference than t1ce {chosen['t1ce'].label} (no registration is done)"
        )
    grids = {m: grid_of(chosen[m]) for m in MODALITIES}
    for modality in MODALITIES:
        if not grids[modality].same_as(grids["t1ce"]):
            notes.append(f"{modality} {chosen[modality].label} is on another grid: resampled onto the t1ce grid")
    labels = {m: chosen[m].label for m in MODALITIES}
    return {"grids": grids, "labels": labels, "study_uid": chosen["t1ce"].study_uid}


def read_modality(plan: dict[str, Any], modality: str) -> np.ndarray:
    """One modality's series of a study's plan, as (X, Y, Z) on the T1ce grid."""
    grid: Grid = plan["grids"][modality]
    volume = read_volume(grid, plan["labels"][modality])
    target = plan["grids"]["t1ce"]
    return volume if grid.same_as(target) else resample_onto(volume, grid.matrix, target)


def read_dicom_case(unit: Unit) -> dict[str, Any]:
    """(4, X, Y, Z) float32 on the T1ce grid, its RAS affine, a NIfTI header, and the T1ce files."""
    if unit.error:
        raise InputError(unit.error)
    plan = unit.extra["dicom"]
    target = plan["grids"]["t1ce"]
    image = np.stack([read_modality(plan, modality) for modality in MODALITIES]).astype(np.float32)
    if not np.isfinite(image).all() or not (image != 0).any():
        raise InputError(f"study {unit.name}: the volumes are empty or hold NaN/Inf values")
    header = nib.Nifti1Header()
    header.set_xyzt_units("mm")
    header.set_qform(target.matrix, code=1)
    header.set_sform(target.matrix, code=1)
    return {"image": image, "affine": target.matrix, "header": header, "name": unit.name, "source": target.files}

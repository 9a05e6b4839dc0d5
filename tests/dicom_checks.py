"""DICOM as the outside world checks and makes it: David Clunie's validator (Debian's dicom3tools,
which ``.ci/run`` installs) over what we write, and studies as anonymisers leave them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterable

import pydicom

from hybridvision.pipelines.tumor3d.dicom_seg import PATIENT_AND_STUDY_TYPE2

# what anonymisers strip: the Type 2 patient and study attributes highdicom copies into a SEG
STRIPPED_BY_ANONYMISERS = tuple(k for k in PATIENT_AND_STUDY_TYPE2 if k != "ReferringPhysicianName")


def dciodvfy_errors(path: Path, warnings_too: bool = False) -> list[str]:
    """The ``Error`` (and with ``warnings_too`` the ``Warning``) lines dciodvfy prints for ``path``."""
    validator = shutil.which("dciodvfy")
    assert validator, "Debian's dciodvfy is needed: apt-get install dicom3tools (.ci/run does it)"
    done = subprocess.run([validator, str(path)], capture_output=True, text=True, timeout=120)
    lines = (done.stdout + done.stderr).splitlines()
    kinds = ("Error", "Abort", "Warning") if warnings_too else ("Error", "Abort")
    return [line for line in lines if line.startswith(kinds)]


def assert_valid_dicom(*paths: Path, warnings_too: bool = False) -> None:
    for path in paths:
        errors = dciodvfy_errors(path, warnings_too)
        assert not errors, f"dciodvfy on {Path(path).name}: " + "; ".join(errors)


def strip_attributes(files: Iterable[Path], keywords: Iterable[str] = STRIPPED_BY_ANONYMISERS) -> None:
    """Delete ``keywords`` from each file, as an anonymiser that removes rather than blanks does."""
    keywords = tuple(keywords)
    for path in files:
        dataset = pydicom.dcmread(path)
        for keyword in keywords:
            if keyword in dataset:
                delattr(dataset, keyword)
        dataset.save_as(path)

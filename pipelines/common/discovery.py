"""Files to units of work: one unit per case, each file in its role (an MRI modality, an X-ray view).

Scanners and users name files ``<case><ending>``; a task says how to read a name (``parse``) and
which roles a case needs. A case with a role missing or repeated, found in two folders, or a file
whose name is no role, still becomes a unit, carrying an ``error``: the batch reports it and goes on
with the next case.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..base import Unit


@dataclass(frozen=True)
class Roles:
    """What makes one case.

    Attributes:
        names: the roles a case needs, in the order its files are kept (``("ap", "lateral")``).
        noun: what a role is called in messages ("view", "modality").
        parse: a file -> ``(case, role)``, or None when its name is no role.
        candidate: whether a file in a folder is an input at all (others are passed over silently).
        unnamed: the message for a candidate whose name is no role; None passes it over.
        missing: ``(case, missing roles, present roles)`` -> the message for an incomplete case.
        stem: a file -> the unit name of an unnamed file (its name without extensions).
    """

    names: tuple[str, ...]
    noun: str
    parse: Callable[[Path], tuple[str, str] | None]
    candidate: Callable[[Path], bool]
    unnamed: Callable[[Path], str | None]
    missing: Callable[[str, list[str], list[str]], str]
    stem: Callable[[Path], str]


def discover_cases(input_path: Path, roles: Roles) -> list[Unit]:
    """Units of ``input_path`` (a folder, searched recursively, or one file of a case, which brings
    its siblings); each unit's ``extra["roles"]`` maps a role to its file."""
    if input_path.is_file():
        parsed = roles.parse(input_path)
        if parsed is None:
            error = roles.unnamed(input_path) or f"{input_path.name}: not a {roles.noun} name of a case"
            return [Unit(roles.stem(input_path), (input_path,), error=error)]
        siblings = [p for p in input_path.parent.iterdir() if p.is_file() and roles.candidate(p)]
        files = [p for p in siblings if (roles.parse(p) or ("",))[0] == parsed[0]]
    else:
        files = [p for p in input_path.rglob("*") if p.is_file() and roles.candidate(p)]
    groups: dict[tuple[Path, str], dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    units = []
    for path in sorted(files):
        parsed = roles.parse(path)
        if parsed is None:
            message = roles.unnamed(path)
            if message:
                units.append(Unit(roles.stem(path), (path,), error=message))
            continue
        groups[(path.parent, parsed[0])][parsed[1]].append(path)
    folders_of: dict[str, list[Path]] = defaultdict(list)
    for folder, case in groups:
        folders_of[case].append(folder)
    for (_, case), found in sorted(groups.items(), key=lambda item: (item[0][1], str(item[0][0]))):
        units.append(
            Unit(
                case,
                tuple(p for role in roles.names for p in found.get(role, [])),
                {"roles": {role: found[role][0] for role in roles.names if role in found}},
                error=case_error(case, found, folders_of[case], roles),
            )
        )
    return units


def case_error(case: str, found: dict[str, list[Path]], folders: list[Path], roles: Roles) -> str | None:
    """Why a case cannot run (None: it can)."""
    if len(folders) > 1:
        where = ", ".join(sorted(str(f) for f in folders))
        return f"case {case}: found in more than one folder ({where}); outputs would collide"
    missing = [r for r in roles.names if r not in found]
    if missing:
        return roles.missing(case, missing, [r for r in roles.names if r in found])
    repeated = [r for r in roles.names if len(found.get(r, [])) > 1]
    if repeated:
        names = ", ".join(p.name for p in found[repeated[0]])
        return f"case {case}: more than one file for the {repeated[0]} {roles.noun} ({names})"
    return None

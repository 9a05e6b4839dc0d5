"""discover_cases: files grouped into cases by role; what cannot run is a unit with an error."""

from pathlib import Path

from hybridvision.pipelines.common.discovery import Roles, discover_cases


def parse(path: Path):
    stem, _, role = path.stem.rpartition("_")
    return (stem, role) if role in ("left", "right") else None


ROLES = Roles(
    names=("left", "right"),
    noun="side",
    parse=parse,
    candidate=lambda path: path.suffix == ".img",
    unnamed=lambda path: None if path.name.startswith("notes") else f"{path.name}: not a side",
    missing=lambda case, missing, present: f"case {case}: missing {missing[0]}",
    stem=lambda path: path.stem,
)


def touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")


def test_cases_by_role_and_each_problem_named(tmp_path):
    touch(tmp_path, "a_left.img", "a_right.img", "b_left.img", "c_left.img", "c_right.img", "stray.img")
    touch(tmp_path, "notes.img", "readme.txt", "d_left.img", "d_right.img")
    touch(tmp_path / "twice", "c_left.img", "c_right.img", "d_right.img")
    (tmp_path / "more").mkdir()
    touch(tmp_path / "more", "e_left.img", "e_right.img")
    units = {(u.name, u.files[0].parent.name): u for u in discover_cases(tmp_path, ROLES)}
    good = units[("a", tmp_path.name)]
    assert good.error is None and good.extra["roles"] == {
        "left": tmp_path / "a_left.img",
        "right": tmp_path / "a_right.img",
    }
    assert units[("b", tmp_path.name)].error == "case b: missing right"
    assert "found in more than one folder" in units[("c", tmp_path.name)].error
    assert units[("stray", tmp_path.name)].error == "stray.img: not a side"
    assert not any(name == "notes" for name, _ in units)  # passed over: unnamed() said None
    assert units[("e", "more")].error is None


def test_one_file_brings_its_case_and_an_unnamed_one_is_an_error(tmp_path):
    touch(tmp_path, "a_left.img", "a_right.img", "a_right.txt", "b_left.img")
    (unit,) = discover_cases(tmp_path / "a_right.img", ROLES)
    assert unit.error is None and [p.name for p in unit.files] == ["a_left.img", "a_right.img"]
    touch(tmp_path, "x.img")
    (lonely,) = discover_cases(tmp_path / "x.img", ROLES)
    assert lonely.error == "x.img: not a side"

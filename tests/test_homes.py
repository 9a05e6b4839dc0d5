"""The tests' fresh homes lie outside the system temp dir wherever the checkout is."""

import tempfile
from pathlib import Path

import pytest

from tests.homes import HOMES, homes_root


def test_a_checkout_outside_the_temp_dir_keeps_its_homes_inside(tmp_path):
    temp = tmp_path / "tmp"
    assert homes_root(tmp_path / "src" / "hv", temp, tmp_path / "cache") == tmp_path / "src" / "hv" / ".test-homes"


def test_a_checkout_under_the_temp_dir_puts_them_in_the_users_cache():
    temp, cache = Path(tempfile.gettempdir()), Path("/home/someone/.cache")  # nothing is created
    checkout = temp / "x"
    first = homes_root(checkout, temp, cache)
    assert first.is_relative_to(cache / "hybridvision-test-homes") and not first.is_relative_to(temp)
    assert homes_root(checkout, temp, cache) != first  # each run its own, removed after it


def test_a_cache_under_the_temp_dir_is_passed_over(tmp_path):
    temp = Path(tempfile.gettempdir())
    chosen = homes_root(temp / "x", temp, temp / "home" / ".cache")
    assert chosen.is_relative_to("/var/tmp") and not chosen.resolve().is_relative_to(temp.resolve())
    with pytest.raises(RuntimeError, match="no folder for test homes outside"):
        homes_root(Path("/var/tmp/x"), Path("/var"), Path("/var/cache"))


def test_this_runs_homes_are_outside_the_temp_dir(user_home):
    assert not user_home.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
    assert user_home.parent == HOMES and not any(user_home.iterdir())

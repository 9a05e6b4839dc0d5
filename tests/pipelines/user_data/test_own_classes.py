"""DIR/classes.json: your class names (and colours) for the model, or one line saying what is wrong."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from hybridvision.pipelines.base import InputError
from hybridvision.pipelines.common.user_data import own_classes

MODEL = SimpleNamespace(classes=("water", "land"))


def test_names_get_colours_and_the_models_own_list_changes_nothing(tmp_path):
    assert own_classes(tmp_path, MODEL) is None  # no file
    (tmp_path / "classes.json").write_text(json.dumps(["water", "land"]))
    assert own_classes(tmp_path, MODEL) is None
    (tmp_path / "classes.json").write_text(json.dumps({"classes": ["a", "b", "c"], "colours": [[1, 2, 3]] * 3}))
    assert own_classes(tmp_path, MODEL) == (("a", "b", "c"), ((1, 2, 3),) * 3)
    (tmp_path / "classes.json").write_text(json.dumps(["a", "b", "c"]))
    names, colours = own_classes(tmp_path, MODEL)
    assert names == ("a", "b", "c") and len(set(colours)) == 3


@pytest.mark.parametrize(
    "content, message",
    [
        ("[1, 1]", "class names must be given, each once"),
        ('{"classes": ["a"], "colours": [[1, 2]]}', "one [r, g, b] colour per class (1)"),
        ('{"names": ["a"]}', "a list of class names, or"),
        ("not json", "a list of class names, or"),
    ],
)
def test_a_file_it_cannot_use_is_one_line(tmp_path, content, message):
    (tmp_path / "classes.json").write_text(content)
    with pytest.raises(InputError) as error:
        own_classes(tmp_path, MODEL)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_task_with_fixed_classes_refuses_the_file(tmp_path):
    (tmp_path / "classes.json").write_text('["a"]')
    with pytest.raises(InputError, match="this task's classes are fixed"):
        own_classes(tmp_path, SimpleNamespace())

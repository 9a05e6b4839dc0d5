"""A task's class-level verbs live in its files by role (samples.py, evaluate.py, benchmark.py,
bundle.py), found by name; what its options.py declares to the CLI must match what it has."""

import pytest

from hybridvision.pipelines.registry import PIPELINES

TASKS = ("tumor3d", "xray2shape", "spectral", "superres")


@pytest.mark.parametrize("task", TASKS)
def test_declared_verbs_match_the_files_that_do_them(task):
    pipeline = PIPELINES.entry(task).factory
    spec = pipeline.spec
    declared = {
        "write_samples": spec.samples is not None,
        "evaluate": spec.evaluate is not None,
        "benchmark": spec.bench is not None,
        "export_bundle": spec.export_bundle,
    }
    for hook, expected in declared.items():
        target = pipeline.function_target(hook)
        assert (target is not None) == expected, (task, hook, target)
        if target:
            assert callable(pipeline.task_function(hook))


def test_a_verb_the_task_lacks_says_so():
    with pytest.raises(NotImplementedError, match="pipeline spectral has no MONAI bundle export"):
        PIPELINES.entry("spectral").factory.export_bundle("x", "y")


ROLES = ("pipeline.py", "options.py", "io.py", "model.py", "training_data.py", "metrics.py", "samples.py")
ROLES += ("evaluate.py",)


@pytest.mark.parametrize("task", TASKS)
def test_every_task_folder_holds_its_files_by_role(task):
    from pathlib import Path

    import hybridvision.pipelines as package

    folder = Path(package.__file__).parent / task
    assert [role for role in ROLES if not (folder / role).is_file()] == []

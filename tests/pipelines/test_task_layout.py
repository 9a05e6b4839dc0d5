"""A task's class-level verbs are ``verb -> "module:function"`` entries in the registry (``VERBS``):
each resolves to a callable, what its options.py declares to the CLI matches what it has, a verb it
lacks says so in one line, and benchmarks stay in ``hybridvision.bench``. Its folder holds its
files by role."""

import pytest

from hybridvision.pipelines.registry import PIPELINES, VERB_NAMES, VERBS, PipelineRegistry

TASKS = ("tumor3d", "xray2shape", "spectral", "superres")
BENCH_VERBS = ("bench", "adapter_bench", "batch_bench")


def test_every_task_has_its_verbs_in_the_registry():
    assert sorted(VERBS) == sorted(TASKS)


@pytest.mark.parametrize("task", TASKS)
def test_every_registered_verb_resolves_to_a_callable(task):
    for verb, target in VERBS[task].items():
        assert verb in VERB_NAMES, (task, verb)
        assert callable(PIPELINES.function(task, verb)), (task, verb, target)


@pytest.mark.parametrize("task", TASKS)
def test_declared_verbs_match_the_registry(task):
    spec = PIPELINES.spec(task)
    declared = {
        "samples": spec.samples is not None,
        "evaluate": spec.evaluate is not None,
        "bench": spec.bench is not None,
        "export_bundle": spec.export_bundle,
    }
    assert {verb for verb, has in declared.items() if has} == set(VERBS[task]) & set(declared), task


@pytest.mark.parametrize("task", TASKS)
def test_benchmarks_live_in_bench_and_nothing_else_does(task):
    for verb, target in VERBS[task].items():
        assert target.startswith("hybridvision.bench.") == (verb in BENCH_VERBS), (task, verb, target)


def test_a_verb_the_task_lacks_says_so():
    with pytest.raises(NotImplementedError, match="pipeline xray2shape has no benchmark"):
        PIPELINES.function("xray2shape", "bench")
    with pytest.raises(NotImplementedError, match="pipeline tumor3d has no batch bench"):
        PIPELINES.function("tumor3d", "batch_bench")


def test_a_registered_pipeline_declares_its_verbs():
    """Tests' pipelines register theirs beside the class; the CLI surface read from the class follows."""
    from tests.toy_pipeline import ToyPipeline

    def write_samples(output, count, seed, **options):
        return {"cases": [f"case{i}" for i in range(count)], "seed": seed}

    registry = PipelineRegistry({}, {})
    registry.register("toy", ToyPipeline, verbs={"samples": write_samples})
    assert registry.function("toy", "samples")("out", 2, 7) == {"cases": ["case0", "case1"], "seed": 7}
    assert registry.spec("toy").samples == () and registry.spec("toy").evaluate is None
    with pytest.raises(NotImplementedError, match="pipeline toy has no evaluation"):
        registry.function("toy", "evaluate")
    with pytest.raises(ValueError, match="unknown verb 'sample'"):
        registry.register("toy2", ToyPipeline, verbs={"sample": write_samples})


ROLES = ("pipeline.py", "options.py", "io.py", "model.py", "training_data.py", "metrics.py", "samples.py")
ROLES += ("evaluate.py",)


@pytest.mark.parametrize("task", TASKS)
def test_every_task_folder_holds_its_files_by_role(task):
    from pathlib import Path

    import hybridvision.pipelines as package

    folder = Path(package.__file__).parent / task
    assert [role for role in ROLES if not (folder / role).is_file()] == []

"""The bad-input corpus (``tests/bad_inputs.py``), task by task in one batch beside a good unit,
and the run-level faults (broken checkpoints) that stop a run before it writes anything.

Kinds covered here: superres 7, tumor3d NIfTI 7, spectral 6, xray2shape 3, run-level 4 (27). With
the DICOM refusals (``tests/pipelines/tumor3d/test_dicom_*``: tilt, varying spacing, shared
positions, missing slice, mixed orientations, multi-frame, enhanced MR, truncated header, truncated
pixels, missing modality, other frame of reference, a folder with no DICOM: 12) and the hostile
names (``tests/pipelines/test_safe_names.py``: case-folding collision, a link out of the input,
control characters: 3), the corpus holds 42 kinds.
"""

import json

import numpy as np
import pytest
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from hybridvision.apps.cli import build_app
from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.checkpoint import METADATA_KEY, load_checkpoint, resolve_checkpoint
from tests.bad_inputs import SPECTRAL, SUPERRES, TUMOR3D, XRAY2SHAPE, nifti_case, png


def shipped(name):
    pipeline, model, _ = load_checkpoint(resolve_checkpoint(name), "cpu")
    return pipeline, model


def check(report, out, corpus, good_unit, good_outputs):
    """Each bad unit failed alone, in one line naming its file and cause; the good one is done."""
    results = {u.name: u for u in report.units}
    assert results.pop(good_unit).status == "done"
    assert len(results) == len(corpus)
    for key, (_, expected) in corpus.items():
        result = results[key.split(".")[0] if key.split(".")[0] in results else key]
        assert result.status == "failed" and expected in result.error and "\n" not in result.error, (key, result)
        assert "Traceback" not in result.error
    assert sorted(p.name for p in out.iterdir()) == sorted([*good_outputs, "report.json"])  # nothing else


def test_superres_corpus(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, (write, _) in SUPERRES.items():
        write(folder / name)
    png(folder / "good.png")
    report = run_batch(*shipped("superres/x2"), folder, tmp_path / "out")
    check(report, tmp_path / "out", SUPERRES, "good.png", ["good.png"])


def test_tumor3d_nifti_corpus(tmp_path):
    folder = tmp_path / "in"
    for write, _ in TUMOR3D.values():
        write(folder)
    nifti_case(folder, "good")
    report = run_batch(*shipped("tumor3d/demo"), folder, tmp_path / "out")
    check(report, tmp_path / "out", TUMOR3D, "good", ["good_seg.nii.gz"])


def test_spectral_corpus(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, (write, _) in SPECTRAL.items():
        write(folder / name)
    np.save(folder / "good.npy", np.random.default_rng(0).random((128, 16, 16)).astype(np.float32))
    report = run_batch(*shipped("spectral/scene"), folder, tmp_path / "out")
    good = [u for u in report.units if u.name == "good"][0]
    check(report, tmp_path / "out", SPECTRAL, "good", good.outputs)


def test_xray2shape_corpus(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for write, _ in XRAY2SHAPE.values():
        write(folder)
    png(folder / "good_ap.png", 64), png(folder / "good_lateral.png", 64)
    report = run_batch(*shipped("xray2shape/femur"), folder, tmp_path / "out")
    check(report, tmp_path / "out", XRAY2SHAPE, "good", ["good_seg.nii.gz", "good.glb"])


def newer_format(source, target):
    from safetensors import safe_open

    with safe_open(str(source), "pt") as handle:
        metadata = json.loads(handle.metadata()[METADATA_KEY])
    save_file(
        load_file(str(source)), str(target), metadata={METADATA_KEY: json.dumps(metadata | {"format_version": 99})}
    )


RUN_LEVEL = {  # checkpoint fault -> (how to make it from the shipped x2, expected fragment of the one line)
    "corrupt": (lambda source, target: target.write_bytes(b"\x00garbage" * 100), "x2.safetensors"),
    "truncated": (lambda source, target: target.write_bytes(source.read_bytes()[:5000]), "x2.safetensors"),
    "newer": (newer_format, "is newer than this hybridvision reads"),
    "other-task": (
        lambda source, target: target.write_bytes(resolve_checkpoint("spectral/chips").read_bytes()),
        "not superres",
    ),
}


@pytest.mark.parametrize("fault", RUN_LEVEL)
def test_a_broken_checkpoint_is_one_line_exit_2_and_writes_nothing(fault, tmp_path):
    make, expected = RUN_LEVEL[fault]
    checkpoint = tmp_path / "x2.safetensors"
    make(resolve_checkpoint("superres/x2"), checkpoint)
    png(tmp_path / "photo.png")
    args = ["predict", "superres", "-i", str(tmp_path / "photo.png"), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(build_app(), [*args, "--checkpoint", str(checkpoint)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.output
    assert not (tmp_path / "out").exists()

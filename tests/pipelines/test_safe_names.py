"""Hostile input names: outputs stay plain ASCII inside the output folder, collisions after case
folding are refused in one line, links out of the input are not followed unless asked."""

import numpy as np
import pytest

from hybridvision.pipelines.common.batch import run_batch
from hybridvision.pipelines.common.safe_names import MAX_NAME_LENGTH, collision_key, safe_file_name


@pytest.mark.parametrize(
    "name, safe",
    [
        ("scan.png", "scan.png"),
        ("Café crème.png", "Cafe_creme.png"),
        ("../../etc/passwd", "_etc_passwd"),
        ("a/b\\c.tif", "a_b_c.tif"),
        ("evil\x00name\x1b[31m.npy", "evil_name_31m.npy"),
        (".hidden.png", "hidden.png"),
        ("-rf.png", "rf.png"),
        ("Ωμέγα.png", "_.png"),
        ("ｆｕｌｌ.png", "full.png"),
        ("name..png", "name_png"),
    ],
)
def test_output_names_are_plain_ascii_without_path_parts(name, safe):
    assert safe_file_name(name) == safe


def test_long_names_are_capped_with_their_extension_kept():
    capped = safe_file_name("x" * 500 + ".nii.gz")
    assert len(capped) == MAX_NAME_LENGTH and capped.endswith(".nii.gz")
    assert collision_key("Scan.PNG") == collision_key("scan.png")
    assert collision_key("e\u0301.png") == collision_key("\u00e9.png")  # NFC: two spellings of é


def test_hostile_names_through_a_batch(tmp_path):
    """A real batch (the toy pipeline): odd names write plain ones, a collision after case folding
    fails in one line while the batch goes on, a link out of the input is read only when asked."""
    from tests import toy_pipeline as toy

    pipeline = toy.ToyPipeline(toy.ToyModelConfig(), toy.ToyDataConfig())
    model = pipeline.build_model().eval()
    source = tmp_path / "in"
    source.mkdir()
    image = np.zeros((32, 32), np.float32)
    for name in ("Café.npy", "CAFE.npy", "rapport\x1b[0m.npy"):
        np.save(source / name, image)
    np.save(tmp_path / "secret.npy", image)
    (source / "link.npy").symlink_to(tmp_path / "secret.npy")

    report = run_batch(pipeline, model, source, tmp_path / "out")
    results = {u.name: u for u in report.units}
    assert results["CAFE"].status == "done" and results["rapport\x1b[0m"].status == "done"
    assert results["Café"].error == "output Cafe_mask.npy of Café collides with CAFE_mask.npy of CAFE; rename one input"
    assert results["link"].error.startswith("link.npy links outside the input folder (to ")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "CAFE_mask.npy",
        "rapport_0m_mask.npy",
        "report.json",
    ]

    followed = run_batch(pipeline, model, source, tmp_path / "out", follow_symlinks=True)
    assert {u.name: u.status for u in followed.units}["link"] == "done"
    assert (tmp_path / "out" / "link_mask.npy").exists()

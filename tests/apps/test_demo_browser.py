"""The demo as a new user meets it, clicked in a real headless Chromium (Debian's package, driven by
Playwright; no browser download).

``hybridvision demo`` runs as the README starts it: the installed command in a subprocess, shipped
defaults, a fresh HOME that lies outside the system temp dir (Gradio serves the temp dir and the
working directory by itself, so a home there would hide a sample cache Gradio refuses to serve),
and no HYBRIDVISION_* or GRADIO_* variable. Every sample button of every tab is clicked; each must
show its result, no error badge and no warning; each tab's run button with nothing uploaded shows one
error line in its status (no badges); the legends show; a noise cube gets the out-of-distribution
warning; the page asks nothing of any host but the local server; SIGTERM removes the work folder.
Screenshots of each tab land in .test-artefacts/demo/.
Needs /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# sample button id -> text its tab's status shows once the result is in
EXPECTED = {
    "superres-sample-0": "astronaut.png",
    "superres-sample-1": "camera.png",
    "superres-sample-2": "rmnp-rgb.tif",
    "spectral-sample-0": "overall accuracy",
    "spectral-sample-1": "sentinel2 land cover",
    "xray2shape-sample": "labels and mesh",
    "tumor3d-sample": "whole tumour",
}
TABS = ("superres", "spectral", "xray2shape", "tumor3d")
RUN_BUTTON = {"superres": "superres-run", "spectral": "spectral-run", "xray2shape": "xray2shape-run",
              "tumor3d": "tumor3d-run"}  # fmt: skip
EMPTY_ERROR = {  # what the status says when the run button is pressed with nothing uploaded
    "superres": "upload an image",
    "spectral": "upload one cube",
    "xray2shape": "upload both views",
    "tumor3d": "missing T1",
}
LEGEND = {"tumor3d": ("#tumor3d-legend", "enhancing tumour"), "xray2shape": ("#xray2shape-legend", "pelvis")}
ARTEFACTS = ROOT / ".test-artefacts" / "demo"  # screenshots of what a user sees, kept after the run
FAILED = "[data-testid='status-tracker'] .error, .toast-body.error"


@pytest.fixture()
def served(user_home, user_env, tmp_path):
    import tempfile

    assert not user_home.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
    port = free_port()
    command = [str(Path(sys.executable).parent / "hybridvision"), "demo", "--port", str(port)]
    log = open(tmp_path / "demo.log", "w")
    # the working directory is neither the home nor above it: Gradio serves its working directory
    server = subprocess.Popen(command, cwd=tmp_path, env=user_env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (tmp_path / "demo.log").read_text()[-2000:]
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "the demo did not start within 180 s"
                time.sleep(1)
        yield url, tmp_path / "demo.log", server
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_every_sample_button_works_from_a_fresh_home(served, user_home, tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is needed: apt-get install chromium (.ci/run does it)"
    url, log, server = served
    requested, outside, clicked = [], [], []

    def guard(route):
        target = route.request.url
        requested.append(target)
        if urlparse(target).scheme in ("http", "https", "ws", "wss") and urlparse(target).hostname not in LOCAL_HOSTS:
            outside.append(target)
            return route.abort()
        return route.continue_()

    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=flags, headless=True
        )
        try:
            page = browser.new_page()
            page.route("**/*", guard)
            page.goto(url, wait_until="load", timeout=90_000)
            page.wait_for_selector("#research-note", timeout=90_000)
            assert "Research use only" in page.inner_text("#research-note")
            ARTEFACTS.mkdir(parents=True, exist_ok=True)
            for tab in TABS:
                page.get_by_role("tab", name=tab).click()
                shows_an_error_once(page, tab, log)
                if tab == "spectral":  # before its sample fills the upload box
                    warns_on_a_noise_cube(page, tmp_path, log)
                buttons = page.locator(".sample-button:visible")
                page.wait_for_selector(".sample-button:visible", timeout=30_000)
                for index in range(buttons.count()):
                    button_id = buttons.nth(index).get_attribute("id")
                    buttons.nth(index).click()
                    done = f"#{tab}-status :text('{EXPECTED[button_id]}')"
                    page.wait_for_selector(f"{done}, {FAILED}", timeout=240_000)
                    errors = page.locator(FAILED)
                    assert errors.count() == 0, f"{button_id}: {errors.first.inner_text()}\n{log.read_text()[-3000:]}"
                    assert "Warning" not in page.inner_text(f"#{tab}-status"), f"{button_id}: a sample is familiar"
                    clicked.append(button_id)
                if tab == "tumor3d":
                    segments_a_dicom_zip(page, tmp_path, log)
                if tab in LEGEND:
                    selector, text = LEGEND[tab]
                    assert text in page.inner_text(selector)
                page.screenshot(path=str(ARTEFACTS / f"{tab}-sample.png"), full_page=True)

            assert page.locator("#superres-compare img").count() >= 1
            assert page.locator("#spectral-classes img").count() == 1
            assert page.locator("#tumor3d-view img").count() == 1
            page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
        finally:
            browser.close()
    assert sorted(clicked) == sorted(EXPECTED), "every sample button was found and clicked"
    assert (user_home / ".cache" / "hybridvision" / "demo-samples").is_dir(), "samples are cached in the home"
    assert (tmp_path / "demo.png").stat().st_size > 10_000
    assert requested, "the request guard saw the page load"
    assert not outside, f"the page requested hosts outside 127.0.0.1: {outside[:5]}"
    stops_on_sigterm_and_removes_its_work_folder(server, log)


def shows_an_error_once(page, tab: str, log: Path) -> None:
    """Run with nothing uploaded: one line in the status, no badge on every output, no server path."""
    page.click(f"#{RUN_BUTTON[tab]}")
    page.wait_for_selector(f"#{tab}-status :text('Error:')", timeout=60_000)
    status = page.inner_text(f"#{tab}-status")
    assert EMPTY_ERROR[tab] in status and "/tmp" not in status, status
    assert page.locator(FAILED).count() == 0, f"{tab}: the error is badged on the outputs\n{log.read_text()[-2000:]}"
    page.screenshot(path=str(ARTEFACTS / f"{tab}-error.png"), full_page=True)


def warns_on_a_noise_cube(page, folder: Path, log: Path) -> None:
    """A random 128-band cube is classified, with the out-of-distribution warning under the result."""
    import numpy as np

    cube = folder / "noise.npy"
    np.save(cube, np.random.default_rng(0).random((128, 40, 40)).astype("float32"))
    page.locator("#spectral-input input[type=file]").set_input_files(str(cube))
    page.wait_for_selector("#spectral-input :text('noise.npy')", timeout=60_000)
    page.click("#spectral-run")
    page.wait_for_selector(f"#spectral-status :text('noise.npy'), {FAILED}", timeout=240_000)  # its own answer
    assert "correlate" in page.inner_text("#spectral-status"), page.inner_text("#spectral-status")
    page.screenshot(path=str(ARTEFACTS / "spectral-warning.png"), full_page=True)


def segments_a_dicom_zip(page, folder: Path, log: Path) -> None:
    """A zipped DICOM study (a generated case, 3 mm, cropped around its tumour) is uploaded and
    segmented: the status names the series used and the DICOM-SEG is offered."""
    import shutil

    import numpy as np

    from hybridvision.pipelines.tumor3d.dicom_samples import write_dicom_study
    from hybridvision.pipelines.tumor3d.generator import MODALITIES, GeneratorRanges, generate_case

    case = generate_case(1001, GeneratorRanges(working_spacing=3.0))
    start = np.clip(np.argwhere(case.label > 0).mean(axis=0).astype(int) - 21, 0, np.array(case.label.shape) - 42)
    box = tuple(slice(s, s + 42) for s in start)
    affine = case.affine.copy()
    affine[:3, 3] = (case.affine @ [*start, 1])[:3]
    volumes = {m: case.images[m][box] for m in MODALITIES}
    write_dicom_study(volumes, {m: affine for m in MODALITIES}, folder / "study", np.random.default_rng(1))
    archive = shutil.make_archive(str(folder / "mri study"), "zip", folder / "study")
    page.get_by_text("Or a DICOM study").click()
    page.locator("#tumor3d-dicom input[type=file]").set_input_files(archive)
    page.wait_for_selector("#tumor3d-dicom :text('mri study.zip')", timeout=60_000)
    page.click("#tumor3d-dicom-run")
    page.wait_for_selector(f"#tumor3d-status :text('Series used'), {FAILED}", timeout=240_000)
    status = page.inner_text("#tumor3d-status")
    assert status.startswith("done") and "t1ce: " in status, f"{status}\n{log.read_text()[-2000:]}"
    offered = page.inner_text("#tumor3d-seg").replace("\n", "")  # the name wraps before its extension
    assert "mri_study_seg.dcm" in offered, offered
    page.screenshot(path=str(ARTEFACTS / "tumor3d-dicom.png"), full_page=True)
    from urllib.parse import urljoin

    from tests.dicom_checks import assert_valid_dicom

    link = page.locator("#tumor3d-seg a[href]").first.get_attribute("href")
    (folder / "downloaded_seg.dcm").write_bytes(page.request.get(urljoin(page.url, link)).body())
    assert_valid_dicom(folder / "downloaded_seg.dcm", warnings_too=True)  # what the user downloads


def stops_on_sigterm_and_removes_its_work_folder(server: subprocess.Popen, log: Path) -> None:
    """SIGTERM (a service manager stopping the demo) cleans up as Ctrl+C does."""
    import re

    found = re.search(r"temporary files in (\S+) ", log.read_text())
    assert found, log.read_text()[-2000:]
    folder = Path(found.group(1))
    assert folder.is_dir() and any(folder.iterdir()), "the clicks above worked in the work folder"
    server.terminate()
    server.wait(60)
    assert not folder.exists(), f"{folder} stayed behind after SIGTERM"

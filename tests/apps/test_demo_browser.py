"""The demo as a new user meets it, clicked in a real headless Chromium (Debian's package, driven by
Playwright; no browser download).

``hybridvision demo`` runs as the README starts it: the installed command in a subprocess, shipped
defaults, a fresh HOME that lies outside the system temp dir (Gradio serves the temp dir and the
working directory by itself, so a home there would hide a sample cache Gradio refuses to serve),
and no HYBRIDVISION_* or GRADIO_* variable. Every sample button of every tab is clicked; each must
show its result and no error badge, and the page must ask nothing of any host but the local server.
Needs /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# sample button id -> text its tab's status shows once the result is in
EXPECTED = {
    "superres-sample-0": "astronaut.png",
    "superres-sample-1": "camera.png",
    "superres-sample-2": "rmnp-rgb.tif",
    "spectral-sample-0": "overall accuracy",
    "xray2shape-sample": "labels and mesh",
    "tumor3d-sample": "whole tumour",
}
TABS = ("superres", "spectral", "xray2shape", "tumor3d")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
            for tab in TABS:
                page.get_by_role("tab", name=tab).click()
                buttons = page.locator(".sample-button:visible")
                page.wait_for_selector(".sample-button:visible", timeout=30_000)
                for index in range(buttons.count()):
                    button_id = buttons.nth(index).get_attribute("id")
                    buttons.nth(index).click()
                    done = f"#{tab}-status :text('{EXPECTED[button_id]}')"
                    failed = "[data-testid='status-tracker'] .error, .toast-body.error"
                    page.wait_for_selector(f"{done}, {failed}", timeout=240_000)
                    errors = page.locator(failed)
                    assert errors.count() == 0, f"{button_id}: {errors.first.inner_text()}\n{log.read_text()[-3000:]}"
                    clicked.append(button_id)
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

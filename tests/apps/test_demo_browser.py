"""The demo in a real headless Chromium (Debian's package, driven by Playwright; no browser download).

Opens the app, runs a sample in two tabs, checks the results are shown, and that the page asked
nothing of any host but the local server. Needs /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def served(tmp_path, monkeypatch):
    monkeypatch.setenv("HYBRIDVISION_CACHE", str(tmp_path / "cache"))
    from hybridvision.apps.demo import launch

    port = free_port()
    demo = launch("127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_samples_in_every_tab_in_chromium(served, tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian's chromium is needed: apt-get install chromium (.ci/run does it)"
    requested, outside = [], []

    def guard(route):
        url = route.request.url
        requested.append(url)
        if urlparse(url).scheme in ("http", "https", "ws", "wss") and urlparse(url).hostname not in LOCAL_HOSTS:
            outside.append(url)
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
            page.goto(served, wait_until="load", timeout=90_000)
            page.wait_for_selector("#research-note", timeout=90_000)
            assert "Research use only" in page.inner_text("#research-note")

            page.get_by_role("tab", name="superres").click()
            page.click("#superres-sample-0")
            page.wait_for_selector("#superres-status :text('PSNR against the original')", timeout=120_000)
            assert page.locator("#superres-compare img").count() >= 1

            page.get_by_role("tab", name="spectral").click()
            page.click("#spectral-sample-0")
            page.wait_for_selector("#spectral-status :text('overall accuracy')", timeout=120_000)
            assert page.locator("#spectral-classes img").count() == 1

            page.get_by_role("tab", name="xray2shape").click()
            page.click("#xray2shape-sample")
            page.wait_for_selector("#xray2shape-status :text('labels and mesh')", timeout=120_000)

            page.get_by_role("tab", name="tumor3d").click()
            page.click("#tumor3d-sample")
            page.wait_for_selector("#tumor3d-status :text('whole tumour')", timeout=180_000)
            assert page.locator("#tumor3d-view img").count() == 1
            page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "demo.png").stat().st_size > 10_000
    assert requested, "the request guard saw the page load"
    assert not outside, f"the page requested hosts outside 127.0.0.1: {outside[:5]}"

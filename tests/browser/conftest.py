"""Real-browser tests (issue 3): Debian's Chromium driven by Playwright against the real app.

The `live_server` fixture (one per session) bootstraps a fresh SQLite database in a temporary
folder, creates the users with `flask --app wsgi create-user`, and runs `flask --app wsgi run` on
127.0.0.1 with a free port in a subprocess; it is stopped at the end of the session.

Chromium is Debian's `/usr/bin/chromium` (never `playwright install`). The environment variable
`CADREFLOW_CHROMIUM` names another executable; when the executable is missing every browser test
SKIPS, e.g. `CADREFLOW_CHROMIUM=/nonexistent pytest tests/browser` shows the skip reason.

Screenshots (full page) go to artifacts/screenshots/<test>/<NN>-<what>.png.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from browser_support import CHROMIUM_ARGS, PASSWORD, SHOTS, SKIP_REASON, UNIT, USERS, find_chromium
from tests.live import start_server


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if not path:
        pytest.skip(SKIP_REASON)
    return path


@pytest.fixture(scope="session")
def live_server(chromium_path, tmp_path_factory):
    users = [("create-user", name, "--role", role, "--unit", UNIT, "--name", display, "--password", PASSWORD)
             for name, (role, display) in USERS.items()]
    server = start_server(tmp_path_factory.mktemp("cadreflow-browser"), ("bootstrap", "--unit", "Tỉnh ủy Quảng Nam"),
                          *users)
    yield server
    text = server.stop()
    # a server-side traceback is a failure even if every page looked fine
    assert "Traceback" not in text, f"the server logged an exception:\n{text[-4000:]}"


@pytest.fixture(scope="session")
def chromium(chromium_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Shots:
    """Numbered full-page screenshots of one test."""

    def __init__(self, test_name: str):
        self.dir = SHOTS / re.sub(r"[^\w.-]+", "_", test_name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0
        self.paths: list[Path] = []

    def __call__(self, page, what: str) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}-{what}.png"
        page.screenshot(path=str(path), full_page=True)
        self.paths.append(path)
        return path


@pytest.fixture
def shots(request) -> Shots:
    return Shots(request.node.name)


@pytest.fixture
def context(chromium, live_server):
    from playwright.sync_api import expect
    expect.set_options(timeout=10_000)
    ctx = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                               locale="vi-VN", accept_downloads=True)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    assert not errors, f"JavaScript errors on the pages: {errors}"


def pytest_terminal_summary(terminalreporter):
    """How many pages axe-core checked, and its moderate and minor findings (they do not fail the run;
    serious and critical ones do)."""
    from browser_support import AXE_CHECKED, AXE_FINDINGS
    if AXE_CHECKED:
        terminalreporter.section("axe-core")
        terminalreporter.write_line(f"{len(AXE_CHECKED)} page views checked; moderate and minor findings: "
                                    f"{len(set(AXE_FINDINGS)) or 'none'}")
        for line in sorted(set(AXE_FINDINGS)):
            terminalreporter.write_line(line)

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

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from browser_support import CHROMIUM_ARGS, PASSWORD, ROOT, SHOTS, SKIP_REASON, UNIT, USERS, find_chromium


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    proc: subprocess.Popen
    log: Path


def _flask(env: dict, *args: str) -> str:
    flask = Path(sys.executable).with_name("flask")
    r = subprocess.run([str(flask), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {r.stdout}\n{r.stderr}")
    return r.stdout


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if not path:
        pytest.skip(SKIP_REASON)
    return path


@pytest.fixture(scope="session")
def live_server(chromium_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cadreflow-browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "SECRET_KEY"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp / 'cadreflow.db'}", CADREFLOW_INSTANCE=str(tmp / "instance"),
               CADREFLOW_ENV="development", PYTHONUNBUFFERED="1")
    _flask(env, "bootstrap", "--unit", "Tỉnh ủy Quảng Nam")
    for name, (role, display) in USERS.items():
        _flask(env, "create-user", name, "--role", role, "--unit", UNIT, "--name", display, "--password", PASSWORD)
    port = _free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "run",
                                 "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"the app did not start: {log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
    server = LiveServer(url, proc, log)
    yield server
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    # a server-side traceback is a failure even if every page looked fine
    text = log.read_text(errors="replace")
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

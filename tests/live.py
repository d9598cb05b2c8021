"""A real server for the tests that speak HTTP to it (the browser tests, axe-core, Schemathesis): a fresh
database (SQLite in a temporary folder, or a throw-away PostgreSQL database), set up with
`flask --app wsgi …` commands, then served by `flask --app wsgi run` on 127.0.0.1 with a free port in a
subprocess until `stop()`."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from workflow.adapters.db import normalise_url

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    proc: subprocess.Popen
    log: Path
    env: dict

    def flask(self, *args: str) -> str:
        """A `flask --app wsgi` command on the served database (stdout)."""
        return flask(self.env, *args)

    def stop(self) -> str:
        """Stop the server; its log."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        return self.log.read_text(errors="replace")


def flask(env: dict, *args: str) -> str:
    r = subprocess.run([FLASK, "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {r.stdout}\n{r.stderr}")
    return r.stdout


@contextmanager
def throwaway_database(pg_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server `pg_url` names (its URL), dropped afterwards."""
    admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    name = f"cadreflow_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield normalise_url(pg_url).rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def server_env(tmp: Path, database_url: str | None = None) -> dict:
    """The environment of a server on `database_url`, by default a fresh SQLite database in `tmp` (nothing
    from the caller's FLASK_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "SECRET_KEY", "DATABASE_URL"))}
    env.update(DATABASE_URL=database_url or f"sqlite:///{tmp / 'cadreflow.db'}", CADREFLOW_INSTANCE=str(tmp / "instance"),
               CADREFLOW_ENV="development", PYTHONUNBUFFERED="1")
    return env


def start_server(tmp: Path, *setup: tuple[str, ...], database_url: str | None = None,
                 extra_env: dict | None = None) -> LiveServer:
    """Run each `flask` command of `setup` on the database (by default a fresh SQLite one in `tmp`), then
    serve it (`extra_env`: more of the server's settings, e.g. another definitions folder)."""
    env = {**server_env(tmp, database_url), **(extra_env or {})}
    for args in setup:
        flask(env, *args)
    port = free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([FLASK, "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port),
                                 "--no-reload"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"the app did not start: {log.read_text(errors='replace')[-3000:]}") from None
            time.sleep(0.1)
    return LiveServer(f"http://127.0.0.1:{port}", proc, log, env)

"""Operations: the secret key rule, backup and restore (the restored record verifies), headers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from web import create_app
from web.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def flask(args: list[str], env: dict, **kw) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("flask")
    return subprocess.run([str(exe), "--app", "wsgi", *args], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120, **kw)


def test_a_production_server_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.delenv("CADREFLOW_ENV", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_development_creates_and_keeps_a_private_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"INSTANCE_DIR": str(tmp_path), "CADREFLOW_ENV": "development",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == app.config["SECRET_KEY"] and len(app.config["SECRET_KEY"]) >= 32
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = create_app({"INSTANCE_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]   # the file is used, even in production


def test_backup_then_restore_brings_back_the_record_and_it_verifies(tmp_path):
    db = tmp_path / "live.db"
    env = {"DATABASE_URL": f"sqlite:///{db}", "CADREFLOW_INSTANCE": str(tmp_path / "instance")}
    assert flask(["bootstrap"], env).returncode == 0
    r = flask(["create-user", "staff1", "--role", "staff", "--unit", "Tỉnh ủy/Huyện ủy Duy Xuyên",
               "--password", "a-long-password"], env)
    assert r.returncode == 0, r.stderr
    r = flask(["backup", str(tmp_path / "copy.db")], env)
    assert r.returncode == 0 and "events" in r.stdout, r.stderr
    # life goes on after the backup ...
    flask(["create-user", "staff2", "--role", "staff", "--unit", "Tỉnh ủy", "--password", "a-long-password"], env)
    r = flask(["backup", str(tmp_path / "copy.db")], env)
    assert r.returncode == 1 and "exists" in r.stderr            # never overwrites a backup
    # ... and then the backup is put back: staff2 is gone, the chain verifies
    r = flask(["restore", "--yes", str(tmp_path / "copy.db")], env)
    assert r.returncode == 0 and "intact" in r.stdout, r.stdout + r.stderr
    r = flask(["audit", "verify"], env)
    assert r.returncode == 0 and "intact" in r.stdout
    import sqlite3
    names = {row[0] for row in sqlite3.connect(db).execute("select username from users")}
    assert names == {"admin", "staff1"}


def test_restore_refuses_a_file_that_is_not_a_cadreflow_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}", "CADREFLOW_INSTANCE": str(tmp_path / "instance")}
    assert flask(["bootstrap"], env).returncode == 0
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    r = flask(["restore", "--yes", str(junk)], env)
    assert r.returncode == 1 and "not a SQLite database" in r.stderr
    assert flask(["audit", "verify"], env).returncode == 0     # the live database is untouched


def test_every_response_carries_the_security_headers(tmp_path):
    app = create_app({"INSTANCE_DIR": str(tmp_path), "CADREFLOW_ENV": "test", "SECRET_KEY": "t",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    app.extensions["cadreflow"].store.create_all()
    client = app.test_client()
    for path in ("/", "/api/v1/openapi.json", "/api/v1/cases", "/no-such-page"):
        h = client.get(path).headers
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"] and "script-src 'self'" in h["Content-Security-Policy"]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
        assert h["X-Frame-Options"] == "DENY"


def test_cookies_are_httponly_samesite_and_secure_behind_tls(tmp_path):
    plain = create_app({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    tls = create_app({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "t", "BEHIND_TLS": True,
                      "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    for app in (plain, tls):
        assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert not plain.config["SESSION_COOKIE_SECURE"] and tls.config["SESSION_COOKIE_SECURE"]
    assert tls.config["REMEMBER_COOKIE_SECURE"]

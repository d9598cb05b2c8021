"""Configuration from the environment. Development (`make run`) works with no settings at all;
anything else must be given a SECRET_KEY (environment or instance/secret_key)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    pass


def load(overrides: dict | None = None) -> dict:
    o = dict(overrides or {})
    env = o.get("CADREFLOW_ENV") or os.environ.get("CADREFLOW_ENV", "production")
    instance = Path(o.get("INSTANCE_DIR") or os.environ.get("CADREFLOW_INSTANCE", ROOT / "instance"))
    cfg = {
        "CADREFLOW_ENV": env,
        "INSTANCE_DIR": str(instance),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'cadreflow.db'}",
        "DEFINITIONS_DIR": os.environ.get("CADREFLOW_DEFINITIONS", str(ROOT / "definitions")),
        "SQLITE_SYNCHRONOUS": os.environ.get("CADREFLOW_SQLITE_SYNCHRONOUS", "FULL"),
        "MAX_UPLOAD_MB": int(os.environ.get("CADREFLOW_MAX_UPLOAD_MB", "20")),
        "BEHIND_TLS": os.environ.get("CADREFLOW_BEHIND_TLS", "0") == "1",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "BOOTSTRAP_SERVE_LOCAL": True,
        "TESTING": False,
    }
    cfg.update(o)
    cfg["MAX_CONTENT_LENGTH"] = (cfg["MAX_UPLOAD_MB"] + 1) * 1024 * 1024
    cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg["BEHIND_TLS"])
    if not cfg.get("SECRET_KEY"):
        # The flask CLI (init-db, scenario run…) and development make their own key in instance/;
        # a WSGI server in production must be given one.
        cli = os.environ.get("FLASK_RUN_FROM_CLI") == "true"
        cfg["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _instance_secret(
            instance, create=env in ("development", "test") or cli)
    if not cfg["SECRET_KEY"]:
        raise ConfigError("SECRET_KEY is not set. Set the SECRET_KEY environment variable (a long random string), "
                          "or run in development with CADREFLOW_ENV=development.")
    return cfg


def _instance_secret(instance: Path, *, create: bool) -> str | None:
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip() or None
    if not create:
        return None
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key

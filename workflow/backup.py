"""Backup and restore of a SQLite database with SQLite's online backup API (consistent while
the application runs). PostgreSQL: pg_dump / pg_restore (README)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from . import audit
from .errors import Validation
from .store import Store


def _sqlite_path(store: Store) -> str:
    if not store.is_sqlite:
        raise Validation("backup/restore here is for SQLite; for PostgreSQL use pg_dump and pg_restore (see README)")
    path = store.engine.url.database
    if not path or path == ":memory:":
        raise Validation("an in-memory database cannot be backed up")
    return path


def backup_sqlite(store: Store, target: str | Path) -> int:
    src_path = _sqlite_path(store)
    target = Path(target)
    if target.exists():
        raise Validation(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(src_path)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        n = dst.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        dst.close()
        src.close()
    return n


def restore_sqlite(store: Store, source: str | Path) -> audit.Verification:
    """Copy `source` over the live database (page by page, under SQLite's locks), then verify."""
    dst_path = _sqlite_path(store)
    source = Path(source)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        ok = src.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise Validation(f"{source} is damaged: {ok}")
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"events", "chain_head", "cases"} <= tables:
            raise Validation(f"{source} is not a cadreflow database")
    except sqlite3.DatabaseError as e:
        src.close()
        raise Validation(f"{source} is not a SQLite database: {e}") from None
    store.dispose()
    dst = sqlite3.connect(dst_path)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    store.dispose()
    with store.read() as c:
        return audit.verify(c)

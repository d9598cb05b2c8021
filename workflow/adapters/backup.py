"""Backup and restore of a SQLite database with SQLite's online backup API (consistent while
the application runs). PostgreSQL: pg_dump / pg_restore (README)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from ..domain.errors import Validation
from .db import Store


def _sqlite_path(store: Store) -> str:
    if not store.is_sqlite:
        raise Validation("backup.sqlite_only")
    path = store.engine.url.database
    if not path or path == ":memory:":
        raise Validation("backup.in_memory")
    return path


def backup_sqlite(store: Store, target: str | Path) -> int:
    """Copy the live database to `target` (a new file); the number of events copied."""
    src_path = _sqlite_path(store)
    target = Path(target)
    if target.exists():
        raise Validation("backup.exists", target=target)
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


def _check_source(source: Path) -> sqlite3.Connection:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        ok = src.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise Validation("backup.damaged", source=source, problem=ok)
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"events", "chain_head", "cases"} <= tables:
            raise Validation("backup.not_ours", source=source)
    except sqlite3.DatabaseError as e:
        src.close()
        raise Validation("backup.not_sqlite", source=source, problem=e) from None
    except Validation:
        src.close()
        raise
    return src


def restore_sqlite(store: Store, source: str | Path) -> None:
    """Copy `source` over the live database (page by page, under SQLite's locks)."""
    dst_path = _sqlite_path(store)
    src = _check_source(Path(source))
    store.dispose()
    dst = sqlite3.connect(dst_path)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    store.dispose()

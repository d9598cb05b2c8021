"""The Alembic migrations build exactly the schema the code declares (no drift), on SQLite and
PostgreSQL, and init-db is safe to run twice."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from workflow.adapters.db import migrate
from workflow.adapters.db import normalise_url
from workflow.adapters.tables import chain_head, metadata, schema_filter


def _diff(url: str) -> list:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                   "include_object": schema_filter(conn.dialect.name)})
        diff = compare_metadata(ctx, metadata)
        head = conn.execute(select(chain_head)).all()
    engine.dispose()
    return diff, head


def test_sqlite_migrations_match_the_declared_schema_and_start_the_chain(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    migrate(url)          # idempotent
    diff, head = _diff(url)
    assert diff == []
    assert [(h.id, h.seq, h.hash) for h in head] == [(1, 0, "0" * 64)]


def test_postgresql_migrations_match_the_declared_schema(pg_database):
    diff, head = _diff(pg_database)
    assert diff == []
    assert len(head) == 1

"""Store.write's unit of work (workflow/store.py WriteUnit): a transaction begun and ended on the
pooled DBAPI connection, with Core on demand over that same connection. Whatever runs in it, the
driver's cursor or Core, commits together or not at all, and errors arrive as SQLAlchemy's."""
from __future__ import annotations

import pytest
from sqlalchemy import exc, func, insert, select
from sqlalchemy.pool.base import _ConnectionFairy

from workflow import fastsql
from workflow.store import Store, units, utcnow


def _units(store: Store) -> list[str]:
    with store.read() as c:
        return c.execute(select(units.c.name).order_by(units.c.id)).scalars().all()


def _add(name: str):
    return insert(units).values(name=name, path="", created_at=utcnow())


class Boom(Exception):
    pass


def test_the_drivers_statements_and_cores_in_one_write_commit_together(store):
    with store.write() as c:
        fastsql.run(c, insert(units).inline(), {"name": "fast", "path": "", "created_at": utcnow()})
        c.execute(_add("core"))
        # each sees the other: one transaction
        assert c.execute(select(func.count()).select_from(units)).scalar_one() == 2
    assert _units(store) == ["fast", "core"]


def test_an_error_rolls_back_the_drivers_statements_and_cores_alike(store):
    with pytest.raises(Boom):
        with store.write() as c:
            fastsql.run(c, insert(units).inline(), {"name": "fast", "path": "", "created_at": utcnow()})
            c.execute(_add("core"))
            raise Boom
    assert _units(store) == []
    with store.write() as c:                      # the connection went back to the pool clean
        c.execute(_add("after"))
    assert _units(store) == ["after"]


def test_a_savepoint_in_a_write_takes_back_its_own_part_only(store):
    with store.write() as c:
        c.execute(_add("kept"))
        with pytest.raises(Boom):
            with c.begin_nested():
                c.execute(_add("taken back"))
                raise Boom
        fastsql.run(c, insert(units).inline(), {"name": "also kept", "path": "", "created_at": utcnow()})
    assert _units(store) == ["kept", "also kept"]


def test_a_failed_commit_is_sqlalchemys_error_and_nothing_is_saved(store, monkeypatch):
    dbapi = store.engine.dialect.loaded_dbapi

    def refuse(self):
        raise dbapi.OperationalError("disk I/O error")
    with monkeypatch.context() as m:
        m.setattr(_ConnectionFairy, "commit", refuse, raising=False)    # (it hands commit() to the driver)
        with pytest.raises(exc.OperationalError, match="disk I/O error"):
            with store.write() as c:
                fastsql.run(c, insert(units).inline(), {"name": "lost", "path": "", "created_at": utcnow()})
    assert _units(store) == []


def test_a_database_that_does_not_answer_is_sqlalchemys_operational_error():
    store = Store("postgresql://nobody@127.0.0.1:1/none")     # port 1: refused at once
    try:
        with pytest.raises(exc.OperationalError):
            with store.write():
                pass
    finally:
        store.dispose()

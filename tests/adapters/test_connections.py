"""PostgreSQL connections: a pooled connection idle for a while is pinged before use and replaced
if the server dropped it; one used moments ago is not pinged (a round trip saved per action). If a
connection dies between two quick uses, the action fails whole (nothing half-written) and the
next one gets a fresh connection."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from workflow.usecases.engine import Workflow
from workflow.adapters.db import Store
from workflow.adapters.tables import cases, events, metadata

from tests.conftest import PASSWORD

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(pg_database):
    stores = []

    def make(ping_after: float) -> Store:
        s = Store(pg_database, pg_ping_after=ping_after)
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        with s.core() as c:
            c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        s.ensure_chain_head()
        stores.append(s)
        return s
    yield make
    for s in stores:
        s.dispose()


def _drop_connections(url: str) -> int:
    """What a server restart or an administrator does to every session of the database."""
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            name = url.rsplit("/", 1)[1]
            return len(c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}).all())
    finally:
        admin.dispose()


def _setup(store: Store, registry) -> tuple[Workflow, int, int]:
    wf = Workflow(store, registry)
    unit = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam"])
    staff = wf.people.create_user(None, "staff", PASSWORD, "staff", unit).id
    case = wf.cases.open_case(staff, "committee-personnel", "Kiện toàn cấp ủy").case["id"]
    return wf, staff, case


def _count_pings(store: Store, monkeypatch) -> list[int]:
    n = [0]
    real = store.engine.dialect.do_ping

    def counting(dbapi_conn):
        n[0] += 1
        return real(dbapi_conn)
    monkeypatch.setattr(store.engine.dialect, "do_ping", counting)
    return n


def test_a_connection_used_moments_ago_is_not_pinged_an_idle_one_is(pg_store, registry, monkeypatch):
    wf, staff, case = _setup(pg_store(3600), registry)
    pings = _count_pings(wf.store, monkeypatch)
    for i in range(20):
        wf.cases.record(staff, case, {"criteria": f"lần {i}"}, reason="sửa")
    assert pings[0] == 0

    wf, staff, case = _setup(pg_store(0), registry)
    pings = _count_pings(wf.store, monkeypatch)
    for i in range(20):
        wf.cases.record(staff, case, {"criteria": f"lần {i}"}, reason="sửa")
    assert pings[0] >= 20          # every checkout (an action reads and writes: two or more)


def test_a_connection_the_server_dropped_while_idle_is_replaced_unseen(pg_store, registry, pg_database):
    wf, staff, case = _setup(pg_store(0.05), registry)
    wf.cases.record(staff, case, {"criteria": "trước"}, reason="sửa")
    assert _drop_connections(pg_database) >= 1
    time.sleep(0.1)
    r = wf.cases.record(staff, case, {"criteria": "sau"}, reason="sửa")           # no error: the ping found it dead
    assert r.case["version"] == 3


def test_a_connection_dropped_between_two_quick_uses_fails_one_action_whole(pg_store, registry, pg_database):
    wf, staff, case = _setup(pg_store(3600), registry)
    wf.cases.record(staff, case, {"criteria": "trước"}, reason="sửa")
    with wf.store.core() as c:
        before = c.execute(select(cases.c.version)).scalar_one(), c.execute(select(events.c.seq)).all()
    assert _drop_connections(pg_database) >= 1
    with pytest.raises(OperationalError) as info:
        wf.cases.record(staff, case, {"criteria": "mất kết nối"}, reason="sửa")
    assert info.value.connection_invalidated
    with wf.store.core() as c:                                # nothing of the failed action was kept
        assert (c.execute(select(cases.c.version)).scalar_one(), c.execute(select(events.c.seq)).all()) == before
    r = wf.cases.record(staff, case, {"criteria": "thử lại"}, reason="sửa")       # the pool replaced the dead connections
    assert r.case["version"] == before[0] + 1
    assert wf.queries.verify().ok

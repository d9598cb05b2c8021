"""The write path's statements on the driver's cursor (workflow/fastsql.py) against SQLAlchemy Core.

The fast path must leave exactly what Core would: the same rows, the same types read back, the
same errors. The strongest check: every scenario file run twice with one fixed clock, once with
the fast path and once through Core, leaves byte-identical tables, event hashes included. Runs on
SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import bindparam, exc, select

from workflow import fastsql, scenario
from workflow.definition import Registry
from workflow.service import Workflow, _CASE_BY_ID, _RECORDS_OF_CASE, _USER_BY_ID, _supersede
from workflow.store import Store, idempotency, metadata, records, users
from tests.conftest import _pg_store

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))
REGISTRY = Registry.from_folder(ROOT / "definitions")
VN = dt.timezone(dt.timedelta(hours=7))


def _fresh(kind: str, tmp_path: Path, request, n: str) -> Store:
    if kind == "sqlite":
        s = Store(f"sqlite:///{tmp_path / f'db{n}.sqlite'}")
        s.create_all()
        return s
    return _pg_store(request.getfixturevalue("pg_database"))


def _clock():
    ticks = itertools.count()
    start = dt.datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=VN)
    return lambda: start + dt.timedelta(seconds=next(ticks), microseconds=7)


def _dump(store: Store) -> dict:
    """Every table, every row, in key order; the users' password hashes aside (salted at random)."""
    out = {}
    with store.read() as c:
        for t in metadata.sorted_tables:
            cols = [col for col in t.c if not (t is users and col.name == "password_hash")]
            order = [col for col in t.primary_key.columns] or cols
            out[t.name] = [tuple(r) for r in c.execute(select(*cols).order_by(*order))]
    return out


KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("kind", KINDS)
def test_every_scenario_leaves_the_same_tables_through_the_fast_path_as_through_core(kind, tmp_path, request,
                                                                                     monkeypatch):
    written = 0
    for n, f in enumerate(SCENARIOS):
        spec = yaml.safe_load(f.read_text(encoding="utf-8"))
        dumps = {}
        for fast in (False, True):
            monkeypatch.setattr(fastsql, "ENABLED", fast)
            store = _fresh(kind, tmp_path, request, f"{n}-{fast}")
            try:
                out, ok = scenario.run(Workflow(store, REGISTRY, clock=_clock()), spec)
                assert ok, (f.name, out)
                dumps[fast] = _dump(store)
            finally:
                store.dispose()
        for table in dumps[False]:
            assert dumps[True][table] == dumps[False][table], (f.name, table)
        written += len(dumps[True]["events"])
    assert written > 500        # the scenarios did write a record


@pytest.fixture
def seeded(wf, people):
    case = wf.open_case(people.staff, "committee-personnel", "Nhân sự khóa mới").case
    wf.record(people.staff, case["id"], {"criteria": "Tiêu chuẩn theo HD 38"}, expected_version=case["version"])
    return wf, people, case["id"]


def test_reads_give_the_same_rows_and_types_as_core(seeded):
    wf, people, case_id = seeded
    with wf.store.read() as c:
        for stmt, params in ((_USER_BY_ID, {"user_id": people.staff}), (_CASE_BY_ID, {"case_id": case_id}),
                             (_RECORDS_OF_CASE, {"case_id": case_id})):
            core = c.execute(stmt, params).all()
            fast = fastsql.run(c, stmt, params).all()
            assert core and [tuple(r) for r in fast] == [tuple(r) for r in core]
            assert [type(v) for v in fast[0]] == [type(v) for v in core[0]]
            assert fast[0]._mapping == dict(core[0]._mapping)
        assert fastsql.run(c, _USER_BY_ID, {"user_id": 10**9}).first() is None


def test_an_update_sets_only_the_columns_given_and_counts_rows(seeded):
    wf, people, case_id = seeded
    from workflow.service import _UPDATE_CASE
    with wf.store.write() as c:
        row = c.execute(_CASE_BY_ID, {"case_id": case_id}).one()
        stale = fastsql.run(c, _UPDATE_CASE, {"title": "x", "b_id": case_id, "b_version": row.version + 5})
        assert stale.rowcount == 0
        ok = fastsql.run(c, _UPDATE_CASE, {"awaiting": "head", "version": row.version + 1,
                                           "b_id": case_id, "b_version": row.version})
        assert ok.rowcount == 1
        after = c.execute(_CASE_BY_ID, {"case_id": case_id}).one()
    assert after.awaiting == "head" and after.version == row.version + 1
    assert (after.title, after.state, after.updated_at) == (row.title, row.state, row.updated_at)


def test_supersede_by_step_and_kind(seeded):
    wf, people, case_id = seeded
    with wf.store.write() as c:
        assert fastsql.run(c, *_supersede(case_id, ["criteria"], ["tally"])).rowcount == 0
        assert fastsql.run(c, *_supersede(case_id, ["nope", "criteria"], None)).rowcount == 1
        live = c.execute(select(records.c.id).where(records.c.case_id == case_id,
                                                    records.c.superseded.is_(False))).all()
    assert live == []


def test_a_driver_error_is_raised_as_sqlalchemys_and_the_transaction_keeps_nothing(seeded):
    wf, people, case_id = seeded
    row = {"user_id": people.staff, "key": "k-1", "request": "fp", "response": {"a": 1},
           "created_at": dt.datetime.now(dt.timezone.utc)}
    with wf.store.write() as c:
        fastsql.run(c, idempotency.insert(), row)
    with pytest.raises(exc.IntegrityError):
        with wf.store.write() as c:
            fastsql.run(c, idempotency.insert(), {**row, "key": "k-2"})
            fastsql.run(c, idempotency.insert(), row)          # the same (user, key) again
    with wf.store.read() as c:
        assert [r.key for r in c.execute(select(idempotency.c.key))] == ["k-1"]


def test_what_the_fast_path_cannot_run_goes_through_core(seeded):
    wf, people, case_id = seeded
    expanding = select(records.c.id).where(records.c.step_key.in_(bindparam("steps", expanding=True)))
    with wf.store.read() as c:
        assert fastsql.run(c, expanding, {"steps": ["criteria"]}).all() == c.execute(
            expanding, {"steps": ["criteria"]}).all()
        with pytest.raises(exc.StatementError, match="value is required"):
            fastsql.run(c, _USER_BY_ID, {})
    assert fastsql._prepared(expanding, wf.store.engine.dialect, ("steps",)) is None


texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
payloads = st.dictionaries(texts, st.one_of(texts, st.integers(-2**53, 2**53), st.booleans(), st.none(),
                                             st.lists(texts, max_size=3)), max_size=5)
moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1),
                       timezones=st.sampled_from([dt.timezone.utc, VN, dt.timezone(dt.timedelta(hours=-5))]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=payloads, at=moments, superseded=st.booleans())
def test_a_row_written_either_way_reads_back_the_same_either_way(seeded, payload, at, superseded):
    wf, people, case_id = seeded
    values = {"case_id": case_id, "step_key": "prop", "kind": "form", "payload": payload,
              "actor_id": people.staff, "created_at": at, "superseded": superseded}
    with wf.store.write() as c:
        c.execute(records.insert(), values)
        fastsql.run(c, records.insert(), values)
        q = (select(records.c.payload, records.c.created_at, records.c.superseded)
             .where(records.c.step_key == "prop").order_by(records.c.id.desc()).limit(2))
        core_rows = [tuple(r) for r in c.execute(q)]
        fast_rows = [tuple(r) for r in fastsql.run(c, q)]
        c.execute(records.delete().where(records.c.step_key == "prop"))
    assert core_rows[0] == core_rows[1] == fast_rows[0] == fast_rows[1]
    assert core_rows[0][0] == payload


def _two_reads(wf, c, user_id, case_id):
    user = wf._user(c, user_id)
    return user, wf._case_row(c, user, case_id)


def test_the_user_and_the_case_read_together_answer_as_the_two_reads_did(seeded):
    """Who may see which case is decided by one statement now; every refusal must stay the same
    error, in the same order (an unknown user is refused before a missing case is reported)."""
    wf, people, case_id = seeded
    other = wf.open_case(people.staff_b, "committee-personnel", "Huyện khác").case["id"]
    wf.update_user(people.admin, people.staff2, active=False)
    users_ = [None, people.staff, people.supervisor, people.auditor_b, people.province_auditor, people.staff2,
              10**9, "7", True, -1]
    cases_ = [case_id, other, 10**9, "1", None, True, 0]
    with wf.store.read() as c:
        for u in users_:
            for k in cases_:
                def outcome(fn):
                    try:
                        user, row = fn(wf, c, u, k)
                        return ("ok", user, tuple(row), row._mapping)
                    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
                        return (type(e).__name__, str(e))
                assert outcome(Workflow._user_and_case) == outcome(_two_reads), (u, k)


# ---- the live records and the kept cursor --------------------------------------------------------

def _plan(store: Store, stmt, params: dict) -> str:
    """The plan the database picks for `stmt` as the write path sends it (its own SQL text)."""
    p = fastsql._prepared(stmt, store.engine.dialect, tuple(params))
    with store.read() as c:
        cur = c.connection.dbapi_connection.cursor()
        try:
            if store.is_sqlite:
                cur.execute("EXPLAIN QUERY PLAN " + p.sql, p.params(params))
                return " ".join(str(r[-1]) for r in cur.fetchall())
            cur.execute("SET LOCAL enable_seqscan = off")     # a tiny table would be scanned anyway
            cur.execute("EXPLAIN " + p.sql, p.params(params))
            return " ".join(r[0] for r in cur.fetchall())
        finally:
            cur.close()


def test_the_step_records_are_read_and_set_aside_through_the_live_records_index(store):
    # A partial index serves a query only when the query names its condition (on SQLite, word for
    # word): were the condition written another way, every action would walk every version a case
    # ever saved, and nothing else would show it.
    stmt, params = _supersede(1, ["criteria"], ["form"])
    assert "ix_records_live" in _plan(store, _RECORDS_OF_CASE, {"case_id": 1})
    assert "ix_records_live" in _plan(store, stmt, params)


def test_a_connection_the_pool_replaced_gets_a_cursor_of_its_own(store):
    some = select(records.c.id).where(records.c.case_id == bindparam("case_id"))
    with store.read() as c:
        assert fastsql.run(c, some, {"case_id": 1}).all() == []
        first = c.connection.info[fastsql._CURSOR]
    for _ in range(2):        # every pooled connection dropped, as after a lost server
        conn = store.engine.connect()
        conn.invalidate()
        conn.close()
    with store.read() as c:
        assert fastsql.run(c, some, {"case_id": 1}).all() == []
        kept = c.connection.info[fastsql._CURSOR]
        assert kept[0] is c.connection.dbapi_connection and kept[0] is not first[0]

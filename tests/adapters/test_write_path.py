"""The write path's plain SQL (workflow/adapters/sql.py, repository.py, eventlog.py) against
SQLAlchemy Core: rows written by it read back through Core exactly as rows Core wrote, its reads
answer as Core's, a unit of work commits or rolls back whole, and errors arrive as SQLAlchemy's.
The strongest check: every scenario file, run on SQLite and on PostgreSQL with one fixed clock,
leaves the same tables. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import exc, select
from sqlalchemy.pool import PoolProxiedConnection

from workflow.adapters import sql
from workflow.adapters.db import Store
from workflow.adapters.definitions import load_folder
from workflow.adapters.repository import CASE_BY_ID, INSERT_RECORD, RECORDS_OF_CASE, USER_BY_ID, supersede_statement
from workflow.adapters.tables import cases, idempotency, metadata, records, units, users
from workflow.adapters.times import as_utc, utcnow
from workflow.domain.actions import Change
from workflow.domain.parse import is_id
from workflow.usecases import scenario
from workflow.usecases.common import acting_user, in_scope, user_and_case
from workflow.usecases.engine import Workflow
from tests.conftest import pg_store

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))
REGISTRY = load_folder(ROOT / "definitions")
VN = dt.timezone(dt.timedelta(hours=7))


def _clock():
    ticks = itertools.count()
    start = dt.datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=VN)
    return lambda: start + dt.timedelta(seconds=next(ticks), microseconds=7)


def _dump(store: Store) -> dict:
    """Every table, every row, in key order, as Core reads it (times in UTC); the users' password
    hashes aside (salted at random)."""
    out = {}
    with store.core() as c:
        for t in metadata.sorted_tables:
            cols = [col for col in t.c if not (t is users and col.name == "password_hash")]
            order = [col for col in t.primary_key.columns] or cols
            out[t.name] = [tuple(as_utc(v) if isinstance(v, dt.datetime) else v for v in r)
                           for r in c.execute(select(*cols).order_by(*order))]
    return out


@pytest.mark.postgres
def test_every_scenario_leaves_the_same_tables_on_sqlite_and_postgresql(tmp_path, request):
    pg = request.getfixturevalue("pg_database")
    written = 0
    for n, f in enumerate(SCENARIOS):
        spec = yaml.safe_load(f.read_text(encoding="utf-8"))
        dumps = []
        for store in (Store(f"sqlite:///{tmp_path / f'db{n}.sqlite'}"), pg_store(pg)):
            try:
                if store.is_sqlite:
                    store.create_all()
                out, ok = scenario.run(Workflow(store, REGISTRY, clock=_clock()), spec)
                assert ok, (f.name, out)
                dumps.append(_dump(store))
            finally:
                store.dispose()
        for table in dumps[0]:
            assert dumps[0][table] == dumps[1][table], (f.name, table)
        written += len(dumps[0]["events"])
    assert written > 500        # the scenarios did write a record


@pytest.fixture
def seeded(wf, people):
    case = wf.cases.open_case(people.staff, "committee-personnel", "Nhân sự khóa mới").case
    wf.cases.record(people.staff, case["id"], {"criteria": "Tiêu chuẩn theo HD 38"}, expected_version=case["version"])
    return wf, people, case["id"]


def test_reads_give_the_same_rows_and_types_as_core(seeded):
    wf, people, case_id = seeded
    core_user = (select(users.c.id, users.c.username, users.c.display_name, users.c.role, users.c.unit_id,
                        users.c.active, users.c.locale, users.c.password_hash, units.c.path, units.c.name)
                 .join(units, units.c.id == users.c.unit_id).where(users.c.id == people.staff))
    case_unit = units.alias("case_unit")
    core_case = (select(*[cases.c[k] for k in ("id", "definition_key", "definition_version", "title", "unit_id",
                                                 "state", "status", "version", "step_started_at", "step_due",
                                                 "awaiting", "approval_requested_by", "opened_by", "opened_at",
                                                 "updated_at")], case_unit.c.path, case_unit.c.name, cases.c.search,
                        cases.c.outcome, cases.c.case_due, cases.c.returned, case_unit.c.head_user_id)
                 .join(case_unit, case_unit.c.id == cases.c.unit_id).where(cases.c.id == case_id))
    core_records = (select(records.c.step_key, records.c.kind, records.c.payload, records.c.created_at, records.c.id,
                           records.c.actor_id)
                    .where(records.c.case_id == case_id, records.c.superseded.is_(False)).order_by(records.c.id))
    with wf.store.read() as uow:
        for st_, params, core in ((USER_BY_ID, {"user_id": people.staff}, core_user),
                                  (CASE_BY_ID, {"case_id": case_id}, core_case),
                                  (RECORDS_OF_CASE, {"case_id": case_id}, core_records)):
            ours = uow.runner.run(st_, params)
            theirs = uow.queries.c.execute(core).all()
            assert theirs and [tuple(r) for r in ours] == [tuple(r) for r in theirs]
            assert [type(v) for v in ours[0]] == [type(v) for v in theirs[0]]
        assert uow.runner.first(USER_BY_ID, {"user_id": 10**9}) is None


def test_a_save_sets_only_the_columns_given_at_the_version_read_and_nothing_at_another(seeded):
    wf, people, case_id = seeded
    with wf.store.write() as uow:
        row = uow.cases.case(case_id)
        stale = dataclasses.replace(row, version=row.version + 5)
        assert not uow.cases.save(stale, {"title": "x", "updated_at": utcnow()}, Change("x"), people.staff)
        assert uow.cases.save(row, {"awaiting": "head", "version": row.version + 1, "updated_at": row.updated_at},
                              Change("x"), people.staff)
        after = uow.cases.case(case_id)
    assert after.awaiting == "head" and after.version == row.version + 1
    assert (after.title, after.state, after.updated_at) == (row.title, row.state, row.updated_at)


def test_supersede_by_step_and_kind(seeded):
    wf, people, case_id = seeded
    with wf.store.write() as uow:
        assert uow.runner.count(supersede_statement(1, 1), {"case_id": case_id, "superseded": True,
                                                            "s0": "criteria", "k0": "tally"}) == 0
        assert uow.runner.count(supersede_statement(2, 0), {"case_id": case_id, "superseded": True,
                                                            "s0": "nope", "s1": "criteria"}) == 1
        assert uow.cases.records(case_id) == []


def test_a_driver_error_is_raised_as_sqlalchemys_and_the_transaction_keeps_nothing(seeded):
    wf, people, case_id = seeded
    with wf.store.write() as uow:
        uow.keys.remember(people.staff, "k-1", "fp", {"a": 1}, utcnow())
    with pytest.raises(exc.IntegrityError):
        with wf.store.write() as uow:
            uow.keys.remember(people.staff, "k-2", "fp", {"a": 1}, utcnow())
            uow.keys.remember(people.staff, "k-1", "fp", {"a": 1}, utcnow())       # the same (user, key) again
    with wf.store.core() as c:
        assert [r.key for r in c.execute(select(idempotency.c.key))] == ["k-1"]


texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
payloads = st.dictionaries(texts, st.one_of(texts, st.integers(-2**53, 2**53), st.booleans(), st.none(),
                                             st.lists(texts, max_size=3)), max_size=5)
moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1),
                       timezones=st.sampled_from([dt.timezone.utc, VN, dt.timezone(dt.timedelta(hours=-5))]))
LATEST_TWO = sql.Statement("SELECT payload, created_at, superseded FROM records WHERE step_key = 'prop' "
                           "ORDER BY id DESC LIMIT 2", columns=("payload", "created_at", "superseded"),
                           types={"payload": records.c.payload.type, "created_at": records.c.created_at.type,
                                  "superseded": records.c.superseded.type})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=payloads, at=moments, superseded=st.booleans())
def test_a_row_written_either_way_reads_back_the_same_either_way(seeded, payload, at, superseded):
    wf, people, case_id = seeded
    values = {"case_id": case_id, "step_key": "prop", "kind": "form", "payload": payload,
              "actor_id": people.staff, "created_at": at, "superseded": superseded}
    q = (select(records.c.payload, records.c.created_at, records.c.superseded)
         .where(records.c.step_key == "prop").order_by(records.c.id.desc()).limit(2))
    with wf.store.core() as c:
        c.execute(records.insert(), values)
    with wf.store.write() as uow:
        uow.runner.run(INSERT_RECORD, values)
    with wf.store.read() as uow:
        core_rows = [tuple(r) for r in uow.queries.c.execute(q)]
        our_rows = [tuple(r) for r in uow.runner.run(LATEST_TWO)]
    with wf.store.core() as c:
        c.execute(records.delete().where(records.c.step_key == "prop"))
    assert core_rows[0] == core_rows[1] == our_rows[0] == our_rows[1]
    assert core_rows[0][0] == payload


def _two_reads(uow, user_id, case_id):
    user = acting_user(uow, user_id)
    return user, in_scope(user, uow.cases.case(case_id) if is_id(case_id) else None, case_id)


def test_the_user_and_the_case_read_together_answer_as_the_two_reads_did(seeded):
    """Who may see which case is decided by one statement; every refusal must stay the same error,
    in the same order (an unknown user is refused before a missing case is reported)."""
    wf, people, case_id = seeded
    other = wf.cases.open_case(people.staff_b, "committee-personnel", "Huyện khác").case["id"]
    wf.people.update_user(people.admin, people.staff2, active=False)
    users_ = [None, people.staff, people.supervisor, people.auditor_b, people.province_auditor, people.staff2,
              10**9, "7", True, -1]
    cases_ = [case_id, other, 10**9, "1", None, True, 0]
    with wf.store.read() as uow:
        for u in users_:
            for k in cases_:
                def outcome(fn):
                    try:
                        return ("ok", *fn(uow, u, k))
                    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
                        return (type(e).__name__, str(e))
                assert outcome(user_and_case) == outcome(_two_reads), (u, k)


# ---- the live records and the kept cursor --------------------------------------------------------

def _plan(store: Store, st_: sql.Statement, params: dict) -> str:
    """The plan the database picks for a statement as the write path sends it (its own SQL text)."""
    p = st_.prepared(store.dialect)
    with store.read() as uow:
        cur = uow.runner.fairy.dbapi_connection.cursor()
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
    assert "ix_records_live" in _plan(store, RECORDS_OF_CASE, {"case_id": 1})
    assert "ix_records_live" in _plan(store, supersede_statement(1, 1), {"case_id": 1, "superseded": True,
                                                                         "s0": "criteria", "k0": "form"})


def test_a_connection_the_pool_replaced_gets_a_cursor_of_its_own(store):
    with store.read() as uow:
        assert uow.cases.records(1) == []
        first = uow.runner.fairy.info[sql.CURSOR_KEY]
    for _ in range(2):        # every pooled connection dropped, as after a lost server
        conn = store.engine.connect()
        conn.invalidate()
        conn.close()
    with store.read() as uow:
        assert uow.cases.records(1) == []
        kept = uow.runner.fairy.info[sql.CURSOR_KEY]
        assert kept[0] is uow.runner.fairy.dbapi_connection and kept[0] is not first[0]


# ---- the unit of work ----------------------------------------------------------------------------

ADD_UNIT = sql.Statement("INSERT INTO units (name, path, created_at) VALUES (:name, '', :created_at)",
                         types={"created_at": units.c.created_at.type})
COUNT_UNITS = sql.Statement("SELECT count(*) FROM units", columns=("n",))


def _units(store: Store) -> list[str]:
    with store.core() as c:
        return c.execute(select(units.c.name).order_by(units.c.id)).scalars().all()


class Boom(Exception):
    pass


def test_a_units_statements_commit_together(store):
    with store.write() as uow:
        uow.runner.run(ADD_UNIT, {"name": "one", "created_at": utcnow()})
        uow.runner.run(ADD_UNIT, {"name": "two", "created_at": utcnow()})
        assert uow.runner.first(COUNT_UNITS).n == 2
    assert _units(store) == ["one", "two"]


def test_an_error_rolls_back_the_whole_unit(store):
    with pytest.raises(Boom):
        with store.write() as uow:
            uow.runner.run(ADD_UNIT, {"name": "one", "created_at": utcnow()})
            raise Boom
    assert _units(store) == []
    with store.write() as uow:                      # the connection went back to the pool clean
        uow.runner.run(ADD_UNIT, {"name": "after", "created_at": utcnow()})
    assert _units(store) == ["after"]


def test_a_failed_commit_is_sqlalchemys_error_and_nothing_is_saved(store, monkeypatch):
    dbapi = store.engine.dialect.loaded_dbapi

    def refuse(self):
        raise dbapi.OperationalError("disk I/O error")
    fairy = store.engine.raw_connection()
    proxied = type(fairy)
    fairy.close()
    assert issubclass(proxied, PoolProxiedConnection)
    with monkeypatch.context() as m:
        m.setattr(proxied, "commit", refuse, raising=False)    # (it hands commit() to the driver)
        with pytest.raises(exc.OperationalError, match="disk I/O error"):
            with store.write() as uow:
                uow.runner.run(ADD_UNIT, {"name": "lost", "created_at": utcnow()})
    assert _units(store) == []


def test_a_database_that_does_not_answer_is_sqlalchemys_operational_error():
    store = Store("postgresql://nobody@127.0.0.1:1/none")     # port 1: refused at once
    try:
        with pytest.raises(exc.OperationalError):
            with store.write():
                pass
    finally:
        store.dispose()

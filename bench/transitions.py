"""Durable transitions: audited state changes per second through the service layer, beside the
same SQL written by hand on the raw driver (the ceiling), on SQLite WAL FULL, SQLite WAL NORMAL
and PostgreSQL.

One operation = one committed transaction: `Workflow.cases.record` on an open case (version-checked
UPDATE of the case, the step's form record, one chained audit event). The raw ceiling does
BEGIN (IMMEDIATE) → UPDATE cases … WHERE version=? → INSERT records → SELECT chain_head (FOR
UPDATE) → INSERT events with its sha256 → UPDATE chain_head → COMMIT on one kept connection.

    python -m bench.transitions [--quick] [--no-pg]
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections import Counter

from sqlalchemy import bindparam, event, select, update

from workflow.adapters import sql
from workflow.usecases.engine import Workflow
from workflow.adapters.db import normalise_url
from workflow.adapters.tables import cases, chain_head, events, records

from . import common

CASES = 100        # operations rotate over this many cases per side (engine / raw)
TARGETS = {"sqlite-full": 0.5, "postgresql": 0.8}


def _open_cases(wf: Workflow, who: common.People, n: int, tag: str) -> list[int]:
    return [wf.cases.open_case(who.staff, "committee-personnel", f"Bench {tag} {i}").case["id"] for i in range(n)]


class Engine:
    """`Workflow.cases.record` with the version the previous answer gave, as the web form does."""

    def __init__(self, wf: Workflow, who: common.People, case_ids: list[int], *, keyed: bool = False):
        self.wf, self.staff, self.keyed = wf, who.staff, keyed
        self.ids = case_ids
        self.version = {cid: 1 for cid in case_ids}
        self.n = 0

    def op(self, i: int) -> None:
        cid = self.ids[i % len(self.ids)]
        self.n += 1
        # a saved value changed each time: a correction, with its reason (issue 14: a second record row)
        r = self.wf.cases.record(self.staff, cid, {"criteria": _text(i)}, reason="bench",
                                 expected_version=self.version[cid],
                                 idempotency_key=f"bench-{id(self)}-{self.n}" if self.keyed else None)
        self.version[cid] = r.case["version"]


def _text(i: int) -> str:
    """The field value of operation i."""
    return f"Tiêu chuẩn theo HD 38, lần {i}"


def _texts(i: int) -> tuple[str, str, str]:
    """The field value of operation i, the form record's JSON, and the event's canonical payload
    (the raw sides write these by hand; the engine makes its own)."""
    text = _text(i)
    return (text, json.dumps({"criteria": text}, ensure_ascii=False),
            json.dumps({"step": "criteria", "fields": {"criteria": text}}, sort_keys=True, ensure_ascii=False,
                       separators=(",", ":")))


def _event_hash(seq, prev, case_id, at_iso, actor_id, actor, role, unit_id, kind, from_state, to_state, payload):
    head = f"{seq}\n{prev}\n{case_id}\n{at_iso}\n{actor_id}\n{actor}\n{role}\n{unit_id}\n{kind}\n{from_state}\n{to_state}\n"
    return hashlib.sha256((head + payload).encode("utf-8")).hexdigest()


# The three statements the engine's action sends beyond the ceiling's writes, written by hand: it
# reads who acts and the case together (in their unit tree?), reads what the step holds now (the
# form the new values merge into), and sets the step's old form aside. With them a raw side sends
# the engine's own statements, no more and no fewer ("raw, same statements").
SAME_READ_USER_AND_CASE = (
    "SELECT users.id, users.username, users.display_name, users.role, users.unit_id, users.active, users.locale, "
    "users.password_hash, units.path, units.name, cases.id, cases.definition_key, cases.definition_version, "
    "cases.title, cases.unit_id, cases.state, cases.status, cases.version, cases.step_started_at, cases.step_due, "
    "cases.awaiting, cases.approval_requested_by, cases.opened_by, cases.opened_at, cases.updated_at, "
    "case_unit.path, case_unit.name, cases.search FROM users JOIN units ON units.id = users.unit_id "
    "LEFT OUTER JOIN (cases JOIN units AS case_unit ON case_unit.id = cases.unit_id) ON cases.id = ? "
    "WHERE users.id = ?")
SAME_READ_RECORDS = ("SELECT step_key, kind, payload, created_at FROM records WHERE case_id = ? AND superseded IS {f} "
                     "ORDER BY id")
SAME_SET_ASIDE = ("UPDATE records SET superseded = {t} WHERE case_id = ? AND step_key IN ('criteria') "
                  "AND superseded IS {f} AND kind IN ('form')")


class RawSQLite:
    """The same writes by hand on sqlite3: the ceiling. same=True: the engine's own statements."""

    def __init__(self, path: str, sync: str, who: common.People, case_ids: list[int], *, same: bool = False):
        self.c = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", f"synchronous={sync}", "foreign_keys=ON", "busy_timeout=30000"):
            self.c.execute(f"PRAGMA {pragma}")
        self.who, self.ids, self.same = who, case_ids, same
        self.version = dict(self.c.execute(
            f"SELECT id, version FROM cases WHERE id IN ({','.join('?' * len(case_ids))})", case_ids).fetchall())

    def op(self, i: int) -> None:
        cid = self.ids[i % len(self.ids)]
        now = dt.datetime.now(dt.timezone.utc)
        stamp = now.replace(tzinfo=None).isoformat(" ")
        v = self.version[cid]
        _, form, payload = _texts(i)
        c = self.c
        c.execute("BEGIN IMMEDIATE")
        try:
            if self.same:
                c.execute(SAME_READ_USER_AND_CASE, (cid, self.who.staff)).fetchall()
                c.execute(SAME_READ_RECORDS.format(f="0"), (cid,)).fetchall()
            cur = c.execute("UPDATE cases SET version = ?, updated_at = ? WHERE id = ? AND version = ?",
                            (v + 1, stamp, cid, v))
            if cur.rowcount != 1:
                raise RuntimeError("version conflict")
            if self.same:
                c.execute(SAME_SET_ASIDE.format(t="1", f="0"), (cid,))
            c.execute("INSERT INTO records (case_id, step_key, kind, payload, actor_id, created_at, superseded) "
                      "VALUES (?, 'criteria', 'form', ?, ?, ?, 0)", (cid, form, self.who.staff, stamp))
            seq, prev = c.execute("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
            seq += 1
            h = _event_hash(seq, prev, cid, now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), self.who.staff, "staff", "staff",
                            self.who.unit, "form_recorded", "criteria", "criteria", payload)
            c.execute("INSERT INTO events (seq, case_id, at, actor_id, actor, role, unit_id, kind, from_state, "
                      "to_state, payload, prev_hash, hash) VALUES (?, ?, ?, ?, 'staff', 'staff', ?, 'form_recorded', "
                      "'criteria', 'criteria', ?, ?, ?)", (seq, cid, stamp, self.who.staff, self.who.unit, payload,
                                                           prev, h))
            c.execute("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", (seq, h))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        self.version[cid] = v + 1

    def close(self) -> None:
        self.c.close()


class CoreSQL:
    """The ceiling's statements through SQLAlchemy Core (statements built once, the engine's own
    Store and pool): what the layer under the service costs, without the service's own work."""

    def __init__(self, store, who: common.People, case_ids: list[int]):
        self.store, self.who, self.ids = store, who, case_ids
        with store.core() as c:
            self.version = dict(c.execute(select(cases.c.id, cases.c.version).where(cases.c.id.in_(case_ids))).all())
        self.bump = (update(cases).where(cases.c.id == bindparam("b_id"), cases.c.version == bindparam("b_version"))
                     .values(version=bindparam("new_version"), updated_at=bindparam("now")))
        self.add = records.insert()
        self.head = select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1).with_for_update()
        self.log = events.insert()
        self.move = update(chain_head).where(chain_head.c.id == 1).values(seq=bindparam("s"), hash=bindparam("h"))

    def op(self, i: int) -> None:
        cid = self.ids[i % len(self.ids)]
        now = dt.datetime.now(dt.timezone.utc)
        v = self.version[cid]
        text, _, payload = _texts(i)
        with self.store.core() as c:
            if c.execute(self.bump, {"b_id": cid, "b_version": v, "new_version": v + 1, "now": now}).rowcount != 1:
                raise RuntimeError("version conflict")
            c.execute(self.add, {"case_id": cid, "step_key": "criteria", "kind": "form", "payload": {"criteria": text},
                                 "actor_id": self.who.staff, "created_at": now, "superseded": False})
            seq, prev = c.execute(self.head).one()
            seq += 1
            h = _event_hash(seq, prev, cid, now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), self.who.staff, "staff", "staff",
                            self.who.unit, "form_recorded", "criteria", "criteria", payload)
            c.execute(self.log, {"seq": seq, "case_id": cid, "at": now, "actor_id": self.who.staff, "actor": "staff",
                                 "role": "staff", "unit_id": self.who.unit, "kind": "form_recorded",
                                 "from_state": "criteria", "to_state": "criteria", "payload": payload,
                                 "prev_hash": prev, "hash": h})
            c.execute(self.move, {"s": seq, "h": h})
        self.version[cid] = v + 1

    def close(self) -> None:
        pass


class RawPostgres:
    """The same writes by hand on psycopg 3: the ceiling. same=True: the engine's own statements."""

    def __init__(self, url: str, who: common.People, case_ids: list[int], *, same: bool = False):
        import psycopg
        self.c = psycopg.connect(normalise_url(url).replace("postgresql+psycopg://", "postgresql://"))
        self.who, self.ids, self.same = who, case_ids, same
        self.version = dict(self.c.execute("SELECT id, version FROM cases WHERE id = ANY(%s)", (case_ids,)).fetchall())
        self.c.commit()

    def op(self, i: int) -> None:
        cid = self.ids[i % len(self.ids)]
        now = dt.datetime.now(dt.timezone.utc)
        v = self.version[cid]
        _, form, payload = _texts(i)
        c = self.c
        try:   # psycopg opens the transaction on the first statement
            if self.same:
                c.execute(SAME_READ_USER_AND_CASE.replace("?", "%s"), (cid, self.who.staff)).fetchall()
                c.execute(SAME_READ_RECORDS.format(f="false").replace("?", "%s"), (cid,)).fetchall()
            cur = c.execute("UPDATE cases SET version = %s, updated_at = %s WHERE id = %s AND version = %s",
                            (v + 1, now, cid, v))
            if cur.rowcount != 1:
                raise RuntimeError("version conflict")
            if self.same:
                c.execute(SAME_SET_ASIDE.format(t="true", f="false").replace("?", "%s"), (cid,))
            c.execute("INSERT INTO records (case_id, step_key, kind, payload, actor_id, created_at, superseded) "
                      "VALUES (%s, 'criteria', 'form', %s::json, %s, %s, false)", (cid, form, self.who.staff, now))
            seq, prev = c.execute("SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE").fetchone()
            seq += 1
            h = _event_hash(seq, prev, cid, now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), self.who.staff, "staff", "staff",
                            self.who.unit, "form_recorded", "criteria", "criteria", payload)
            c.execute("INSERT INTO events (seq, case_id, at, actor_id, actor, role, unit_id, kind, from_state, "
                      "to_state, payload, prev_hash, hash) VALUES (%s, %s, %s, %s, 'staff', 'staff', %s, "
                      "'form_recorded', 'criteria', 'criteria', %s, %s, %s)",
                      (seq, cid, now, self.who.staff, self.who.unit, payload, prev, h))
            c.execute("UPDATE chain_head SET seq = %s, hash = %s WHERE id = 1", (seq, h))
            c.commit()
        except BaseException:
            c.rollback()
            raise
        self.version[cid] = v + 1

    def close(self) -> None:
        self.c.close()


def statements_per_action(wf: Workflow, engine: Engine, n: int = 20) -> tuple[float, float, Counter]:
    """How many SQL statements and new DB connections one engine action costs (the last from the pool).
    Statements sent through Core are seen by its events; those the write path sends on the driver's
    cursor (workflow/adapters/sql.py) by a wrapper around `Runner.run`."""
    seen: Counter = Counter()
    conns = [0]

    def on_sql(conn, cursor, statement, parameters, context, executemany):
        seen[statement.split(None, 1)[0].upper()] += 1

    def on_connect(dbapi_conn, record):
        conns[0] += 1

    real_run = sql.Runner.run

    def counted_run(self, st, params=None, **kw):
        seen[st.sql.split(None, 1)[0].upper()] += 1
        return real_run(self, st, params, **kw)

    eng = wf.store.engine
    event.listen(eng, "before_cursor_execute", on_sql)
    event.listen(eng.pool, "connect", on_connect)
    sql.Runner.run = counted_run
    try:
        for i in range(n):
            engine.op(10_000_000 + i)
    finally:
        sql.Runner.run = real_run
        event.remove(eng, "before_cursor_execute", on_sql)
        event.remove(eng.pool, "connect", on_connect)
    # the COMMIT (the driver's commit()), the BEGIN (IMMEDIATE: on SQLite's cursor; psycopg sends its
    # own) are round trips too, as they are counted on the raw sides
    seen["COMMIT"] += n
    seen["BEGIN"] += n
    return sum(seen.values()) / n, conns[0] / n, Counter({k: v / n for k, v in seen.items()})


def run_backend(kind: str, *, seconds: float) -> dict:
    with common.database(kind) as (url, sync):
        store = common.new_store(url, sync)
        try:
            wf = Workflow(store, common.registry())
            who = common.people(wf)
            engine = Engine(wf, who, _open_cases(wf, who, CASES, "engine"))
            keyed = Engine(wf, who, _open_cases(wf, who, CASES, "keyed"), keyed=True)
            core = CoreSQL(store, who, _open_cases(wf, who, CASES, "core"))
            def raw_side(tag: str, same: bool):
                ids = _open_cases(wf, who, CASES, tag)
                return (RawPostgres(url, who, ids, same=same) if kind == "postgresql"
                        else RawSQLite(url.split("sqlite:///", 1)[1], sync, who, ids, same=same))
            raw, same = raw_side("raw", False), raw_side("same", True)
            try:
                for side in (engine, keyed, core, raw, same):
                    side.op(0)                      # warm-up: imports, pools, prepared statements
                per_action, conns, kinds = statements_per_action(wf, engine)
                keyed_statements = statements_per_action(wf, keyed)[0]
                load_before = common.load_average()
                sides = common.alternate({"engine": engine.op, "raw": raw.op, "same": same.op, "keyed": keyed.op,
                                          "core": core.op}, seconds=seconds)
            finally:
                raw.close()
                same.close()
            with store.core() as c:   # both sides really did it: the versions moved
                moved = c.execute(select(cases.c.version).where(cases.c.id == engine.ids[0])).scalar_one()
            ok = wf.queries.verify().ok
        finally:
            store.dispose()
    e, r, k, co, sa = sides["engine"], sides["raw"], sides["keyed"], sides["core"], sides["same"]
    return {"kind": kind, "engine": e.rate, "raw": r.rate, "ratio": e.rate / r.rate, "target": TARGETS.get(kind),
            "same": sa.rate, "same_ratio": e.rate / sa.rate, "same_bound": sa.rate / r.rate, "same_cpu_us": sa.cpu_us,
            "keyed": k.rate, "keyed_ratio": k.rate / r.rate, "keyed_statements": keyed_statements,
            "core": co.rate, "core_ratio": co.rate / r.rate, "core_cpu_us": co.cpu_us, "keyed_cpu_us": k.cpu_us,
            "engine_cpu_us": e.cpu_us, "raw_cpu_us": r.cpu_us,
            "median_block_ratio": common.median([a / b for a, b in zip(e.block_rates, r.block_rates)]),
            "statements": per_action, "connections": conns, "by_statement": dict(kinds), "ops": e.ops + r.ops,
            "chain_ok": ok, "case_version": moved, "load": load_before}


def main(quick: bool = False, no_pg: bool = False) -> list[dict]:
    seconds = 2.0 if quick else 8.0
    kinds = ["sqlite-full", "sqlite-normal"]
    skip = None if no_pg else common.pg_unavailable()
    if not no_pg and not skip:
        kinds.append("postgresql")
    common.heading("Durable transitions: Workflow.record vs the same SQL on the raw driver")
    print(f"Engine and raw ceiling alternate in 0.25 s blocks, {seconds:.0f} s per side; {CASES} cases per side; "
          f"load average before: {common.load_average()}.", flush=True)
    if skip:
        print(f"PostgreSQL skipped: {skip}")
    results = [run_backend(k, seconds=seconds) for k in kinds]
    common.table(["database", "engine ops/s", "raw ceiling ops/s", "engine/ceiling", "median of block ratios",
                  "target", "client CPU per op: engine / raw", "SQL statements per action (BEGIN and COMMIT included)",
                  "new connections per action", "chain verifies"],
                 [[common.label(r["kind"]), f"{r['engine']:.0f}", f"{r['raw']:.0f}", f"{r['ratio']:.2f}",
                   f"{r['median_block_ratio']:.2f}",
                   f"≥ {r['target']}" + (" met" if r["ratio"] >= r["target"] else " NOT met") if r["target"] else "-",
                   f"{r['engine_cpu_us']:.0f} µs / {r['raw_cpu_us']:.0f} µs",
                   f"{r['statements']:.1f} (raw: 7, same statements: 10)", f"{r['connections']:.2f}", "yes" if r["chain_ok"] else "NO"]
                  for r in results])
    print("\nThe engine's own statements by hand: the ceiling's 7 plus the 3 the action adds (read who acts and "
          "the case, read what the step holds, set the old form aside), on the raw driver with no Python between "
          "them. 'Bound' is what an engine that spent no CPU of its own would reach against the ceiling:")
    common.table(["database", "raw, same statements: ops/s", "engine / raw same statements", "bound: raw same / ceiling",
                  "client CPU per op: raw same statements"],
                 [[common.label(r["kind"]), f"{r['same']:.0f}", f"{r['same_ratio']:.2f}", f"{r['same_bound']:.2f}",
                   f"{r['same_cpu_us']:.0f} µs"] for r in results])
    print("\nWhere the rest goes: the ceiling's 7 statements through SQLAlchemy Core (built once, same Store), "
          "and the engine's action with an idempotency key, as every web form and API call sends it:")
    common.table(["database", "Core, same SQL: ops/s", "Core/ceiling", "Core CPU per op",
                  "engine keyed: ops/s", "keyed/ceiling", "keyed CPU per op", "keyed SQL statements"],
                 [[common.label(r["kind"]), f"{r['core']:.0f}", f"{r['core_ratio']:.2f}", f"{r['core_cpu_us']:.0f} µs",
                   f"{r['keyed']:.0f}", f"{r['keyed_ratio']:.2f}", f"{r['keyed_cpu_us']:.0f} µs",
                   f"{r['keyed_statements']:.1f}"] for r in results])
    for r in results:
        print(f"  {common.label(r['kind'])}: statements per engine action: "
              + ", ".join(f"{k} {v:g}" for k, v in sorted(r["by_statement"].items())))
    return results


if __name__ == "__main__":
    a = common.arguments(__doc__.splitlines()[0])
    main(a.quick, a.no_pg)

"""The record: an append-only, hash-chained event log, and its verifier.

Each event's hash is sha256 over its canonical fields plus the previous event's hash; the
`chain_head` row holds the newest seq and hash. `verify` walks the log in order and names the
first event that was edited, deleted, reordered or inserted, or a head that no longer matches
(the newest events were deleted)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import queue
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exc, select, update
from sqlalchemy.engine import Connection

from . import fastsql
from .store import GENESIS, chain_head, events


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def iso(t: dt.datetime) -> str:
    """UTC, to the microsecond: 2026-01-02T03:04:05.000006Z (hashed: the format never changes)."""
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if t.year < 1000:                       # isoformat pads the year to 4 digits, strftime does not
        return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return t.isoformat(timespec="microseconds") + "Z"      # same text as strftime, ~3× faster


def event_hash(seq: int, prev: str, case_id, at: dt.datetime, actor_id, actor: str, role: str, unit_id,
               kind: str, from_state, to_state, payload_text: str) -> str:
    # One line per field, in a fixed order: cheap to build, unambiguous (no field holds a newline
    # except payload, which is last).
    head = f"{seq}\n{prev}\n{case_id}\n{iso(at)}\n{actor_id}\n{actor}\n{role}\n{unit_id}\n{kind}\n{from_state}\n{to_state}\n"
    return hashlib.sha256((head + payload_text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who did it, as the record keeps it (the user row may change later; the record won't)."""
    id: int | None
    username: str
    role: str
    unit_id: int | None


SYSTEM = Actor(None, "system", "system", None)


# Built once: building a Core statement on every call costs more CPU than executing it.
_LOCK_HEAD = select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1).with_for_update()
_INSERT_EVENT = events.insert()
_MOVE_HEAD = update(chain_head).where(chain_head.c.id == 1).values(seq=bindparam("new_seq"),
                                                                   hash=bindparam("new_hash"))


def append(conn: Connection, actor: Actor, kind: str, *, at: dt.datetime, case_id: int | None = None,
           from_state: str | None = None, to_state: str | None = None, payload: dict | None = None) -> int:
    """Append one event in the caller's transaction; return its seq."""
    head = fastsql.run(conn, _LOCK_HEAD).one()
    seq = head.seq + 1
    text = canonical(payload or {})
    h = event_hash(seq, head.hash, case_id, at, actor.id, actor.username, actor.role, actor.unit_id,
                   kind, from_state, to_state, text)
    fastsql.run(conn, _INSERT_EVENT, {
        "seq": seq, "case_id": case_id, "at": at, "actor_id": actor.id, "actor": actor.username, "role": actor.role,
        "unit_id": actor.unit_id, "kind": kind, "from_state": from_state, "to_state": to_state, "payload": text,
        "prev_hash": head.hash, "hash": h})
    fastsql.run(conn, _MOVE_HEAD, {"new_seq": seq, "new_hash": h})
    return seq


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int = 0

    def to_dict(self) -> dict:
        return {"ok": self.ok, "events": self.events, "first_bad_seq": self.first_bad_seq,
                "problem": self.problem, "head_seq": self.head_seq}


_HEAD = select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)
_COLS = (events.c.seq, events.c.prev_hash, events.c.case_id, events.c.at, events.c.actor_id, events.c.actor,
         events.c.role, events.c.unit_id, events.c.kind, events.c.from_state, events.c.to_state, events.c.payload,
         events.c.hash)

# The raw read: one statement, in seq order, on the driver's cursor inside the caller's transaction.
_FIELDS = "seq, prev_hash, case_id, {at}, actor_id, actor, role, unit_id, kind, from_state, to_state, payload, hash"
# SQLite: `at` as stored, text in SQLAlchemy's format 'YYYY-MM-DD HH:MM:SS.ffffff'; verify() turns it
# into iso()'s text itself (see _check). From the first row, or after a given seq.
_SQLITE_SQL = "SELECT " + _FIELDS.format(at="at") + " FROM events ORDER BY seq"
_SQLITE_SQL_AFTER = "SELECT " + _FIELDS.format(at="at") + " FROM events WHERE seq > ? ORDER BY seq"
# SQLite, the check in the scan: SQLite calls a Python function with each event's 13 stored values, in
# seq order, and stops at the first event the function does not pass (see _Raw.walk).
_CHECK_FN = "cadreflow_verify_event"
_SQLITE_CHECK = "SELECT 1 FROM events WHERE {after}" + _CHECK_FN + "(" + _FIELDS.format(at="at") + ") ORDER BY seq LIMIT 1"
_SQLITE_CHECK_FIRST = _SQLITE_CHECK.format(after="")
_SQLITE_CHECK_AFTER = _SQLITE_CHECK.format(after="seq > ? AND ")
# PostgreSQL: timestamptz to the microsecond; iso() writes its UTC wall time, the year in 4 digits
# from 1000 on, so the database writes that text (column 3, without the final 'Z'). Outside years
# 1000–9999 (and ±infinity) column 3 is NULL and column 13 holds the value, read as the Core path
# reads it. If `at` is not timestamptz (it always is: migrations/0001), column 13 always.
_PG_FAST = "at >= '1000-01-01 00:00:00+00' AND at < '10000-01-01 00:00:00+00'"
_PG_SQL = ("SELECT " + _FIELDS.format(at="CASE WHEN " + _PG_FAST + " THEN to_char(at AT TIME ZONE 'UTC', "
                                       "'YYYY-MM-DD\"T\"HH24:MI:SS.US') END")
           + ", CASE WHEN " + _PG_FAST + " THEN NULL ELSE at END FROM events ORDER BY seq")
_PG_SQL_PLAIN = "SELECT " + _FIELDS.format(at="NULL") + ", at FROM events ORDER BY seq"
_PG_AT_IS_TIMESTAMPTZ = ("SELECT atttypid = 'timestamptz'::regtype FROM pg_attribute "
                         "WHERE attrelid = 'events'::regclass AND attname = 'at' AND NOT attisdropped")

_START = object()           # read from the log's first row (not after a seq)


class _Raw:
    """The events in seq order, in batches, read on the driver's own cursor."""

    def __init__(self, conn: Connection, batch: int):
        self.conn, self.batch = conn, batch
        dialect = conn.dialect
        self.dialect = dialect
        self.at_type = events.c.at.type.dialect_impl(dialect)
        self.to_python = self.at_type.result_processor(dialect, None)
        fairy = conn.connection
        self.fairy = fairy
        self.cursor = None
        self.can_walk, self.plans = False, {}
        if dialect.name == "sqlite" and dialect.driver == "pysqlite":
            self.sql, self.stored_text, self.read_ahead = _SQLITE_SQL, True, False
            self.driver = fairy.driver_connection
            # The function gets str for text whatever text_factory says; the rows read get text_factory.
            self.can_walk = CHECK_IN_SCAN and self.driver.text_factory is str
        elif dialect.name == "postgresql" and dialect.driver == "psycopg":
            self.sql = _PG_SQL if self._pg_timestamptz() else _PG_SQL_PLAIN
            self.stored_text, self.read_ahead = False, True
            self.cursor = fairy.driver_connection.cursor(name="cadreflow_verify")
            self.cursor.itersize = batch
        else:
            raise _NoRawPath(f"{dialect.name}+{dialect.driver}")

    def _pg_timestamptz(self) -> bool:
        cur = self.fairy.cursor()
        try:
            cur.execute(_PG_AT_IS_TIMESTAMPTZ)
            row = cur.fetchone()
        finally:
            cur.close()
        return bool(row and row[0])

    def slow_at(self, stored) -> str:
        """iso() of the stored value as the Core path reads it (SQLAlchemy's conversion), less the 'Z'."""
        return iso(self.to_python(stored) if self.to_python is not None else stored)[:-1]

    def read_rest(self, rows: list, bad_row) -> None:
        """Convert `at` of bad_row and the rows after it as SQLAlchemy would (raising as it would)."""
        if self.to_python is not None:
            for i, r in enumerate(rows):
                if r is bad_row:
                    break
            for r in rows[i:]:
                self.to_python(r[3] if self.stored_text else r[13])

    def _raise(self, e: Exception, sql: str, cur) -> None:
        if self.dialect.is_disconnect(e, self.fairy, cur):
            self.conn.invalidate(e)
        raise exc.DBAPIError.instance(sql, (), e, self.dialect.loaded_dbapi.Error, dialect=self.dialect) from e

    def batches(self, after=_START):
        """Lists of `batch` rows (the last one shorter) in seq order: from the first row, or (SQLite) the
        rows with seq > after."""
        batch = self.batch
        if self.stored_text:
            cur = self.fairy.cursor()
            sql, params = (self.sql, ()) if after is _START else (_SQLITE_SQL_AFTER, (after,))
        else:
            cur, sql, params = self.cursor, self.sql, None
        try:
            cur.execute(sql, params)
            if not (READ_AHEAD and self.read_ahead):
                while True:
                    rows = cur.fetchmany(batch)
                    if not rows:
                        return
                    yield rows
            # PostgreSQL: a thread fetches the next batch while this one is hashed (psycopg lets go of
            # the GIL while the server works and the rows travel). At most two batches wait; the
            # thread's errors are raised here. Not on SQLite: sqlite3 builds its rows holding the GIL
            # (and lets go of it and takes it back for every column), and a thread gained nothing there.
            ahead: queue.Queue = queue.Queue(maxsize=2)
            stop = threading.Event()

            def fetch() -> None:
                try:
                    while not stop.is_set():
                        rows = cur.fetchmany(batch)
                        ahead.put(rows)
                        if not rows:
                            return
                except BaseException as e:  # noqa: BLE001 - handed to the reading thread
                    ahead.put(e)

            reader = threading.Thread(target=fetch, name="verify-read-ahead", daemon=True)
            reader.start()
            try:
                while True:
                    rows = ahead.get()
                    if isinstance(rows, BaseException):
                        raise rows
                    if not rows:
                        return
                    yield rows
            finally:
                stop.set()                       # verify stopped early, or raised: end the thread
                while reader.is_alive():
                    try:
                        ahead.get_nowait()       # a full queue must not hold it in put()
                    except queue.Empty:
                        pass
                    reader.join(0.01)
        except self.dialect.loaded_dbapi.Error as e:
            self._raise(e, sql, cur)
        finally:
            if self.stored_text:
                cur.close()

    def walk(self, after, count: int, expected_seq, prev_hash: str):
        """SQLite: check the events after `after` (or from the first) inside SQLite's scan, in seq order,
        with the state of the walk so far (`count` a multiple of the batch size). SQLite calls a
        Python function with each event's 13 stored values, converted as sqlite3 converts a row's
        (the same objects the Core path hashes: int, str, None, float, bytes), and it checks what
        _check checks, the same way. No row is built: sqlite3 lets go of the GIL and takes it back
        for every column of a row it hands over (_pysqlite_fetch_one_row), a function call takes it
        once per event; reading the rows was ~70 % of the time. The function passes only what _check
        would pass without a word: at the first event it does not (a problem, an error, text that is
        not UTF-8), SQLite stops, and _check reads the batch holding that event as the old verifier
        read it (and raises what it raised).

        Returns (True, count, prev_hash) if every event passed; else (False, count, expected_seq,
        prev_hash, after) at the start of the batch where the walk stopped."""
        batch, sha, fromiso, slow_at = self.batch, hashlib.sha256, dt.datetime.fromisoformat, self.slow_at
        good, next_boundary, boundary = count, count + batch, (count, expected_seq, prev_hash, after)
        stopped, interrupt = False, None

        def check(seq, prev, case_id, at, actor_id, actor, role, unit_id, kind, from_state, to_state, payload, h):
            nonlocal expected_seq, prev_hash, good, next_boundary, boundary, stopped, interrupt
            if stopped:
                return 1
            try:
                if seq != expected_seq or prev != prev_hash:
                    stopped = True
                    return 1
                if len(at) == 26 and at[4:20:3] == "-- ::." and at[0] != "0" and fromiso(at).tzinfo is None:
                    at = at.replace(" ", "T")           # as _check reads it
                else:
                    at = slow_at(at)
                # event_hash(), inline: the same bytes ((head + payload).encode() is head.encode() +
                # payload.encode(); str + anything else raises there, .encode() of anything else here)
                x = sha(f"{seq}\n{prev}\n{case_id}\n{at}Z\n{actor_id}\n{actor}\n{role}\n{unit_id}\n{kind}\n"
                        f"{from_state}\n{to_state}\n".encode())
                x.update(payload.encode())
                if x.hexdigest() != h:
                    stopped = True
                    return 1
                expected_seq, prev_hash, good = seq + 1, h, good + 1
                if good == next_boundary:
                    boundary, next_boundary = (good, expected_seq, h, seq), next_boundary + batch
                return 0
            except BaseException as e:  # noqa: BLE001 - never out of the function: SQLite would swallow it
                stopped = True
                if not isinstance(e, Exception):
                    interrupt = e               # KeyboardInterrupt and the like: raised below
                return 1

        driver, dbapi = self.driver, self.dialect.loaded_dbapi
        sql, params = (_SQLITE_CHECK_FIRST, ()) if after is _START else (_SQLITE_CHECK_AFTER, (after,))
        driver.create_function(_CHECK_FN, 13, check if _WRAP_CHECK is None else _WRAP_CHECK(check))
        cur = driver.cursor()
        try:
            if not self._in_seq_order(cur, sql, params):
                self.can_walk = False
                return False, count, expected_seq, prev_hash, after
            try:
                cur.execute(sql, params)
                if cur.fetchone() is not None:      # LIMIT 1: SQLite calls the function no further
                    stopped = True
            except dbapi.Error:
                stopped = True          # a value sqlite3 could not hand over (not UTF-8), or any error:
                                        # _check's read of that batch raises it, or gets past it
        finally:
            cur.close()
            driver.create_function(_CHECK_FN, 13, None)     # lets go of `check` and what it holds
        if interrupt is not None:
            raise interrupt
        if not stopped:
            return True, good, prev_hash
        return (False, *boundary)

    def _in_seq_order(self, cur, sql: str, params) -> bool:
        """The function must see the events in seq order, one at a time: SQLite walking the primary
        key's index and stopping at the first row it returns, not sorting afterwards (which would call
        the function on every row first, in rowid order)."""
        ok = self.plans.get(sql)
        if ok is None:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            ok = self.plans[sql] = "TEMP B-TREE" not in " ".join(str(r[-1]) for r in cur.fetchall()).upper()
        return ok

    def close(self) -> None:
        if self.cursor is None:
            return
        try:
            self.cursor.close()
        except Exception:  # noqa: BLE001 - a failed transaction's cursor; the caller's error matters
            pass


class _NoRawPath(Exception):
    pass


RAW = os.environ.get("CADREFLOW_FAST_VERIFY", "1") not in ("0", "false", "no", "off")
READ_AHEAD = True           # bench/verify_speed.py turns it off to compare
CHECK_IN_SCAN = True        # SQLite: _Raw.walk; bench/verify_speed.py turns it off to compare
_WRAP_CHECK = None          # tests: wraps the function SQLite calls (to stop the walk where they choose)


def _check(raw: _Raw, rows: list, prev_hash, expected_seq, count: int, head_seq: int):
    """Walk one batch as the old verifier did. Returns (the first bad event's Verification or None,
    prev_hash, expected_seq, count after the batch)."""
    sha, fromiso, slow_at, stored_text = hashlib.sha256, dt.datetime.fromisoformat, raw.slow_at, raw.stored_text
    for r in rows:
        seq = r[0]
        if seq != expected_seq:
            what = (f"event {expected_seq} is missing (deleted)" if seq > expected_seq
                    else f"event {seq} is out of order")
            bad = Verification(False, count, expected_seq, what, head_seq)
            break
        if r[1] != prev_hash:
            bad = Verification(False, count, seq, f"event {seq} does not follow event {seq - 1} "
                                                  "(inserted, reordered or the previous one was changed)",
                               head_seq)
            break
        # `at` as iso() writes it, less the final "Z" (added below).
        at = r[3]
        if stored_text:
            # SQLite's text 'YYYY-MM-DD HH:MM:SS.ffffff' is iso()'s with 'T' (and 'Z') when it has
            # exactly that shape, the year has 4 digits (iso() leaves years below 1000 unpadded)
            # and it is a real, naive time: fromisoformat, as SQLAlchemy reads it, takes it and
            # gives no zone (it refuses Feb 30 or 25:00 with the same error the Core path raises).
            # Anything else goes the Core path's way: SQLAlchemy's conversion, then iso().
            try:
                if len(at) == 26 and at[4:20:3] == "-- ::." and at[0] != "0" and fromiso(at).tzinfo is None:
                    at = at.replace(" ", "T")
                else:
                    at = slow_at(at)
            except TypeError:           # not text (a tampered row): len() of a number
                at = slow_at(at)
        elif at is None:                # PostgreSQL, outside the years the database writes
            at = slow_at(r[13])
        # event_hash(), inline: the same bytes
        if sha((f"{seq}\n{r[1]}\n{r[2]}\n{at}Z\n{r[4]}\n{r[5]}\n{r[6]}\n{r[7]}\n{r[8]}\n{r[9]}\n"
                f"{r[10]}\n" + r[11]).encode("utf-8")).hexdigest() != r[12]:
            bad = Verification(False, count, seq, f"event {seq} was changed after it was written", head_seq)
            break
        prev_hash, expected_seq, count = r[12], seq + 1, count + 1
    else:
        return None, prev_hash, expected_seq, count
    # The Core path read a whole batch, converting every `at`, before looking at its rows:
    # an unreadable time later in the batch raised before the bad event was named.
    raw.read_rest(rows, r)
    return bad, prev_hash, expected_seq, count


def verify(conn: Connection, batch: int = 5000) -> Verification:
    """Walk the whole log in seq order and name the first bad event. On SQLite (sqlite3) and
    PostgreSQL (psycopg) the rows are read on the driver's cursor, in the caller's transaction (on
    SQLite, checked inside SQLite's scan: _Raw.walk); any other driver goes through Core
    (`verify_core`): the same answers."""
    if not RAW:
        return verify_core(conn, batch)
    try:
        raw = _Raw(conn, batch)
    except _NoRawPath:
        return verify_core(conn, batch)
    head = conn.execute(_HEAD).first()
    head_seq = head.seq if head else 0
    try:
        if raw.stored_text:
            return _verify_sqlite(raw, head, head_seq)
        prev_hash, expected_seq, count = GENESIS, 1, 0
        batches = raw.batches()
        try:
            for rows in batches:
                bad, prev_hash, expected_seq, count = _check(raw, rows, prev_hash, expected_seq, count, head_seq)
                if bad is not None:
                    return bad
        finally:
            batches.close()         # ends the read-ahead thread before the cursor is closed
    finally:
        raw.close()
    return _ending(head, count, prev_hash)


def _verify_sqlite(raw: _Raw, head, head_seq: int) -> Verification:
    """The walk in SQLite's scan as far as it goes; where it stops, that batch read and walked as the
    old verifier did (_check), then the walk again from the next batch."""
    prev_hash, expected_seq, count, after = GENESIS, 1, 0, _START
    while True:
        if raw.can_walk:
            done, *state = raw.walk(after, count, expected_seq, prev_hash)
            if done:
                count, prev_hash = state
                return _ending(head, count, prev_hash)
            count, expected_seq, prev_hash, after = state
        batches = raw.batches(after)
        try:
            for rows in batches:
                bad, prev_hash, expected_seq, count = _check(raw, rows, prev_hash, expected_seq, count, head_seq)
                if bad is not None:
                    return bad
                after = rows[-1][0]
                if len(rows) < raw.batch:
                    return _ending(head, count, prev_hash)
                if raw.can_walk:
                    break               # the walk again, from the next batch
            else:
                return _ending(head, count, prev_hash)
        finally:
            batches.close()


def _ending(head, count: int, prev_hash: str) -> Verification:
    if head is None:
        return Verification(count == 0, count, None if count == 0 else 1,
                            None if count == 0 else "the chain head is missing", 0)
    if count > head.seq:
        return Verification(False, count, head.seq + 1, f"event {head.seq + 1} and after were written behind "
                            f"the chain head's back (the head says the record ends at {head.seq})", head.seq)
    if count < head.seq:
        return Verification(False, count, count + 1, f"the record ends at event {count} but the chain head says "
                            f"{head.seq}: the newest events were deleted", head.seq)
    if head.hash != prev_hash:
        return Verification(False, count, head.seq, f"event {head.seq} does not match the chain head "
                            "(the event or the head was altered)", head.seq)
    return Verification(True, count, head_seq=head.seq)


def verify_core(conn: Connection, batch: int = 5000) -> Verification:
    """The same walk through SQLAlchemy Core, keyset batches: for drivers the raw path does not know.
    From the log's first row, as the raw path reads it (an event forged at seq 0 or below is out of
    order, not out of sight)."""
    head = conn.execute(_HEAD).first()
    head_seq = head.seq if head else 0
    prev_hash, expected_seq, count = GENESIS, 1, 0
    first = select(*_COLS).order_by(events.c.seq).limit(batch)
    last = None
    while True:
        rows = conn.execute(first if last is None else first.where(events.c.seq > last)).all()
        if not rows:
            break
        for r in rows:
            seq = r[0]
            if seq != expected_seq:
                what = (f"event {expected_seq} is missing (deleted)" if seq > expected_seq
                        else f"event {seq} is out of order")
                return Verification(False, count, expected_seq, what, head_seq)
            if r[1] != prev_hash:
                return Verification(False, count, seq, f"event {seq} does not follow event {seq - 1} "
                                                       "(inserted, reordered or the previous one was changed)",
                                    head_seq)
            h = event_hash(seq, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11])
            if h != r[12]:
                return Verification(False, count, seq, f"event {seq} was changed after it was written", head_seq)
            prev_hash, expected_seq, count, last = r[12], seq + 1, count + 1, seq
    return _ending(head, count, prev_hash)

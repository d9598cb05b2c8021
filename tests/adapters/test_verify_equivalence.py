"""The record's verifier (workflow/adapters/eventlog.py: keyset batches read on the driver's cursor,
each walked by workflow/domain/chain.py) answers exactly as the verifier it replaced, kept here as
the reference: the same Verification (ok, count, first bad seq, problem text, head) or the same
exception, for random tamperings of a generated chain, on SQLite and PostgreSQL: every tampering
the old verifier found, the new one finds, and says so in the same words."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, DBAPIError

from workflow.domain import chain as audit
from workflow.domain.chain import Verification, event_hash
from workflow.adapters.db import GENESIS
from workflow.adapters.tables import chain_head, events


# ---- the reference: audit.verify as it was before the raw path (commit ce69e91) ------------------

def old_verify(conn: Connection, batch: int = 5000, first_row: bool = False) -> Verification:
    """The old verifier, as it was; `first_row`: its first batch from the log's first row instead of
    seq > 0, as the raw path has read it since 0f557b5 (an event forged at seq 0 or below was out of
    sight here; see test_an_event_forged_below_seq_1_is_reported)."""
    head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).first()
    cols = (events.c.seq, events.c.prev_hash, events.c.case_id, events.c.at, events.c.actor_id,
            events.c.actor, events.c.role, events.c.unit_id, events.c.kind, events.c.from_state,
            events.c.to_state, events.c.payload, events.c.hash)
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last = None if first_row else 0
    while True:
        q = select(*cols).order_by(events.c.seq).limit(batch)
        rows = conn.execute(q if last is None else q.where(events.c.seq > last)).all()
        if not rows:
            break
        for r in rows:
            seq = r[0]
            if seq != expected_seq:
                what = (f"event {expected_seq} is missing (deleted)" if seq > expected_seq
                        else f"event {seq} is out of order")
                return Verification(False, count, expected_seq, what, head.seq if head else 0)
            if r[1] != prev_hash:
                return Verification(False, count, seq, f"event {seq} does not follow event {seq - 1} "
                                                       "(inserted, reordered or the previous one was changed)",
                                    head.seq if head else 0)
            h = event_hash(seq, r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11])
            if h != r[12]:
                return Verification(False, count, seq, f"event {seq} was changed after it was written",
                                    head.seq if head else 0)
            prev_hash, expected_seq, count, last = r[12], seq + 1, count + 1, seq
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


def reference_verify(conn: Connection, batch: int = 5000) -> Verification:
    """What audit.verify and verify_core must answer: the old verifier, from the log's first row."""
    return old_verify(conn, batch, first_row=True)


# ---- a chain, and ways to tamper with it ---------------------------------------------------------

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)
N = 12


def _row(seq: int, prev: str, at: dt.datetime, i: int) -> dict:
    payload = audit.canonical({"step": "criteria", "n": i, "tên": "Nguyễn Văn An", "note": "a\nb"})
    row = dict(seq=seq, case_id=None if i % 4 == 0 else i % 3 + 1, at=at, actor_id=None if i % 5 == 0 else i,
               actor=f"user{i}", role="staff", unit_id=None if i % 3 == 0 else 7, kind="form_recorded",
               from_state=None if i % 2 else "criteria", to_state="criteria", payload=payload, prev_hash=prev)
    row["hash"] = event_hash(seq, prev, row["case_id"], at, row["actor_id"], row["actor"], row["role"],
                             row["unit_id"], row["kind"], row["from_state"], row["to_state"], payload)
    return row


def _build(store, n: int) -> list[dict]:
    rows, prev = [], GENESIS
    for i in range(n):
        # microseconds 0 and not, a year boundary (UTC: the service stores UTC)
        at = T0 + dt.timedelta(hours=11 * i, microseconds=-6 if i % 3 == 0 else i)
        if i == 5:
            at = dt.datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)
        r = _row(i + 1, prev, at, i)
        rows.append(r)
        prev = r["hash"]
    with store.core() as c:
        c.execute(delete(events))
        c.execute(delete(chain_head))
        if rows:
            c.execute(events.insert(), rows)
        c.execute(chain_head.insert().values(id=1, seq=n, hash=prev))
    return rows


def _slice_hash(r: dict, at_text: str) -> str:
    """A hash over `at` written as the stored text with 'T' and 'Z', whatever that text is: what a
    verifier that trusted the text's shape without checking it would accept."""
    head = (f"{r['seq']}\n{r['prev_hash']}\n{r['case_id']}\n{at_text[:10]}T{at_text[11:]}Z\n{r['actor_id']}\n"
            f"{r['actor']}\n{r['role']}\n{r['unit_id']}\n{r['kind']}\n{r['from_state']}\n{r['to_state']}\n")
    return hashlib.sha256((head + r["payload"]).encode("utf-8")).hexdigest()


# Stored `at` values written past SQLAlchemy's type (as text on SQLite; cast on PostgreSQL).
SQLITE_AT = ["2026-01-02T03:04:05.000006", "2026-01-02 03:04:05", "2026-01-02 03:04:05.000006+07:00",
             "2026-01-02 03:04:05.0+0700", "0999-01-02 03:04:05.000006", "2026-02-30 03:04:05.000006",
             "2026-01-02 25:04:05.000006", "2026-01-02 03:04:05,000006", "2026-01-02 03:04:05.00000Z",
             "2026-01-02x03:04:05.000006", "20260102T030405.000006000", "bogus", "2024-02-29 23:59:59.999999",
             "1000-01-01 00:00:00.000000", "9999-12-31 23:59:59.999999", 5, 1.5, "2026-01-02 03:04:05.123",
             "2026-01-02 03:04:05.1234567"]
PG_AT = ["0999-06-01 00:00:00+00", "1000-01-01 00:00:00+00", "0999-12-31 23:59:59.999999+00",
         "9999-12-31 23:59:59.999999+00", "2026-01-02 03:04:05.5+07", "2026-01-02 03:04:05-11:30",
         "infinity", "-infinity", "10000-01-01 00:00:00+00", "0044-03-15 12:00:00+00 BC"]
EDITS = [("payload", '{"n":99}'), ("actor", "someone"), ("role", "admin"), ("unit_id", 999), ("unit_id", None),
         ("kind", "cancelled"), ("from_state", None), ("to_state", "x"), ("case_id", 999), ("actor_id", 42),
         ("at", T0 + dt.timedelta(microseconds=1)), ("at", dt.datetime(999, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)),
         ("prev_hash", "f" * 64), ("hash", "0" * 64)]

# Values SQLite keeps in any column whatever its declared type (a REAL in an INTEGER column, a BLOB
# in a text one, text in a number one, NUL inside text): the Core path hashes Python's rendering of
# what sqlite3 hands back (repr of a float, b'...' of bytes). NOT_UTF8: stored text sqlite3 cannot
# decode (the Core path raises).
RAW_VALUES = [1.5, 1e16, 0.30000000000000004, 2**63 - 1, -7, "12abc", "None", "", "a\x00b", "é\x00",
              b"\xff\xfe", b"abc", None]
RAW_COLUMNS = ["seq", "case_id", "actor_id", "unit_id", "actor", "role", "kind", "from_state", "to_state", "payload",
               "prev_hash", "hash", "at"]
NOT_NULL = {"seq", "at", "actor", "role", "kind", "payload", "prev_hash", "hash"}
NOT_UTF8 = "CAST(x'ff41' AS TEXT)"

seqs = st.integers(1, N)
tamperings = st.one_of(
    st.tuples(st.just("edit"), seqs, st.sampled_from(EDITS), st.booleans()),      # bool: rehash it
    st.tuples(st.just("raw_at"), seqs, st.integers(0, 100), st.sampled_from(["none", "core", "slice"])),
    st.tuples(st.just("delete"), seqs),
    st.tuples(st.just("delete_newest"), st.integers(1, 3)),
    st.tuples(st.just("swap"), seqs, seqs),
    st.tuples(st.just("forge_after"), st.booleans()),                               # bool: move the head too
    st.tuples(st.just("head"), st.sampled_from(["hash", "seq+1", "seq-1", "missing"])),
    st.tuples(st.just("empty"), st.booleans()),                                     # bool: keep the head
    # SQLite only: an odd value in a column (bool: rehash it as the Core path reads it), text not UTF-8
    st.tuples(st.just("raw_value"), seqs, st.sampled_from(RAW_COLUMNS), st.integers(0, len(RAW_VALUES) - 1),
              st.booleans()),
    st.tuples(st.just("not_utf8"), seqs, st.sampled_from(RAW_COLUMNS[1:])),
    st.tuples(st.just("rechain"), seqs, st.sampled_from(["core", "slice", "str"])),
)


def _apply(store, rows: list[dict], t: tuple) -> None:
    with store.core() as c:
        try:
            _tamper(c, not store.is_sqlite, t)
        except DBAPIError:
            if not store.is_sqlite:
                raise
            # SQLite: a row an earlier step made unreadable (text that is not UTF-8): this step stops
            # there, what it wrote stays (a failed SELECT leaves SQLite's transaction as it was)


def _tamper(c, pg: bool, t: tuple) -> None:
    try:
        present = {r[0] for r in c.execute(select(events.c.seq))}
    except DBAPIError:          # a seq made text that is not UTF-8 (not_utf8): the numbers
        present = {r[0] for r in c.execute(text("SELECT seq FROM events WHERE typeof(seq) <> 'text'"))}
    kind = t[0]
    if kind == "edit":
        _, seq, (col, value), rehash = t
        if seq not in present:
            return
        c.execute(update(events).where(events.c.seq == seq).values({col: value}))
        if rehash and col != "hash":
            try:
                e = c.execute(select(events).where(events.c.seq == seq)).one()
            except (ValueError, TypeError):         # a time made unreadable by an earlier step
                return
            at = e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.timezone.utc)
            h = event_hash(e.seq, e.prev_hash, e.case_id, at, e.actor_id, e.actor, e.role, e.unit_id, e.kind,
                           e.from_state, e.to_state, e.payload)
            c.execute(update(events).where(events.c.seq == seq).values(hash=h))
    elif kind == "raw_at":
        _, seq, pick, rehash = t
        if seq not in present:
            return
        values = PG_AT if pg else SQLITE_AT
        value = values[pick % len(values)]
        if pg:
            c.execute(text("UPDATE events SET at = CAST(:v AS timestamptz) WHERE seq = :s"), {"v": value, "s": seq})
        else:
            c.execute(text("UPDATE events SET at = :v WHERE seq = :s"), {"v": value, "s": seq})
        e = dict(c.execute(select(*[col for col in events.c if col.name != "at"]).where(events.c.seq == seq))
                 .one()._mapping)
        if rehash == "core":          # as an honest writer of that instant would have hashed it
            try:
                at = c.execute(select(events.c.at).where(events.c.seq == seq)).scalar_one()
            except (ValueError, TypeError, DataError):      # a time Python cannot hold
                return
            h = event_hash(seq, e["prev_hash"], e["case_id"], at, e["actor_id"], e["actor"], e["role"],
                           e["unit_id"], e["kind"], e["from_state"], e["to_state"], e["payload"])
            c.execute(update(events).where(events.c.seq == seq).values(hash=h))
        elif rehash == "slice" and isinstance(value, str):
            stored = value if not pg else c.execute(text(
                "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM events WHERE seq = :s"),
                {"s": seq}).scalar_one()
            if stored is None:            # ±infinity
                return
            c.execute(update(events).where(events.c.seq == seq).values(hash=_slice_hash(e, stored)))
    elif kind == "delete":
        c.execute(delete(events).where(events.c.seq == t[1]))
    elif kind == "delete_newest":
        top = max(present, default=0)
        c.execute(delete(events).where(events.c.seq > top - t[1]))
    elif kind == "swap":
        a, b = t[1], t[2]
        if a == b or a not in present or b not in present:
            return
        c.execute(update(events).where(events.c.seq == a).values(seq=-1))
        c.execute(update(events).where(events.c.seq == b).values(seq=a))
        c.execute(update(events).where(events.c.seq == -1).values(seq=b))
    elif kind == "forge_after":
        top = max(present, default=0)
        last = c.execute(select(events.c.hash).where(events.c.seq == top)).scalar() or GENESIS
        r = _row(top + 1, last, T0 + dt.timedelta(days=30), 3)
        c.execute(events.insert().values(**r))
        if t[1]:
            c.execute(update(chain_head).values(seq=top + 1, hash=r["hash"]))
    elif kind == "head":
        what = t[1]
        if what == "hash":
            c.execute(update(chain_head).values(hash="f" * 64))
        elif what == "seq+1":
            c.execute(update(chain_head).values(seq=chain_head.c.seq + 1))
        elif what == "seq-1":
            c.execute(update(chain_head).values(seq=chain_head.c.seq - 1))
        else:
            c.execute(delete(chain_head))
    elif kind == "empty":
        c.execute(delete(events))
        if not t[1]:
            c.execute(delete(chain_head))
    elif kind == "raw_value":
        _, seq, col, pick, rehash = t
        value = RAW_VALUES[pick]
        if pg or seq not in present or (value is None and col in NOT_NULL):
            return
        if col == "seq" and c.execute(text("SELECT 1 FROM events WHERE seq = :v"), {"v": value}).first():
            return
        rowid = c.execute(text("SELECT rowid FROM events WHERE seq = :s"), {"s": seq}).scalar_one()
        c.execute(text(f"UPDATE events SET {col} = :v WHERE rowid = :r"), {"v": value, "r": rowid})
        if rehash and col != "hash":
            try:
                e = c.execute(select(events).where(text("rowid = :r")), {"r": rowid}).one()
                at = e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.timezone.utc)
                h = event_hash(e.seq, e.prev_hash, e.case_id, at, e.actor_id, e.actor, e.role, e.unit_id,
                               e.kind, e.from_state, e.to_state, e.payload)
            except Exception:  # noqa: BLE001 - a value the Core path cannot read or hash: left so
                return
            c.execute(text("UPDATE events SET hash = :h WHERE rowid = :r"), {"h": h, "r": rowid})
    elif kind == "not_utf8":
        _, seq, col = t
        if pg or seq not in present:
            return
        c.execute(text(f"UPDATE events SET {col} = {NOT_UTF8} WHERE seq = :s"), {"s": seq})
    elif kind == "rechain":
        _rechain(c, pg, t[1], t[2])


def _rechain(c, pg: bool, start: int, how: str) -> None:
    """A forger who signs again every event from the start-th (in seq order) on, each prev_hash the
    previous event's new hash, and moves the head's hash: what is left to see is how each event was
    hashed. "core": as the Core path reads it (an honest re-signing of whatever is stored: the
    reference accepts what it can read); "slice" (SQLite): `at` as its stored text with 'T' and 'Z',
    what a verifier that trusted the text's shape would accept; "str" (SQLite): that, and str() of a
    payload that is not text (b'...' of a BLOB)."""
    if pg:
        try:
            with c.begin_nested():
                rows = c.execute(select(events).order_by(events.c.seq)).all()
        except DataError:           # a time Python cannot hold (±infinity, after 9999): nothing to read
            return
        where, key = "seq = :k", lambda r: r.seq
    else:
        try:
            rows = c.execute(text("SELECT rowid AS rid, * FROM events ORDER BY seq")).all()  # as stored
        except Exception:  # noqa: BLE001 - text that is not UTF-8: nothing this forger can read
            return
        where, key = "rowid = :k", lambda r: r.rid
    to_python = events.c.at.type.dialect_impl(c.dialect).result_processor(c.dialect, None)
    prev = rows[start - 2].hash if 1 < start <= len(rows) else GENESIS
    for r in rows[start - 1:]:
        try:
            if how == "core":
                at = to_python(r.at) if (to_python and not pg) else r.at
                h = event_hash(r.seq, prev, r.case_id, at, r.actor_id, r.actor, r.role, r.unit_id, r.kind,
                               r.from_state, r.to_state, r.payload)
            elif not pg:
                head = (f"{r.seq}\n{prev}\n{r.case_id}\n{r.at[:10]}T{r.at[11:]}Z\n{r.actor_id}\n{r.actor}\n{r.role}\n"
                        f"{r.unit_id}\n{r.kind}\n{r.from_state}\n{r.to_state}\n")
                payload = str(r.payload) if how == "str" else r.payload
                h = hashlib.sha256((head + payload).encode("utf-8")).hexdigest()
            else:
                return
        except Exception:  # noqa: BLE001 - a value this forger cannot hash: the chain is left there
            return
        c.execute(text(f"UPDATE events SET prev_hash = :p, hash = :h WHERE {where}"), {"p": prev, "h": h, "k": key(r)})
        prev = h
    c.execute(update(chain_head).values(hash=prev))


def _outcome(store, fn, **kw):
    try:
        with store.core() as c:
            return fn(c, **kw)
    except Exception as e:  # noqa: BLE001 - the same failure is part of the same answer
        return ("raised", type(e).__name__, type(getattr(e, "orig", None)).__name__)


def _verify(store, batch: int = 5000):
    """The verifier's outcome: its Verification, or the exception it raised (by class names)."""
    try:
        with store.read(snapshot=True) as uow:
            return uow.events.verify(batch)
    except Exception as e:  # noqa: BLE001 - the same failure is part of the same answer
        return ("raised", type(e).__name__, type(getattr(e, "orig", None)).__name__)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.sampled_from([0, 1, 2, N]), steps=st.lists(tamperings, max_size=3), batch=st.sampled_from([1, 3, 5000]))
def test_verify_answers_as_the_verifier_it_replaced(store, n, steps, batch):
    rows = _build(store, n)
    for t in steps:
        _apply(store, rows, t)
    expected = _outcome(store, reference_verify, batch=batch)
    assert _verify(store, batch) == expected, steps


def test_an_untouched_chain_with_every_kind_of_time_verifies(store):
    rows = _build(store, N)
    v = _verify(store)
    assert v == Verification(True, N, head_seq=N)
    assert v == _outcome(store, reference_verify)


@pytest.mark.parametrize("value", ["2026-02-30 03:04:05.000006", "2026-01-02 25:04:05.000006"])
def test_a_time_that_does_not_exist_with_a_hash_over_its_text_is_not_accepted(store, value):
    """A forger who hashes the stored text itself: the old verifier could not read the time and
    raised; the raw path must not take the text's shape for a valid time."""
    if not store.is_sqlite:
        pytest.skip("PostgreSQL refuses such a time")
    rows = _build(store, 3)
    with store.core() as c:
        c.execute(text("UPDATE events SET at = :v WHERE seq = 2"), {"v": value})
        c.execute(update(events).where(events.c.seq == 2).values(hash=_slice_hash(rows[1], value)))
    with pytest.raises(ValueError):
        with store.core() as c:
            reference_verify(c)
    with pytest.raises(ValueError):
        with store.read(snapshot=True) as uow:
            uow.events.verify()


@pytest.mark.parametrize("rehash", ["none", "core", "slice", "rechain core", "rechain slice"])
@pytest.mark.parametrize("pick", range(len(SQLITE_AT)))
def test_every_odd_stored_time_answers_as_the_verifier_it_replaced(store, pick, rehash):
    """Each odd stored `at` (wrong shape, year below 1000, a zone, a time that does not exist, not
    text), left as is, hashed as an honest writer would, or hashed over its text (that event alone,
    or it and every later event and the head): the same answer."""
    if not store.is_sqlite and pick >= len(PG_AT):
        pytest.skip("fewer odd times on PostgreSQL")
    rows = _build(store, 4)
    _apply(store, rows, ("raw_at", 2, pick, rehash.split()[-1] if not rehash.startswith("rechain") else "none"))
    if rehash.startswith("rechain"):
        _apply(store, rows, ("rechain", 2, rehash.split()[-1]))
    expected = _outcome(store, reference_verify)
    assert _verify(store) == expected


@pytest.mark.parametrize("edit", range(len(EDITS)))
@pytest.mark.parametrize("rehash", [False, True])
def test_every_edit_answers_as_the_verifier_it_replaced(store, edit, rehash):
    rows = _build(store, 4)
    _apply(store, rows, ("edit", 3, EDITS[edit], rehash))
    expected = _outcome(store, reference_verify)
    assert _verify(store) == expected


@pytest.mark.parametrize("batch", [1, 2, 5000])
@pytest.mark.parametrize("first", [("delete", 1), ("edit", 1, ("prev_hash", "f" * 64), False),
                                   ("edit", 1, ("payload", "{}"), False)])
@pytest.mark.parametrize("unreadable", [1, 2])
def test_an_unreadable_time_in_the_same_batch_as_the_first_bad_event_raises_as_before(store, batch, first,
                                                                                      unreadable):
    """The old verifier converted a whole batch before looking at its rows: a time it could not
    read, at or after the first bad event in that batch, raised instead of naming the event."""
    rows = _build(store, 4)
    _apply(store, rows, first)
    odd = SQLITE_AT.index("bogus") if store.is_sqlite else PG_AT.index("infinity")
    _apply(store, rows, ("raw_at", first[1] + unreadable - 1, odd, "none"))
    expected = _outcome(store, reference_verify, batch=batch)
    assert _verify(store, batch) == expected


@pytest.mark.parametrize("column", RAW_COLUMNS)
def test_every_odd_value_in_every_column_answers_as_the_verifier_it_replaced(store, column):
    """SQLite keeps any value in any column: each of RAW_VALUES and text that is not UTF-8, in each
    column of the second event, left as is or with that event and all after it signed again by a
    forger (as the Core path reads them, over `at`'s text, over str() of a payload): the same
    answer (or the same exception), in batches of 1 and 5000."""
    if not store.is_sqlite:
        pytest.skip("PostgreSQL's column types refuse these values")
    for pick in range(len(RAW_VALUES) + 1):
        for forger in ("none", "core", "slice", "str"):
            rows = _build(store, 4)
            _apply(store, rows, ("raw_value", 2, column, pick, False) if pick < len(RAW_VALUES)
                   else ("not_utf8", 2, column))
            if forger != "none":
                _apply(store, rows, ("rechain", 2, forger))
            value = RAW_VALUES[pick] if pick < len(RAW_VALUES) else "not UTF-8"
            for batch in (1, 5000):
                expected = _outcome(store, reference_verify, batch=batch)
                what = (column, value, forger, batch)
                assert _verify(store, batch) == expected, what


@pytest.mark.parametrize("seq", [0, -1])
def test_an_event_forged_below_seq_1_is_reported(store, seq):
    """An event stored at seq 0 or below is in no chain. verify reads the log from its first row and
    reports it (the old verifier, reading seq > 0, did not see it)."""
    rows = _build(store, 4)
    with store.core() as c:
        c.execute(events.insert().values(**_row(seq, GENESIS, T0, 1)))
    want = Verification(False, 0, 1, f"event {seq} is out of order", 4)
    for batch in (1, 5000):
        assert _verify(store, batch) == want
    assert _outcome(store, old_verify) == Verification(True, 4, head_seq=4)
    assert _outcome(store, reference_verify) == want

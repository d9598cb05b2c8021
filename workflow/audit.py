"""The record: an append-only, hash-chained event log, and its verifier.

Each event's hash is sha256 over its canonical fields plus the previous event's hash; the
`chain_head` row holds the newest seq and hash. `verify` walks the log in order and names the
first event that was edited, deleted, reordered or inserted, or a head that no longer matches
(the newest events were deleted)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
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


def verify(conn: Connection, batch: int = 5000) -> Verification:
    head = conn.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)).first()
    cols = (events.c.seq, events.c.prev_hash, events.c.case_id, events.c.at, events.c.actor_id,
            events.c.actor, events.c.role, events.c.unit_id, events.c.kind, events.c.from_state,
            events.c.to_state, events.c.payload, events.c.hash)
    prev_hash, expected_seq, count = GENESIS, 1, 0
    last = 0
    while True:
        rows = conn.execute(select(*cols).where(events.c.seq > last).order_by(events.c.seq).limit(batch)).all()
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

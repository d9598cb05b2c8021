"""The record: events appended to the hash chain in the caller's transaction, and the verifier
that walks the whole chain (workflow/domain/chain.py says what is checked)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime

from ..domain.chain import Verification, Walk, canonical, event_hash
from ..domain.people import Actor
from .sql import Runner, Statement

DT = DateTime(timezone=True)
LOCK_HEAD = Statement("SELECT seq, hash FROM chain_head WHERE id = 1{lock}", columns=("seq", "hash"))
HEAD = Statement("SELECT seq, hash FROM chain_head WHERE id = 1", columns=("seq", "hash"))
INSERT_EVENT = Statement(
    "INSERT INTO events (seq, case_id, at, actor_id, actor, role, unit_id, kind, from_state, to_state, payload, "
    "prev_hash, hash) VALUES (:seq, :case_id, :at, :actor_id, :actor, :role, :unit_id, :kind, :from_state, "
    ":to_state, :payload, :prev_hash, :hash)", types={"at": DT})
MOVE_HEAD = Statement("UPDATE chain_head SET seq = :seq, hash = :hash WHERE id = 1")
_FIELDS = ("seq", "prev_hash", "case_id", "at", "actor_id", "actor", "role", "unit_id", "kind", "from_state",
           "to_state", "payload", "hash")
# keyset batches in seq order, the first from the log's first row (an event forged at seq 0 or
# below is out of order, not out of sight)
# (`at` as the driver hands it over: the walk reads it as the column type does, Walk(read_time))
FIRST_BATCH = Statement(f"SELECT {', '.join(_FIELDS)} FROM events ORDER BY seq LIMIT :n", columns=_FIELDS)
NEXT_BATCH = Statement(f"SELECT {', '.join(_FIELDS)} FROM events WHERE seq > :after ORDER BY seq LIMIT :n",
                       columns=_FIELDS)
BATCH = 5000


class EventLog:
    def __init__(self, runner: Runner):
        self.sql = runner

    def append(self, actor: Actor, kind: str, *, at: dt.datetime, case_id: int | None = None,
               from_state: str | None = None, to_state: str | None = None, payload: dict | None = None) -> int:
        """Append one event; its seq. The chain head is locked first (FOR UPDATE; SQLite's write
        transaction is already alone), so the chain never forks."""
        head = self.sql.first(LOCK_HEAD)
        seq = head.seq + 1
        text = canonical(payload or {})
        h = event_hash(seq, head.hash, case_id, at, actor.id, actor.username, actor.role, actor.unit_id,
                       kind, from_state, to_state, text)
        self.sql.run(INSERT_EVENT, {
            "seq": seq, "case_id": case_id, "at": at, "actor_id": actor.id, "actor": actor.username,
            "role": actor.role, "unit_id": actor.unit_id, "kind": kind, "from_state": from_state,
            "to_state": to_state, "payload": text, "prev_hash": head.hash, "hash": h})
        self.sql.run(MOVE_HEAD, {"seq": seq, "hash": h})
        return seq

    def verify(self, batch: int = BATCH) -> Verification:
        """Walk the whole log in seq order and name the first bad event (run it in a snapshot:
        the head and the events must be read in one state)."""
        head = self.sql.first(HEAD)
        dialect = self.sql.dialect
        walk = Walk(head.seq if head else 0, DT.dialect_impl(dialect).result_processor(dialect, None))
        rows = self.sql.run(FIRST_BATCH, {"n": batch}, make=tuple)
        while rows:
            bad = walk.check(rows)
            if bad is not None:
                return bad
            if len(rows) < batch:
                break
            rows = self.sql.run(NEXT_BATCH, {"after": rows[-1][0], "n": batch}, make=tuple)
        return walk.end(None if head is None else (head.seq, head.hash))

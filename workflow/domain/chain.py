"""The record's hash chain, as pure functions: the canonical JSON of a payload, the time format,
THE event hash, and the walk that checks a run of events and names the first bad one. Reading
and writing the events is the adapters' (workflow/adapters/eventlog.py).

Each event's hash is sha256 over its fields plus the previous event's hash; the chain head holds
the newest seq and hash, so deleting the newest events shows too."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable

GENESIS = "0" * 64


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
    """One line per field, in a fixed order: cheap to build, unambiguous (no field holds a newline
    except the payload, which is last)."""
    head = f"{seq}\n{prev}\n{case_id}\n{iso(at)}\n{actor_id}\n{actor}\n{role}\n{unit_id}\n{kind}\n{from_state}\n{to_state}\n"
    return hashlib.sha256((head + payload_text).encode("utf-8")).hexdigest()


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


class Walk:
    """The events in seq order, batch after batch: `check(rows)` answers the first bad event's
    Verification, or None while all is well; `end(head)` the verdict once every row was seen.
    A row is (seq, prev_hash, case_id, at, actor_id, actor, role, unit_id, kind, from_state,
    to_state, payload, hash); `read_time` turns a row's `at` as stored into a datetime (when the
    database keeps it as text)."""

    def __init__(self, head_seq: int, read_time: Callable[[Any], dt.datetime] | None = None):
        self.head_seq, self.prev_hash, self.expected, self.count = head_seq, GENESIS, 1, 0
        self.read_time = read_time

    def check(self, rows: Iterable[tuple]) -> Verification | None:
        read_time = self.read_time
        if read_time is not None:       # a whole batch is read before its rows are looked at
            rows = [(*r[:3], read_time(r[3]), *r[4:]) for r in rows]
        for r in rows:
            seq = r[0]
            if seq != self.expected:
                what = (f"event {self.expected} is missing (deleted)" if seq > self.expected
                        else f"event {seq} is out of order")
                return Verification(False, self.count, self.expected, what, self.head_seq)
            if r[1] != self.prev_hash:
                return Verification(False, self.count, seq, f"event {seq} does not follow event {seq - 1} "
                                    "(inserted, reordered or the previous one was changed)", self.head_seq)
            if event_hash(*r[:12]) != r[12]:
                return Verification(False, self.count, seq, f"event {seq} was changed after it was written",
                                    self.head_seq)
            self.prev_hash, self.expected, self.count = r[12], seq + 1, self.count + 1
        return None

    def end(self, head: tuple[int, str] | None) -> Verification:
        """`head`: the chain head's (seq, hash), None when the row is missing."""
        count, prev = self.count, self.prev_hash
        if head is None:
            return Verification(count == 0, count, None if count == 0 else 1,
                                None if count == 0 else "the chain head is missing", 0)
        seq, h = head
        if count > seq:
            return Verification(False, count, seq + 1, f"event {seq + 1} and after were written behind "
                                f"the chain head's back (the head says the record ends at {seq})", seq)
        if count < seq:
            return Verification(False, count, count + 1, f"the record ends at event {count} but the chain head "
                                f"says {seq}: the newest events were deleted", seq)
        if h != prev:
            return Verification(False, count, seq, f"event {seq} does not match the chain head "
                                "(the event or the head was altered)", seq)
        return Verification(True, count, head_seq=seq)

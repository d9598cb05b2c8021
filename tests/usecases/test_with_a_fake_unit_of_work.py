"""The write side's use cases on a fake unit of work (in-memory repositories, no database): load,
decide, save, commit — what a use case does is seen whole, and the rules it applies come from
the domain alone."""
from __future__ import annotations

import dataclasses
import datetime as dt
from contextlib import contextmanager

import pytest

from workflow.domain.case import CaseRow, Record
from workflow.domain.errors import Forbidden, NotFound, VersionConflict
from workflow.domain.people import User
from workflow.usecases.cases import CaseCommands
from workflow.usecases.common import Context
from tests.support import CRITERIA

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)
PEOPLE = {1: User(1, "staff", "Staff", "staff", 2, "/1/2/", "Huyện", True),
          2: User(2, "lead", "Lead", "supervisor", 2, "/1/2/", "Huyện", True),
          3: User(3, "other", "Other", "staff", 3, "/1/3/", "Huyện khác", True)}
UNITS = {2: ("Huyện", "/1/2/"), 3: ("Huyện khác", "/1/3/")}


class FakeCases:
    """The case repository, in memory."""

    def __init__(self):
        self.rows: dict[int, CaseRow] = {}
        self.stored: list[tuple[int, Record, bool]] = []       # (case id, record, live)
        self.pins: dict[tuple, str] = {}

    def user(self, user_id):
        return PEOPLE.get(user_id)

    def case(self, case_id):
        return self.rows.get(case_id)

    def user_and_case(self, user_id, case_id):
        return PEOPLE.get(user_id), self.rows.get(case_id)

    def records(self, case_id):
        return [r for cid, r, live in self.stored if cid == case_id and live]

    def save(self, row, values, change, actor_id):
        if self.rows[row.id].version != row.version:
            return False
        self.rows[row.id] = dataclasses.replace(row, **values)
        gone = lambda cid, r: cid == row.id and any(  # noqa: E731
            r.step_key in steps and (kinds is None or r.kind in kinds) for steps, kinds in change.supersede)
        self.stored = [(cid, r, live and not gone(cid, r)) for cid, r, live in self.stored]
        self.stored += [(row.id, Record(s, k, p, values["updated_at"]), True) for s, k, p in change.add]
        return True

    def insert(self, values):
        cid = len(self.rows) + 1
        name, path = UNITS[values["unit_id"]]
        self.rows[cid] = CaseRow(id=cid, unit_path=path, unit_name=name, **values)
        return cid

    def pinned(self, key, version):
        return self.pins.get((key, version))

    def pin(self, key, version, fingerprint, now):
        return self.pins.setdefault((key, version), fingerprint)


class FakeLog(list):
    """The event log: each event's (who, kind, case, from, to)."""

    def append_event(self, actor, kind, *, at, case_id=None, from_state=None, to_state=None, payload=None):
        self.append((actor.username, kind, case_id, from_state, to_state))
        return len(self)


class FakeUnitOfWork:
    def __init__(self, store: "FakeStore"):
        self.cases, self.keys, self.people = store.cases, self, self
        self.events = type("Events", (), {"append": store.events.append_event})()
        self._keys = store.keys

    def replay(self, user_id, key):
        return self._keys.get((user_id, key))

    def remember(self, user_id, key, fp, response, now):
        self._keys[(user_id, key)] = (fp, dict(response))

    def unit(self, unit_id):
        name, path = UNITS[unit_id]
        return type("Unit", (), {"id": unit_id, "name": name, "path": path, "head_user_id": None})

    def delegations(self, unit_id):
        return []


class FakeStore:
    """Store.write/read over the fake repositories; a unit that raises keeps nothing it changed."""

    def __init__(self):
        self.cases, self.events, self.keys, self.commits = FakeCases(), FakeLog(), {}, 0

    @contextmanager
    def write(self):
        saved = (dict(self.cases.rows), list(self.cases.stored), list(self.events), dict(self.keys))
        try:
            yield FakeUnitOfWork(self)
        except BaseException:
            self.cases.rows, self.cases.stored, self.events[:] = saved[0], saved[1], saved[2]
            self.keys.clear()
            self.keys.update(saved[3])
            raise
        self.commits += 1

    read = write


@pytest.fixture
def commands(registry):
    store = FakeStore()
    return CaseCommands(Context(store, registry, clock=lambda: NOW)), store


def test_an_action_loads_decides_saves_and_logs_one_event_per_commit(commands):
    cmd, store = commands
    opened = cmd.open_case(1, "committee-personnel", "Kiện toàn").case
    r = cmd.record(1, opened["id"], CRITERIA, expected_version=1)
    assert r.case["version"] == 2 and store.commits == 2
    assert store.events == [("staff", "case_opened", 1, None, "criteria"),
                            ("staff", "form_recorded", 1, "criteria", "criteria")]
    r = cmd.advance(1, opened["id"], expected_version=2)
    assert r.case["state"] == "members-conference" and r.case["step_no"] == 2


def test_a_refused_action_leaves_nothing_and_a_stale_version_is_a_conflict(commands):
    cmd, store = commands
    cid = cmd.open_case(1, "committee-personnel", "Kiện toàn").case["id"]
    with pytest.raises(VersionConflict):
        cmd.record(1, cid, CRITERIA, expected_version=7)
    with pytest.raises(Forbidden):
        cmd.record(2, cid, CRITERIA)                  # a supervisor at a staff step
    with pytest.raises(NotFound):
        cmd.record(3, cid, CRITERIA)                  # another district's case: not theirs to know
    assert store.cases.rows[cid].version == 1 and len(store.events) == 1


def test_a_retry_with_the_same_key_is_answered_with_the_first_result(commands):
    cmd, store = commands
    cid = cmd.open_case(1, "committee-personnel", "Kiện toàn").case["id"]
    first = cmd.record(1, cid, CRITERIA, idempotency_key="k")
    again = cmd.record(1, cid, CRITERIA, idempotency_key="k")
    assert again.replayed and again.case == first.case and len(store.events) == 2

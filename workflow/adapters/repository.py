"""The case repository: a user and a case with its live records loaded in as few statements as
an action needs, and a Change saved (the case's version-checked UPDATE, records set aside and
added, an attached file); definition pins; idempotency keys. Plain SQL (adapters/sql.py)."""
from __future__ import annotations

import functools
from typing import Any, Iterable, Mapping

from sqlalchemy import JSON, Boolean, Date, DateTime

from ..domain.actions import Change
from ..domain.case import CaseRow, Record
from ..domain.credentials import session_stamp
from ..domain.people import User
from ..domain.search import fold
from .sql import Runner, Statement, Updates
from .times import as_utc

DT, DATE, BOOL, JSN = DateTime(timezone=True), Date(), Boolean(), JSON()
CASE_TYPES = {"step_started_at": DT, "step_due": DATE, "opened_at": DT, "updated_at": DT, "case_due": DATE,
              "returned": BOOL}

USER_COLUMNS = ("id", "username", "display_name", "role", "unit_id", "active", "locale", "password_hash",
                "path", "unit_name")
_USER_SQL = ("users.id, users.username, users.display_name, users.role, users.unit_id, users.active, users.locale, "
             "users.password_hash, units.path, units.name")
CASE_COLUMNS = ("id", "definition_key", "definition_version", "title", "unit_id", "state", "status", "version",
                "step_started_at", "step_due", "awaiting", "approval_requested_by", "opened_by", "opened_at",
                "updated_at", "unit_path", "unit_name", "search", "outcome", "case_due", "returned", "unit_head_id")
_CASE_SQL = ("cases.id, cases.definition_key, cases.definition_version, cases.title, cases.unit_id, cases.state, "
             "cases.status, cases.version, cases.step_started_at, cases.step_due, cases.awaiting, "
             "cases.approval_requested_by, cases.opened_by, cases.opened_at, cases.updated_at, case_unit.path, "
             "case_unit.name, cases.search, cases.outcome, cases.case_due, cases.returned, case_unit.head_user_id")

USER_BY_ID = Statement(f"SELECT {_USER_SQL} FROM users JOIN units ON units.id = users.unit_id WHERE users.id = :user_id",
                       columns=USER_COLUMNS, types={"active": BOOL})
CASE_BY_ID = Statement(f"SELECT {_CASE_SQL} FROM cases JOIN units AS case_unit ON case_unit.id = cases.unit_id "
                       "WHERE cases.id = :case_id", columns=CASE_COLUMNS, types=CASE_TYPES)
# the acting user and the case in one statement (one round trip fewer for every action and case
# page); no case columns when it is absent
USER_AND_CASE = Statement(
    f"SELECT {_USER_SQL}, {_CASE_SQL} FROM users JOIN units ON units.id = users.unit_id "
    "LEFT OUTER JOIN (cases JOIN units AS case_unit ON case_unit.id = cases.unit_id) ON cases.id = :case_id "
    "WHERE users.id = :user_id",
    columns=USER_COLUMNS + tuple(f"c_{c}" for c in CASE_COLUMNS),
    types={"active": BOOL, **{f"c_{k}": t for k, t in CASE_TYPES.items()}})
# (the condition word for word as ix_records_live's: a partial index serves only the queries that say so)
RECORDS_OF_CASE = Statement(
    "SELECT step_key, kind, payload, created_at, id, actor_id FROM records WHERE case_id = :case_id "
    "AND superseded IS {false} ORDER BY id", columns=("step_key", "kind", "payload", "created_at", "id", "actor_id"),
    types={"payload": JSN, "created_at": DT})
# set aside one by one (a corrected tally, an opinion replaced): by id, within the case
SUPERSEDE_ONE = Statement("UPDATE records SET superseded = :superseded WHERE id = :record_id AND case_id = :case_id",
                          types={"superseded": BOOL})
INSERT_RECORD = Statement(
    "INSERT INTO records (case_id, step_key, kind, payload, actor_id, created_at, superseded) "
    "VALUES (:case_id, :step_key, :kind, :payload, :actor_id, :created_at, :superseded)",
    types={"payload": JSN, "created_at": DT, "superseded": BOOL})
INSERT_CASE = Statement(
    "INSERT INTO cases (definition_key, definition_version, title, unit_id, state, status, version, step_started_at, "
    "step_due, awaiting, approval_requested_by, opened_by, opened_at, updated_at, search, search_fold, case_due, "
    "returned) VALUES "
    "(:definition_key, :definition_version, :title, :unit_id, :state, :status, :version, :step_started_at, "
    ":step_due, :awaiting, :approval_requested_by, :opened_by, :opened_at, :updated_at, :search, :search_fold, "
    ":case_due, :returned) RETURNING id", columns=("id",), types=CASE_TYPES)
PINNED = Statement("SELECT fingerprint FROM definition_versions WHERE key = :key AND version = :version",
                   columns=("fingerprint",))
PIN = Statement("INSERT INTO definition_versions (key, version, fingerprint, first_used_at) "
                "VALUES (:key, :version, :fingerprint, :first_used_at) ON CONFLICT (key, version) DO NOTHING",
                types={"first_used_at": DT})
PUT_BLOB = Statement("INSERT INTO blobs (sha256, size, content) VALUES (:sha256, :size, :content) "
                     "ON CONFLICT (sha256) DO NOTHING")
BLOB = Statement("SELECT content FROM blobs WHERE sha256 = :sha256", columns=("content",))
REPLAY = Statement("SELECT request, response FROM idempotency_keys WHERE user_id = :user_id AND key = :key",
                   columns=("request", "response"), types={"response": JSN})
REMEMBER = Statement("INSERT INTO idempotency_keys (user_id, key, request, response, created_at) "
                     "VALUES (:user_id, :key, :request, :response, :created_at)",
                     types={"response": JSN, "created_at": DT})
# the columns an action sets; the version it was read at is in the WHERE (optimistic locking)
UPDATE_CASE = Updates("cases", {**dict.fromkeys(("title", "unit_id", "state", "status", "version", "awaiting",
                                                 "approval_requested_by", "search", "search_fold", "outcome")),
                                **CASE_TYPES},
                      "id = :b_id AND version = :b_version")


def user_from(row) -> User | None:
    if row is None:
        return None
    return User(row.id, row.username, row.display_name, row.role, row.unit_id, row.path, row.unit_name,
                bool(row.active), row.locale, session_stamp(row.password_hash))


def case_from(values: Iterable[Any]) -> CaseRow:
    r = dict(zip(CASE_COLUMNS, values))
    for k in ("step_started_at", "opened_at", "updated_at"):
        r[k] = as_utc(r[k])
    r["returned"] = bool(r["returned"])
    return CaseRow(**r)


@functools.lru_cache(maxsize=64)
def supersede_statement(n_steps: int, n_kinds: int) -> Statement:
    """Set aside the live records of n steps (of n kinds; 0 = every kind)."""
    steps = ", ".join(f":s{i}" for i in range(n_steps))
    kinds = f" AND kind IN ({', '.join(f':k{i}' for i in range(n_kinds))})" if n_kinds else ""
    return Statement(f"UPDATE records SET superseded = :superseded WHERE case_id = :case_id AND step_key IN ({steps}) "
                     f"AND superseded IS {{false}}{kinds}", types={"superseded": BOOL})


class CaseRepository:
    def __init__(self, runner: Runner):
        self.sql = runner

    def user(self, user_id: int) -> User | None:
        return user_from(self.sql.first(USER_BY_ID, {"user_id": user_id}))

    def user_and_case(self, user_id: int, case_id: int) -> tuple[User | None, CaseRow | None]:
        r = self.sql.first(USER_AND_CASE, {"user_id": user_id, "case_id": case_id})
        if r is None:
            return None, None
        n = len(USER_COLUMNS)
        user = user_from(r)
        return user, (None if r[n] is None else case_from(r[n:]))

    def case(self, case_id: int) -> CaseRow | None:
        r = self.sql.first(CASE_BY_ID, {"case_id": case_id})
        return None if r is None else case_from(r)

    def records(self, case_id: int) -> list[Record]:
        return [Record(r.step_key, r.kind, r.payload, as_utc(r.created_at), r.actor_id, r.id)
                for r in self.sql.run(RECORDS_OF_CASE, {"case_id": case_id})]

    def save(self, row: CaseRow, values: Mapping[str, Any], change: Change, actor_id: int) -> bool:
        """Write `change` to the case at `row`'s version; False if someone else moved it meanwhile."""
        values = dict(values)
        if "search" in values:
            values["search_fold"] = fold(values["search"])
        if self.sql.count(UPDATE_CASE(tuple(values)), {**values, "b_id": row.id, "b_version": row.version}) != 1:
            return False
        for steps, kinds in change.supersede:
            steps, kinds = list(steps), list(kinds or ())
            self.sql.run(supersede_statement(len(steps), len(kinds)), {
                "case_id": row.id, "superseded": True, **{f"s{i}": s for i, s in enumerate(steps)},
                **{f"k{i}": k for i, k in enumerate(kinds)}})
        for record_id in change.supersede_ids:
            self.sql.run(SUPERSEDE_ONE, {"record_id": record_id, "case_id": row.id, "superseded": True})
        now = values["updated_at"]
        for step_key, kind, payload in change.add:
            self.sql.run(INSERT_RECORD, {"case_id": row.id, "step_key": step_key, "kind": kind, "payload": payload,
                                         "actor_id": actor_id, "created_at": now, "superseded": False})
        if change.blob is not None:
            sha, content = change.blob
            self.sql.run(PUT_BLOB, {"sha256": sha, "size": len(content), "content": content})
        return True

    def insert(self, values: Mapping[str, Any]) -> int:
        """A new case; its id."""
        return self.sql.first(INSERT_CASE, {"case_due": None, "returned": False, **values,
                                            "search_fold": fold(values["search"])}).id

    def pinned(self, key: str, version: int) -> str | None:
        """The fingerprint a definition version was first used with, if it was."""
        r = self.sql.first(PINNED, {"key": key, "version": version})
        return None if r is None else r.fingerprint

    def pin(self, key: str, version: int, fingerprint: str, now) -> str:
        """Pin a definition version to a fingerprint (unless it is already); the pinned fingerprint."""
        self.sql.run(PIN, {"key": key, "version": version, "fingerprint": fingerprint, "first_used_at": now})
        return self.pinned(key, version)

    def blob(self, sha256: str) -> bytes | None:
        r = self.sql.first(BLOB, {"sha256": sha256})
        return None if r is None else bytes(r.content)


class Keys:
    """Idempotency keys: what a (user, key) was asked and answered."""

    def __init__(self, runner: Runner):
        self.sql = runner

    def replay(self, user_id: int, key: str) -> tuple[str, dict] | None:
        r = self.sql.first(REPLAY, {"user_id": user_id, "key": key})
        return None if r is None else (r.request, dict(r.response))

    def remember(self, user_id: int, key: str, fingerprint: str, response: dict, now) -> None:
        self.sql.run(REMEMBER, {"user_id": user_id, "key": key, "request": fingerprint, "response": response,
                                "created_at": now})

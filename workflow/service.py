"""The use cases. One method per use case, used by the web pages, the JSON API and the CLI alike.

Every write is one transaction through `_act`: idempotency key → actor (active?) → case (in the
actor's unit tree?) → expected version → the rule → a version-checked UPDATE → one chained
event → commit. Anything that raises rolls the whole unit back: no half-written case."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import (Integer, String, and_, bindparam, column, func, literal, literal_column, or_, select, text,
                        true, tuple_, union_all, update, values)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from . import audit, fastsql
from .audit import Actor
from .calendar import add_working_days, local_date
from .definition import CANCELLED, COMPLETED, Definition, Registry, Step
from .errors import (AuthFailed, DefinitionError, Forbidden, FourEyes, GuardFailed, InvalidTally, NotAllowed, NotFound,
                     QuorumNotMet, Validation, VersionConflict, WorkflowError)
from .machine import machine_for, return_trigger
from .records import (Tally, TallyResult, clean_announcement, plain_text, clean_form, evaluate, false_required_booleans,
                      missing_fields, parse_tally, quorum)
from .security import check_password, hash_password, new_token, password_problem, token_hash
from .store import (TRIGRAM, Store, api_tokens, as_utc, blobs, cases, definition_versions, events, fts_cases,
                    fts_rowid, idempotency, records, title_contains, title_glob, title_like, units, users,
                    utcnow)

ROLES = ("staff", "supervisor", "auditor", "admin")
OPEN, DONE, CANCELLED_STATUS = "open", "completed", "cancelled"
AWAIT_APPROVAL, AWAIT_HEAD = "approval", "head_decision"
LOCK_AFTER, LOCK_MINUTES = 5, 5
MAX_UPLOAD = 20 * 1024 * 1024
ALLOWED_UPLOADS = {".pdf": "application/pdf", ".doc": "application/msword",
                   ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   ".xls": "application/vnd.ms-excel",
                   ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   ".odt": "application/vnd.oasis.opendocument.text", ".txt": "text/plain",
                   ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
# Actions a person can take on a case; `available_actions` answers which of them, here and now.
ACTIONS = ("record", "tally", "attach", "announce", "advance", "request_approval", "approve", "return",
           "head_decision", "cancel")


# ---- what the service hands back -------------------------------------------------------------

@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int
    unit_path: str
    unit_name: str
    active: bool
    locale: str | None = None
    # changes whenever the password does: a session carrying an old stamp is signed out
    session_stamp: str = ""

    def actor(self) -> Actor:
        return Actor(self.id, self.username, self.role, self.unit_id)

    def to_dict(self) -> dict:
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "role": self.role,
                "unit_id": self.unit_id, "unit_name": self.unit_name, "active": self.active}


@dataclass(frozen=True)
class CaseSummary:
    id: int
    procedure: str
    version: int
    title: str
    unit_id: int
    state: str
    step_no: int
    status: str
    row_version: int
    awaiting: str | None
    step_due: dt.date | None
    opened_at: dt.datetime
    updated_at: dt.datetime
    unit_name: str = ""
    overdue: bool = False        # past the step's deadline, by the workflow's clock

    def to_dict(self) -> dict:
        return {"id": self.id, "procedure": self.procedure, "procedure_version": self.version,
                "title": self.title, "unit_id": self.unit_id, "unit_name": self.unit_name, "state": self.state,
                "step_no": self.step_no, "status": self.status, "version": self.row_version,
                "awaiting": self.awaiting, "step_due": self.step_due.isoformat() if self.step_due else None,
                "overdue": self.overdue, "opened_at": audit.iso(self.opened_at),
                "updated_at": audit.iso(self.updated_at)}


@dataclass(frozen=True)
class ActionResult:
    case: dict
    event_seq: int | None
    replayed: bool = False
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"case": self.case, "event_seq": self.event_seq, "replayed": self.replayed, **self.info}


@dataclass(frozen=True)
class StepRecords:
    """What is on record for one step now (superseded records are left out)."""
    form: dict
    tally: Tally | None
    tally_result: TallyResult | None
    head: dict           # candidate -> accept
    announcement: dict | None
    documents: list[dict]
    approval: dict | None
    recorded_at: dict    # kind -> datetime of the latest record


@dataclass(frozen=True)
class CaseDetail:
    summary: CaseSummary
    definition: Definition
    step: Step | None
    steps: dict[str, StepRecords]
    candidates: list[str]
    nominees: list[str]
    actions: list[str]
    return_targets: list[str]
    timeline: dict[str, dict]     # step key -> {entered_at, left_at}
    history: list[dict]
    approval_requested_by: str | None
    opened_by: str


@dataclass(frozen=True)
class Page:
    """One page of a list. The pager counts the matches at most COUNT_WINDOW past this page: when
    there are more, `exact` is False and `total` is a lower bound (shown as "more than …"), so a
    list costs the same at 1,000 cases as at 100,000."""
    items: list
    total: int
    page: int
    per_page: int
    exact: bool = True

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# How far past the page shown the pager counts. Counting every match made a list grow with the
# whole table (bench/scale.py: 70-98 % of a list at 100k cases was its count(*)).
COUNT_WINDOW = 1000


def _count_cap(offset: int, per_page: int) -> int:
    """How many matches a pager counts: COUNT_WINDOW past `offset`, and always past the page itself
    (so an inexact count leaves a next page to go to)."""
    return offset + max(COUNT_WINDOW, per_page + 1)


def _count(c: Connection, query, limit: int) -> int:
    """How many rows `query` has, counting at most `limit`."""
    return c.execute(select(func.count()).select_from(query.limit(limit).subquery())).scalar_one()


def _count_upto(c: Connection, query, offset: int, per_page: int) -> tuple[int, bool]:
    """(matches, exact) of `query` (a SELECT of the rows), counted up to `_count_cap`."""
    cap = _count_cap(offset, per_page)
    n = _count(c, query, cap + 1)
    return (n, True) if n <= cap else (cap, False)


_NEWEST = (cases.c.updated_at.desc(), cases.c.id.desc())      # the case list's order

# The SQLite title walk (Workflow._title_page) reads at most this many cases in date order before
# it falls back to the FTS index: TITLE_WALK_SPAN times the cases the first cap + 1 matches were
# spread over, in proportion to the matches the page needs, and at least TITLE_WALK_MIN.
TITLE_WALK_MIN = 2000
TITLE_WALK_SPAN = 4
TITLE_IDS_MAX = 2 * COUNT_WINDOW      # the ids of all the matches, handed back as parameters, at most


def _title_walk_rows(needed: int, cap: int, last_id: int | None) -> int:
    per_match = (last_id or 0) / (cap + 1)          # ids count the cases up to the cap + 1-th match
    return max(TITLE_WALK_MIN, int(TITLE_WALK_SPAN * needed * per_match) + 1)


def _at_steps(dialect: str, steps: list[tuple[str, int, str]]):
    """The condition 'the case is at one of these (procedure, version, step)s'. On PostgreSQL a
    join with the list written out as VALUES: as a list of row values it became an OR of 44
    (key, state) pairs, whose matches the planner put at 1/7 of the truth (it multiplies the two
    columns' frequencies) — so it counted a long queue through 45 bitmaps, not in an index it
    can stop early in — and took 1–2 ms to plan. The join it estimates right. Written out, not
    bound: a generic plan (psycopg prepares a statement run 5 times) sees bound arrays as 10 rows,
    and sorted the whole queue again."""
    row = tuple_(cases.c.definition_key, cases.c.definition_version, cases.c.state)
    if dialect != "postgresql" or not all(_SLUG.match(k) and _SLUG.match(s) for k, _, s in steps):
        return row.in_(steps)           # (keys are slugs, definitions/schema.json: nothing to quote)
    return row.in_(_steps_listed(tuple(steps)))


_SLUG = re.compile(r"[a-z][a-z0-9_-]*\Z")


@functools.lru_cache(maxsize=32)
def _steps_listed(steps: tuple) -> Any:
    """SELECT k, v, s FROM (VALUES …) AS mine(k, v, s), rendered once: built and compiled on every
    call, 44 literal rows cost ~5 ms of Python (no statement cache hit for literal values)."""
    listed = values(column("k", String), column("v", Integer), column("s", String), name="mine").data(list(steps))
    sql = select(listed.c.k, listed.c.v, listed.c.s).compile(dialect=postgresql.dialect(),
                                                              compile_kwargs={"literal_binds": True})
    return text(str(sql)).columns(column("k", String), column("v", Integer), column("s", String))


@dataclass
class _Change:
    """What a case action decided: the case columns to set, records to add, the event to log."""
    kind: str
    payload: dict = field(default_factory=dict)
    to_state: str | None = None
    values: dict = field(default_factory=dict)
    add: list[tuple[str, str, dict]] = field(default_factory=list)       # (step_key, kind, payload)
    supersede: list[tuple[Iterable[str], Iterable[str] | None]] = field(default_factory=list)
    info: dict = field(default_factory=dict)


# The statements of the write pipeline, built once: building a Core statement on every call
# costs more CPU than executing it (bench/transitions.py).
# What a User is made of, nothing more: every action and every page reads it (sign-in times and
# the lockout counters are the sign-in's own business).
_USER_BY_ID = (select(users.c.id, users.c.username, users.c.display_name, users.c.role, users.c.unit_id,
                      users.c.active, users.c.locale, users.c.password_hash, units.c.path,
                      units.c.name.label("unit_name"))
               .join(units, units.c.id == users.c.unit_id).where(users.c.id == bindparam("user_id")))
_CASE_BY_ID = (select(cases, units.c.path.label("unit_path"), units.c.name.label("unit_name"))
               .join(units, units.c.id == cases.c.unit_id).where(cases.c.id == bindparam("case_id")))
# The user and the case in one statement (one round trip fewer for every action and case page):
# the user's columns, then the case's as _CASE_BY_ID names them; no case columns when it is absent.
_CASE_UNIT = units.alias("case_unit")
_N_USER = len(_USER_BY_ID.selected_columns)
_USER_AND_CASE = (
    select(*[col.label(f"u_{i}") for i, col in enumerate(_USER_BY_ID.selected_columns)],
           cases, _CASE_UNIT.c.path.label("unit_path"), _CASE_UNIT.c.name.label("unit_name"))
    .select_from(users.join(units, units.c.id == users.c.unit_id)
                 .outerjoin(cases.join(_CASE_UNIT, _CASE_UNIT.c.id == cases.c.unit_id),
                            cases.c.id == bindparam("case_id")))
    .where(users.c.id == bindparam("user_id")))
_UserRow = fastsql.row_class(list(_USER_BY_ID.selected_columns.keys()))
_CaseRow = fastsql.row_class(list(_CASE_BY_ID.selected_columns.keys()))
# SET takes the columns named in the parameters; b_* are the WHERE's
_UPDATE_CASE = update(cases).where(cases.c.id == bindparam("b_id"), cases.c.version == bindparam("b_version"))


@functools.lru_cache(maxsize=64)
def _supersede_stmt(n_steps: int, n_kinds: int):
    """UPDATE records … superseded for n steps (and n kinds; 0 = every kind): one plain parameter
    per value, so the statement compiles once per shape and runs on the fast path."""
    cond = [records.c.case_id == bindparam("b_case"),
            records.c.step_key.in_([bindparam(f"b_step{i}") for i in range(n_steps)]),
            records.c.superseded.is_(False)]
    if n_kinds:
        cond.append(records.c.kind.in_([bindparam(f"b_kind{i}") for i in range(n_kinds)]))
    return update(records).where(*cond).values(superseded=True)


def _supersede(case_id: int, steps, kinds) -> tuple:
    steps, kinds = list(steps), list(kinds or ())
    params = {"b_case": case_id, **{f"b_step{i}": s for i, s in enumerate(steps)},
              **{f"b_kind{i}": k for i, k in enumerate(kinds)}}
    return _supersede_stmt(len(steps), len(kinds)), params
_INSERT_RECORD = records.insert().inline()      # the id is not needed: no RETURNING on PostgreSQL
_REPLAY = select(idempotency.c.request, idempotency.c.response).where(
    idempotency.c.user_id == bindparam("user_id"), idempotency.c.key == bindparam("key"))
_INSERT_KEY = idempotency.insert()
_TOP_UNITS = select(func.count()).select_from(units).where(units.c.parent_id.is_(None))
_RECORDS_OF_CASE = (select(records.c.step_key, records.c.kind, records.c.payload, records.c.created_at)
                    .where(records.c.case_id == bindparam("case_id"), records.c.superseded.is_(False))
                    .order_by(records.c.id))


def _fingerprint(action: str, case_id, params: Mapping) -> str:
    try:
        text = audit.canonical([action, case_id, params])
    except (TypeError, ValueError):          # keys of mixed types cannot be sorted: fall back to repr
        text = repr([action, case_id, params])
    return hashlib.sha256(text.encode()).hexdigest()


MAX_PAGE = 100_000
MAX_ID = 2**31 - 1      # ids are INTEGER columns: anything outside is simply no such row


def _is_id(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID


def _filter_id(v: Any, name: str) -> int | None:
    if v in (None, ""):
        return None
    if not _is_id(v):
        raise Validation(f"{name} must be a whole number from 1 to {MAX_ID}", fields={name: "out of range"})
    return v


def _page_args(page: Any, per_page: Any, default: int, limit: int) -> tuple[int, int]:
    try:
        p, n = int(page or 1), int(per_page or default)
    except (TypeError, ValueError):
        raise Validation("page and per_page are whole numbers", fields={"page": "whole number"}) from None
    return min(max(1, p), MAX_PAGE), min(limit, max(1, n))


class Workflow:
    def __init__(self, store: Store, registry: Registry, *, clock: Callable[[], dt.datetime] = utcnow,
                 max_upload: int = MAX_UPLOAD):
        self.store = store
        self.registry = registry
        # SQLite keeps no UTC offset: whatever zone the clock speaks, the record stores UTC
        self.clock = lambda: as_utc(clock())
        self.max_upload = max_upload
        self._pins_ok: set[tuple[str, int, str]] = set()

    # ---- people and places ------------------------------------------------------------------

    def _user(self, c: Connection, user_id: int | None, *, must_be_active: bool = True) -> User:
        if user_id is None:
            raise Forbidden("sign in first")
        if not _is_id(user_id):
            raise Forbidden("unknown user")
        return self._user_from(fastsql.run(c, _USER_BY_ID, {"user_id": user_id}).first(), must_be_active)

    @staticmethod
    def _user_from(row, must_be_active: bool = True) -> User:
        if row is None:
            raise Forbidden("unknown user")
        if must_be_active and not row.active:
            raise Forbidden("this account is deactivated")
        return User(row.id, row.username, row.display_name, row.role, row.unit_id, row.path, row.unit_name,
                    row.active, row.locale, _stamp(row.password_hash))

    def _user_and_case(self, c: Connection, user_id: int | None, case_id) -> tuple[User, Row]:
        """The acting user and a case in their unit tree, read together; the same checks, in the
        same order, as `_user` then `_case_row`."""
        if user_id is None or not _is_id(user_id) or not _is_id(case_id):
            user = self._user(c, user_id)
            return user, self._case_row(c, user, case_id)
        r = fastsql.run(c, _USER_AND_CASE, {"user_id": user_id, "case_id": case_id}).first()
        user = self._user_from(None if r is None else _UserRow._make(r[:_N_USER]))
        row = None if r[_N_USER] is None else _CaseRow._make(r[_N_USER:])
        return user, self._in_scope(user, row, case_id)

    def get_user(self, user_id: int) -> User | None:
        with self.store.read() as c:
            try:
                return self._user(c, user_id, must_be_active=False)
            except Forbidden:
                return None

    @staticmethod
    def _scope(user: User):
        """SQL condition: a unit in the user's subtree."""
        return units.c.path.startswith(user.unit_path, autoescape=True)

    @staticmethod
    def _whole_tree(c: Connection, user: User) -> bool:
        """True when every unit is in the user's subtree (a user at the only top unit): their lists
        need no scope condition, which lets a count read one index instead of joining each row's unit."""
        return user.unit_path.count("/") == 2 and c.execute(_TOP_UNITS).scalar_one() == 1

    def _case_scope(self, c: Connection, user: User) -> list:
        """Conditions on `cases` (no join needed): the case's unit is in the user's subtree."""
        if self._whole_tree(c, user):
            return []
        return [cases.c.unit_id.in_(select(units.c.id).where(self._scope(user)).scalar_subquery())]

    def _unit(self, c: Connection, unit_id: int) -> Row:
        if not _is_id(unit_id):
            raise NotFound(f"unit {unit_id!r} does not exist", unit_id=unit_id)
        row = c.execute(select(units).where(units.c.id == unit_id)).first()
        if row is None:
            raise NotFound(f"unit {unit_id} does not exist", unit_id=unit_id)
        return row

    def _definition(self, key: str, version: int) -> Definition:
        try:
            return self.registry.get(key, version)
        except KeyError:
            raise NotFound(f"procedure {key} v{version} is not installed", procedure=key) from None

    # ---- the write pipeline ------------------------------------------------------------------

    def _transaction(self, actor_id: int | None, action: str, case_id: int | None, params: Mapping,
                     idempotency_key: str | None,
                     body: Callable[[Connection, tuple | None], ActionResult]) -> ActionResult:
        if idempotency_key is not None:
            if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200:
                raise Validation("an idempotency key is 1 to 200 characters",
                                 fields={"idempotency_key": "1 to 200 characters"})
        keyed = bool(idempotency_key) and actor_id is not None
        fp = _fingerprint(action, case_id, params) if keyed else None
        try:
            with self.store.write() as c:
                loaded = None       # (user, case row) read here are handed to the body, not read again
                if keyed:
                    # a deactivated user gets no replay either, nor one for a case out of their scope now
                    user, row = (self._user_and_case(c, actor_id, case_id) if case_id is not None
                                 else (self._user(c, actor_id), None))
                    done = self._replay(c, actor_id, idempotency_key, fp)
                    if done is not None:
                        return done
                    loaded = (user, row)
                result = body(c, loaded)
                if keyed:
                    fastsql.run(c, _INSERT_KEY, {"user_id": actor_id, "key": idempotency_key, "request": fp,
                                            "response": result.to_dict(), "created_at": self.clock()})
                return result
        except (IntegrityError, VersionConflict):
            # Two submits with one key raced and the other committed first (its key row collided with
            # ours, or its change moved the case version under us): answer with its result.
            if keyed:
                with self.store.read() as c:
                    done = self._replay(c, actor_id, idempotency_key, fp)
                if done is not None:
                    return done
            raise

    @staticmethod
    def _replay(c: Connection, actor_id: int, key: str, fp: str) -> ActionResult | None:
        row = fastsql.run(c, _REPLAY, {"user_id": actor_id, "key": key}).first()
        if row is None:
            return None
        if row.request != fp:
            raise Validation("this idempotency key was already used for a different request",
                             fields={"idempotency_key": "already used for a different request"})
        r = dict(row.response)
        return ActionResult(r.pop("case"), r.pop("event_seq"), True,
                            {k: v for k, v in r.items() if k != "replayed"})

    def _act(self, actor_id: int, case_id: int, action: str, params: Mapping, expected_version: int | None,
             idempotency_key: str | None, decide: Callable[["_Ctx"], _Change]) -> ActionResult:
        if expected_version is not None and (isinstance(expected_version, bool) or not isinstance(expected_version, int)):
            raise Validation("expected_version must be a whole number", fields={"expected_version": "whole number"})

        def body(c: Connection, loaded: tuple | None):
            user, row = loaded if loaded is not None else self._user_and_case(c, actor_id, case_id)
            if expected_version is not None and expected_version != row.version:
                raise VersionConflict(f"case {case_id} is at version {row.version}, not {expected_version}: "
                                      "someone else changed it; reload", current=row.version)
            d = self._definition(row.definition_key, row.definition_version)
            self._check_pin(c, d)
            ctx = _Ctx(self, c, user, row, d)
            ch = decide(ctx)
            now = self.clock()
            values = {"updated_at": now, "version": row.version + 1, **ch.values}
            if ch.to_state is not None and ch.to_state != row.state:
                values["state"] = ch.to_state
                if ch.to_state == COMPLETED:
                    values.update(status=DONE, step_due=None, awaiting=None, approval_requested_by=None)
                elif ch.to_state == CANCELLED:
                    values.update(status=CANCELLED_STATUS, step_due=None, awaiting=None, approval_requested_by=None)
                else:
                    values.update(step_started_at=now, step_due=self._due(d.step(ch.to_state), now))
            res = fastsql.run(c, _UPDATE_CASE, {**values, "b_id": row.id, "b_version": row.version})
            if res.rowcount != 1:
                raise VersionConflict(f"case {case_id} was changed by someone else meanwhile; reload",
                                      current=None)
            for steps, kinds in ch.supersede:
                stmt, params = _supersede(row.id, steps, kinds)
                fastsql.run(c, stmt, params)
            for step_key, kind, payload in ch.add:
                fastsql.run(c, _INSERT_RECORD, {"case_id": row.id, "step_key": step_key, "kind": kind, "payload": payload,
                                           "actor_id": user.id, "created_at": now, "superseded": False})
            seq = audit.append(c, user.actor(), ch.kind, at=now, case_id=row.id, from_state=row.state,
                               to_state=values.get("state", row.state), payload=ch.payload)
            new = {**row._mapping, **values}
            return ActionResult(self._summary_dict(new, d), seq, False, ch.info)

        return self._transaction(actor_id, action, case_id, params, idempotency_key, body)

    def _due(self, step: Step, now: dt.datetime) -> dt.date | None:
        return add_working_days(local_date(now), step.deadline_days) if step.deadline_days else None

    def _case_row(self, c: Connection, user: User, case_id) -> Row:
        if not _is_id(case_id):
            raise NotFound(f"case {case_id!r} does not exist", case_id=case_id)
        return self._in_scope(user, fastsql.run(c, _CASE_BY_ID, {"case_id": case_id}).first(), case_id)

    @staticmethod
    def _in_scope(user: User, row, case_id):
        # A case outside the user's unit tree is 'not found', not 'forbidden': its existence is not theirs to know.
        if row is None or not row.unit_path.startswith(user.unit_path):
            raise NotFound(f"case {case_id} does not exist", case_id=case_id)
        return row

    @staticmethod
    def _step_no(d: Definition, state: str) -> int:
        if state == COMPLETED:
            return len(d.steps)
        if state == CANCELLED:
            return 0
        return d.step(state).no

    def _summary_dict(self, row: Mapping, d: Definition) -> dict:
        return self._summary(row, d).to_dict()

    def _summary(self, row: Mapping, d: Definition | None = None) -> CaseSummary:
        if d is None:
            d = self.registry.get(row["definition_key"], row["definition_version"])
        state = row["state"]
        step_no = self._step_no(d, state)
        due = row["step_due"]
        overdue = row["status"] == OPEN and due is not None and due < local_date(self.clock())
        return CaseSummary(row["id"], row["definition_key"], row["definition_version"], row["title"], row["unit_id"],
                           state, step_no, row["status"], row["version"], row["awaiting"], due,
                           as_utc(row["opened_at"]), as_utc(row["updated_at"]), row.get("unit_name", "") or "", overdue)

    # ---- opening a case ----------------------------------------------------------------------

    def open_case(self, actor_id: int, procedure: str, title: str, *, unit_id: int | None = None,
                  version: int | None = None, idempotency_key: str | None = None) -> ActionResult:
        title = plain_text(title) if isinstance(title, str) else title
        params = {"procedure": procedure, "title": title, "unit_id": unit_id, "version": version}
        errors = {}
        if not isinstance(title, str) or not title.strip():
            errors["title"] = "required"
        elif len(title.strip()) > 300:
            errors["title"] = "at most 300 characters"
        if not isinstance(procedure, str) or not procedure:
            errors["procedure"] = "required"
        if errors:
            raise Validation(f"cannot open the case: {next(iter(errors.items()))[0]}: {next(iter(errors.values()))}",
                             fields=errors)
        try:
            d = self.registry.get(procedure, version, on=local_date(self.clock()))
        except KeyError:
            raise NotFound(f"no procedure '{procedure}'" + (f" version {version}" if version else ""),
                           procedure=procedure) from None

        def body(c: Connection, loaded: tuple | None):
            user = loaded[0] if loaded is not None else self._user(c, actor_id)
            if user.role != "staff":
                raise Forbidden(f"a {user.role} cannot open cases; staff of the Organisation Board do",
                                role=user.role)
            target = unit_id if unit_id is not None else user.unit_id
            if isinstance(target, bool) or not isinstance(target, int):
                raise Validation("unit_id must be a whole number", fields={"unit_id": "whole number"})
            unit = self._unit(c, target)
            if not unit.path.startswith(user.unit_path):
                raise NotFound(f"unit {target} does not exist", unit_id=target)
            self._pin_definition(c, d)
            now = self.clock()
            first = d.first
            values = dict(definition_key=d.key, definition_version=d.version, title=title.strip(), unit_id=target,
                          state=first.key, status=OPEN, version=1, step_started_at=now,
                          step_due=self._due(first, now), awaiting=None, approval_requested_by=None,
                          opened_by=user.id, opened_at=now, updated_at=now)
            case_id = c.execute(cases.insert().values(**values)).inserted_primary_key[0]
            seq = audit.append(c, user.actor(), "case_opened", at=now, case_id=case_id, to_state=first.key,
                               payload={"title": values["title"], "procedure": d.key, "version": d.version,
                                        "fingerprint": d.fingerprint, "unit_id": target})
            return ActionResult(self._summary_dict({**values, "id": case_id, "unit_name": unit.name}, d), seq)

        return self._transaction(actor_id, "open", None, params, idempotency_key, body)

    def _check_pin(self, c: Connection, d: Definition) -> None:
        """A running case follows the definition it was opened under: if that file was edited in
        place since, refuse to act rather than apply other rules. Pins never change, so one check
        per definition version and process is enough."""
        key = (d.key, d.version, d.fingerprint)
        if key in self._pins_ok:
            return
        row = c.execute(select(definition_versions.c.fingerprint).where(
            definition_versions.c.key == d.key, definition_versions.c.version == d.version)).first()
        if row is not None and row.fingerprint != d.fingerprint:
            raise DefinitionError(f"{d.source} was changed after cases were opened under {d.label}; restore it "
                                  "and publish the change as a new version", procedure=d.key)
        self._pins_ok.add(key)

    def _pin_definition(self, c: Connection, d: Definition) -> None:
        row = c.execute(select(definition_versions.c.fingerprint).where(
            definition_versions.c.key == d.key, definition_versions.c.version == d.version)).first()
        if row is None:
            try:
                with c.begin_nested():
                    c.execute(definition_versions.insert().values(key=d.key, version=d.version,
                                                                  fingerprint=d.fingerprint, first_used_at=self.clock()))
                return
            except IntegrityError:
                # another opening pinned it a moment ago: compare with what it pinned
                row = c.execute(select(definition_versions.c.fingerprint).where(
                    definition_versions.c.key == d.key, definition_versions.c.version == d.version)).first()
        if row.fingerprint != d.fingerprint:
            raise Validation(f"{d.source} was changed after cases were opened under {d.label}; "
                             "publish the change as a new version instead", procedure=d.key)

    # ---- recording ---------------------------------------------------------------------------

    def record(self, actor_id: int, case_id: int, fields: Mapping[str, Any], *, expected_version: int | None = None,
               idempotency_key: str | None = None) -> ActionResult:
        def decide(x: _Ctx) -> _Change:
            step = x.permit("record")
            if not step.form:
                raise NotAllowed(f"step '{step.key}' has no form to fill in", step=step.key)
            clean = clean_form(step, fields)
            before = x.records(step.key).form
            merged = {**before, **clean}
            # a field submitted empty clears it
            for k, v in fields.items():
                if k in merged and (v is None or v == "" or v == []) and k not in clean:
                    merged.pop(k)
            return _Change("form_recorded", {"step": step.key, "fields": clean,
                                              "cleared": sorted(k for k in fields if k not in clean and k in before)},
                           add=[(step.key, "form", merged)], supersede=[([step.key], ["form"])])
        return self._act(actor_id, case_id, "record", {"fields": dict(fields) if isinstance(fields, Mapping) else fields},
                         expected_version, idempotency_key, decide)

    def tally(self, actor_id: int, case_id: int, tally: Mapping[str, Any], *, expected_version: int | None = None,
              idempotency_key: str | None = None) -> ActionResult:
        def decide(x: _Ctx) -> _Change:
            step = x.permit("tally")
            if step.vote is None:
                raise NotAllowed(f"step '{step.key}' holds no vote", step=step.key)
            t = parse_tally(tally, step.vote, x.candidates(before=step.key), step.allows_nominees)
            q = quorum(t, step.vote)
            if not q.met:
                raise QuorumNotMet(f"no quorum: {q.present} of {q.of} present, at least {q.needed} needed",
                                   fields={"present": f"at least {q.needed} of {q.of} must be present"},
                                   present=q.present, of=q.of, needed=q.needed)
            result = evaluate(t, step.vote)
            awaiting = AWAIT_HEAD if result.outcome.awaiting_head else None
            return _Change("tally_recorded", {"step": step.key, "tally": t.to_payload(),
                                               "result": _result_payload(result)},
                           values={"awaiting": awaiting},
                           add=[(step.key, "tally", t.to_payload())],
                           supersede=[([step.key], ["tally", "head_decision"])],
                           info={"result": _result_payload(result)})
        return self._act(actor_id, case_id, "tally", {"tally": _jsonable(tally)}, expected_version,
                         idempotency_key, decide)

    def head_decision(self, actor_id: int, case_id: int, candidate: str, accept: bool, *, comment: str = "",
                      expected_version: int | None = None, idempotency_key: str | None = None) -> ActionResult:
        def decide(x: _Ctx) -> _Change:
            step = x.permit("head_decision")
            rec = x.records(step.key)
            waiting = rec.tally_result.outcome.awaiting_head if rec.tally_result else ()
            if candidate not in waiting:
                raise NotAllowed(f"no decision of the head is pending for '{candidate}'"
                                 + (f" (pending: {', '.join(waiting)})" if waiting else ""), candidate=candidate)
            if not isinstance(accept, bool):
                raise Validation("accept must be true or false", fields={"accept": "true or false"})
            head = {**rec.head, candidate: accept}
            result = evaluate(rec.tally, step.vote, head)
            return _Change("head_decision", {"step": step.key, "candidate": candidate, "accept": accept,
                                              "comment": _short(comment)},
                           values={"awaiting": AWAIT_HEAD if result.outcome.awaiting_head else None},
                           add=[(step.key, "head_decision", {"candidate": candidate, "accept": accept,
                                                             "comment": _short(comment)})],
                           info={"result": _result_payload(result)})
        return self._act(actor_id, case_id, "head_decision", {"candidate": candidate, "accept": accept,
                                                              "comment": comment},
                         expected_version, idempotency_key, decide)

    def announce(self, actor_id: int, case_id: int, announcement: Mapping[str, Any], *,
                 expected_version: int | None = None, idempotency_key: str | None = None) -> ActionResult:
        def decide(x: _Ctx) -> _Change:
            step = x.permit("announce")
            if not step.announcement:
                raise NotAllowed(f"step '{step.key}' makes no announcement", step=step.key)
            a = clean_announcement(announcement)
            a["unit_id"] = x.row.unit_id
            return _Change("announcement_published", {"step": step.key, "announcement": a},
                           add=[(step.key, "announcement", a)], supersede=[([step.key], ["announcement"])])
        return self._act(actor_id, case_id, "announce", {"a": _jsonable(announcement)}, expected_version,
                         idempotency_key, decide)

    def attach(self, actor_id: int, case_id: int, name: str, content: bytes, *, doc_type: str = "other",
               expected_version: int | None = None, idempotency_key: str | None = None) -> ActionResult:
        digest = hashlib.sha256(content).hexdigest() if isinstance(content, (bytes, bytearray)) else ""

        def decide(x: _Ctx) -> _Change:
            step = x.permit("attach")
            clean_name = _safe_filename(name)
            ext = "." + clean_name.rsplit(".", 1)[-1].lower() if "." in clean_name else ""
            errors = {}
            if ext not in ALLOWED_UPLOADS:
                errors["file"] = f"file type not accepted; accepted: {', '.join(sorted(ALLOWED_UPLOADS))}"
            if not isinstance(content, (bytes, bytearray)) or not content:
                errors["file"] = "the file is empty"
            elif len(content) > self.max_upload:
                errors["file"] = f"the file is larger than {self.max_upload // (1024 * 1024)} MB"
            types = {d.type for d in step.documents} | {"other"}
            if doc_type not in types:
                errors["doc_type"] = f"must be one of {', '.join(sorted(types))}"
            if errors:
                raise Validation(next(iter(errors.values())), fields=errors)
            if x.c.execute(select(blobs.c.sha256).where(blobs.c.sha256 == digest)).first() is None:
                x.c.execute(blobs.insert().values(sha256=digest, size=len(content), content=bytes(content)))
            meta = {"name": clean_name, "doc_type": doc_type, "size": len(content), "sha256": digest,
                    "content_type": ALLOWED_UPLOADS[ext]}
            return _Change("document_attached", {"step": step.key, **meta}, add=[(step.key, "document", meta)])
        return self._act(actor_id, case_id, "attach", {"name": name, "sha256": digest, "doc_type": doc_type},
                         expected_version, idempotency_key, decide)

    # ---- moving ------------------------------------------------------------------------------

    def advance(self, actor_id: int, case_id: int, *, expected_version: int | None = None,
                idempotency_key: str | None = None) -> ActionResult:
        """Leave the current step forward. Where leaving needs approval, this asks for it."""
        def decide(x: _Ctx) -> _Change:
            step = x.permit("advance")
            if step.approval:
                return x.request_approval(step)
            new = x.fire("advance", step)
            return _Change("completed" if new == COMPLETED else "advanced", {"step": step.key, "to": new},
                           to_state=new)
        return self._act(actor_id, case_id, "advance", {}, expected_version, idempotency_key, decide)

    def request_approval(self, actor_id: int, case_id: int, *, comment: str = "",
                         expected_version: int | None = None, idempotency_key: str | None = None) -> ActionResult:
        def decide(x: _Ctx) -> _Change:
            step = x.permit("request_approval")
            if not step.approval:
                raise NotAllowed(f"step '{step.key}' needs no approval: advance instead", step=step.key)
            return x.request_approval(step, comment)
        return self._act(actor_id, case_id, "request_approval", {"comment": comment}, expected_version,
                         idempotency_key, decide)

    def approve(self, actor_id: int, case_id: int, *, comment: str = "", expected_version: int | None = None,
                idempotency_key: str | None = None) -> ActionResult:
        def decide(x: _Ctx) -> _Change:
            step = x.permit("approve")
            if x.row.approval_requested_by == x.user.id:
                raise FourEyes("you asked for this approval; another supervisor must give it")
            new = x.fire("advance", step)
            return _Change("approved", {"step": step.key, "to": new, "comment": _short(comment),
                                        "requested_by": x.row.approval_requested_by},
                           to_state=new, values={"awaiting": None, "approval_requested_by": None},
                           add=[(step.key, "approval", {"comment": _short(comment), "approved": True})])
        return self._act(actor_id, case_id, "approve", {"comment": comment}, expected_version, idempotency_key,
                         decide)

    def return_case(self, actor_id: int, case_id: int, reason: str, *, to: str | None = None,
                    expected_version: int | None = None, idempotency_key: str | None = None) -> ActionResult:
        """Send the case back to an earlier step (its records from there on are set aside), or, with
        no `to` while an approval is pending, decline the approval and leave the case on its step."""
        def decide(x: _Ctx) -> _Change:
            step = x.permit("return")
            why = _reason(reason)
            if to is None and x.row.awaiting == AWAIT_APPROVAL:
                return _Change("returned", {"step": step.key, "to": step.key, "reason": why},
                               values={"awaiting": None, "approval_requested_by": None},
                               add=[(step.key, "approval", {"approved": False, "reason": why})])
            targets = x.definition.returns_from(step.key)
            dest = to if to is not None else (targets[-1] if targets else None)
            if dest is None or dest not in targets:
                raise NotAllowed(f"step '{step.key}' cannot return to '{dest}'"
                                 + (f"; it can return to: {', '.join(targets)}" if targets else
                                    "; it declares no return"), step=step.key, to=dest)
            new = x.fire(return_trigger(dest), step)
            back = [s.key for s in x.definition.steps if x.definition.step(dest).no <= s.no <= step.no]
            return _Change("returned", {"step": step.key, "to": new, "reason": why}, to_state=new,
                           values={"awaiting": None, "approval_requested_by": None},
                           supersede=[(back, None)])
        return self._act(actor_id, case_id, "return", {"reason": reason, "to": to}, expected_version,
                         idempotency_key, decide)

    def cancel(self, actor_id: int, case_id: int, reason: str, *, expected_version: int | None = None,
               idempotency_key: str | None = None) -> ActionResult:
        def decide(x: _Ctx) -> _Change:
            step = x.permit("cancel")
            why = _reason(reason)
            new = x.fire("cancel", step)
            return _Change("cancelled", {"step": step.key, "reason": why}, to_state=new)
        return self._act(actor_id, case_id, "cancel", {"reason": reason}, expected_version, idempotency_key, decide)

    # ---- reading -----------------------------------------------------------------------------

    def get_case(self, actor_id: int, case_id: int, *, history: bool = True) -> CaseDetail:
        with self.store.read() as c:
            user, row = self._user_and_case(c, actor_id, case_id)
            d = self._definition(row.definition_key, row.definition_version)
            x = _Ctx(self, c, user, row, d)
            steps = {s.key: x.records(s.key) for s in d.steps}
            hist = self._events(c, select(events).where(events.c.case_id == row.id).order_by(events.c.seq)) \
                if history else []
            timeline: dict[str, dict] = {}
            for e in (hist if history else self._events(c, select(events).where(
                    events.c.case_id == row.id, events.c.to_state.is_not(None)).order_by(events.c.seq))):
                if e["from_state"] != e["to_state"] and e["to_state"]:
                    if e["from_state"] in timeline:
                        timeline[e["from_state"]]["left_at"] = e["at"]
                    timeline[e["to_state"]] = {"entered_at": e["at"], "left_at": None}
            names = dict(c.execute(select(users.c.id, users.c.display_name).where(
                users.c.id.in_([i for i in (row.approval_requested_by, row.opened_by) if i]))).all())
            cands = x.candidates()
            return CaseDetail(
                summary=self._summary({**row._mapping}, d), definition=d,
                step=d.step(row.state) if row.status == OPEN else None, steps=steps, candidates=cands,
                nominees=x.nominees(), actions=x.available(), return_targets=list(
                    d.returns_from(row.state)) if row.status == OPEN else [],
                timeline=timeline, history=hist, approval_requested_by=names.get(row.approval_requested_by),
                opened_by=names.get(row.opened_by, ""))

    def _events(self, c: Connection, query) -> list[dict]:
        out = []
        for e in c.execute(query):
            m = dict(e._mapping)
            m["at"] = as_utc(m["at"])
            m["payload"] = json.loads(m["payload"])
            out.append(m)
        return out

    def _case_filters(self, c: Connection, user: User, *, procedure=None, state=None, unit_id=None, status=None,
                      text=None, overdue=None, awaiting=None) -> tuple[list, str | None]:
        """(conditions on `cases`, the title text to look for or None): the title filter is the
        caller's to apply, since how to look for it depends on how many titles it matches."""
        procedure, state, status, text = (plain_text(v) if isinstance(v, str) else v
                                          for v in (procedure, state, status, text))
        cond = self._case_scope(c, user)
        if procedure:
            cond.append(cases.c.definition_key == procedure)
        if state:
            cond.append(cases.c.state == state)
        if unit_id:
            cond.append(cases.c.unit_id == _filter_id(unit_id, "unit_id"))
        if status:
            cond.append(cases.c.status == status)
        if awaiting:
            cond.append(cases.c.awaiting == awaiting)
        if overdue:
            cond += [cases.c.status == OPEN, cases.c.step_due < local_date(self.clock())]
        return cond, (str(text)[:100] or None) if text else None

    def list_cases(self, actor_id: int, *, page: int = 1, per_page: int = 25, **filters) -> Page:
        page, per_page = _page_args(page, per_page, 25, 100)
        with self.store.read() as c:
            user = self._user(c, actor_id)
            cond, needle = self._case_filters(c, user, **filters)
            offset = (page - 1) * per_page
            cap = _count_cap(offset, per_page)
            if needle:
                rows, total, exact = self._title_page(c, cond, needle, offset, per_page, cap)
            elif offset >= COUNT_WINDOW:
                rows, total, exact = self._deep_page(c, cond, offset, per_page, cap)
            else:
                total, exact = _count_upto(c, select(cases.c.id).where(*cond), offset, per_page)
                # A deferred join: the page's ids are found (and OFFSET skipped) in an index alone, then
                # only those rows are read; skipping whole rows made a deep page cost a row per skipped case.
                ids = select(cases.c.id).where(*cond).order_by(*_NEWEST).limit(per_page).offset(offset)
                if exact and total <= COUNT_WINDOW:
                    # Few matches, and the count says so: gather them, then sort. Walking the date index
                    # until 25 match would read the whole table for a rare filter.
                    few = select(cases.c.id, cases.c.updated_at).where(*cond).cte("few").prefix_with(
                        "MATERIALIZED", dialect="postgresql")
                    ids = select(few.c.id).order_by(few.c.updated_at.desc(), few.c.id.desc()).limit(per_page) \
                        .offset(offset)
                rows = self._page_rows(c, ids) if offset < total else []
            return Page([self._summary(dict(r._mapping)) for r in rows], total, page, per_page, exact)

    @staticmethod
    def _page_rows(c: Connection, ids) -> list:
        """The cases of a page, newest first: `ids` a SELECT of their ids or a list of them."""
        if isinstance(ids, list) and not ids:
            return []
        return c.execute(select(cases, units.c.name.label("unit_name")).join(units, units.c.id == cases.c.unit_id)
                         .where(cases.c.id.in_(ids)).order_by(*_NEWEST)).all()

    def _deep_page(self, c: Connection, cond: list, offset: int, per_page: int, cap: int) -> tuple[list, int, bool]:
        """A page at least COUNT_WINDOW deep: (rows, total, exact) as `_count_upto` counts them.
        The page is found first (its OFFSET skipped in an index), then the matches are counted
        from its first case on — they are `offset` fewer than all of them, which the page has just
        skipped — so the cases before the page are walked once, not twice (the count of the last
        page of 8,653 walked 9,651 index entries, then the page skipped 8,650 again)."""
        rows = self._page_rows(c, select(cases.c.id).where(*cond).order_by(*_NEWEST).limit(per_page).offset(offset))
        if not rows:                    # past the end: the true total, at most `offset`
            return rows, _count(c, select(literal(1)).select_from(cases).where(*cond), cap + 1), True
        first = rows[0]
        # its place in the order: in SQLite's read transaction (one snapshot) read again by id, so
        # stored and compared values are the same text; PostgreSQL's READ COMMITTED statements each
        # see their own snapshot, so the value the page was read with is bound
        at = (select(cases.c.updated_at).where(cases.c.id == first.id).scalar_subquery() if c.dialect.name == "sqlite"
              else literal(first.updated_at, cases.c.updated_at.type))
        after = tuple_(cases.c.updated_at, cases.c.id) <= tuple_(at, first.id)
        n = offset + _count(c, select(literal(1)).select_from(cases).where(*cond, after), cap - offset + 1)
        return (rows, n, True) if n <= cap else (rows, cap, False)

    def _title_page(self, c: Connection, cond: list, needle: str, offset: int, per_page: int,
                    cap: int) -> tuple[list, int, bool]:
        """(rows, total, exact) of a page of the cases matching `cond` whose title contains `needle`.

        First at most cap + 1 matches are gathered, in whatever order the index yields them: their
        number is the count, and when they are all there is (at most cap), the page is among them,
        so the text is looked up once (a person's name: one pass over the trigram index, where
        counting and then gathering made two). When there are more, the page is found in date order:
        on PostgreSQL by the planner (the date index, each title checked); on SQLite by walking the
        date order and checking each title with a GLOB that folds case as the FTS index does
        (`title_glob`), which finds a common word's newest 25 in a few hundred rows, where the FTS
        index would hand over every match (8,260 for 'Nguyễn' at 100k cases) to be sorted. The walk
        reads at most `_title_walk_rows` cases; if the page is not among them (every match old), the
        FTS index gathers them all after all. SQLite's gathering steps through the FTS index and
        stops at cap + 1 matches; PostgreSQL's reads the trigram index once."""
        if c.dialect.name != "sqlite" or len(needle) < TRIGRAM:
            match = title_contains(c.dialect.name, needle)
            walk = select(cases.c.id).where(*cond, match).order_by(*_NEWEST).limit(per_page).offset(offset)
            m = select(cases.c.id, cases.c.updated_at).where(*cond, match).limit(cap + 1).cte("m") \
                .prefix_with("MATERIALIZED", dialect="postgresql")
            page = select(m.c.id, m.c.updated_at).order_by(m.c.updated_at.desc(), m.c.id.desc()) \
                .limit(per_page).offset(offset).subquery()
            # how many, and the page's ids (one row with no id when the page is empty)
            got = c.execute(select(select(func.count()).select_from(m).scalar_subquery().label("n"), page.c.id)
                            .select_from(select(literal_column("1").label("one")).subquery().outerjoin(page, true()))
                            .order_by(page.c.updated_at.desc(), page.c.id.desc())).all()
            n = got[0].n
            if n <= cap:
                return self._page_rows(c, [r.id for r in got if r.id is not None]), n, True
            return self._page_rows(c, walk), cap, False
        # SQLite: the ids alone, in the FTS index's order, handed over as one text (1,001 rows through
        # the driver cost more than finding them); no case row is read unless a condition needs one.
        check = and_(cases.c.title.like(title_like(needle), escape="\\"), cases.c.title.op("GLOB")(title_glob(needle)))
        src, match = fts_cases(needle)
        m = (select(cases.c.id.label("id")).select_from(src).where(match, *cond) if cond else
             select(fts_rowid().label("id")).where(match)).limit(cap + 1).subquery()
        n, last, found = c.execute(select(func.count(), func.max(m.c.id), func.group_concat(m.c.id))).one()
        if n <= cap:
            if n <= offset:
                return [], n, True
            if n > TITLE_IDS_MAX:       # a deep page of many: not thousands of ids as parameters
                return self._page_rows(c, select(cases.c.id).select_from(src).where(match, *cond)
                                       .order_by(*_NEWEST).limit(per_page).offset(offset)), n, True
            return self._page_rows(c, select(cases.c.id).where(cases.c.id.in_([int(i) for i in found.split(",")]))
                                   .order_by(*_NEWEST).limit(per_page).offset(offset)), n, True
        oldest = select(cases.c.updated_at).where(*cond).order_by(*_NEWEST).limit(1) \
            .offset(_title_walk_rows(offset + per_page, cap, last) - 1).scalar_subquery()  # NULL: fewer cases
        rows = self._page_rows(c, select(cases.c.id).where(
            *cond, cases.c.updated_at >= func.coalesce(oldest, literal_column("''")), check)
            .order_by(*_NEWEST).limit(per_page).offset(offset))
        if len(rows) < per_page:        # more than cap match, so a page is full: the walk stopped short
            rows = self._page_rows(c, select(cases.c.id).select_from(src).where(match, *cond).order_by(*_NEWEST)
                                   .limit(per_page).offset(offset))
        return rows, cap, False

    def work_queue(self, actor_id: int, *, limit: int = 50) -> Page:
        """The open cases waiting for this user's action, oldest step first: the first `limit` of
        them, and how many there are (counted as the pager counts, at most COUNT_WINDOW past them).
        Staff: cases at a staff step with nothing awaited. Supervisors: cases awaiting an approval or
        a head's decision, and cases at a step a supervisor records."""
        limit = _page_args(1, limit, 50, 100)[1]
        with self.store.read() as c:
            user = self._user(c, actor_id)
            base = [*self._case_scope(c, user), cases.c.status == OPEN]
            mine = self._states_for_role(user.role) if user.role in ("staff", "supervisor") else []
            at_my_step = [cases.c.awaiting.is_(None), _at_steps(c.dialect.name, mine)] if mine else []
            order = (cases.c.step_started_at, cases.c.id)
            # One SELECT per way a case can wait (each reads its own index), not one OR across them,
            # each with the order its index has. Cases at my step await nothing: their part is
            # ordered by (awaiting, step_started_at, id), the same order since awaiting is NULL in
            # every row of it, but PostgreSQL's planner does not take `awaiting IS NULL` for an
            # equality and so did not see that ix_cases_work_queue (status, awaiting,
            # step_started_at, id, ...) is already in step order: it read every waiting case of the
            # district and sorted them (bench/scale.py, district staff: 18 ms for the page at 100k).
            parts = [(base + at_my_step, (cases.c.awaiting, *order))] if mine else []
            if user.role == "supervisor":
                parts.append((base + [cases.c.awaiting.in_([AWAIT_APPROVAL, AWAIT_HEAD])], order))
            if not parts:
                return Page([], 0, 1, limit)
            firsts = [select(cases.c.id, cases.c.step_started_at).where(*cond).order_by(*by).limit(limit).subquery()
                      for cond, by in parts]
            first = firsts[0] if len(firsts) == 1 else union_all(*(select(f) for f in firsts)).subquery()
            page_ids = select(first.c.id).order_by(first.c.step_started_at, first.c.id).limit(limit).subquery()
            rows = c.execute(select(cases, units.c.name.label("unit_name"))
                             .join(units, units.c.id == cases.c.unit_id)
                             .where(cases.c.id.in_(select(page_ids.c.id))).order_by(*order)).all()
            items = [self._summary(dict(r._mapping)) for r in rows]
            if len(items) < limit:
                return Page(items, len(items), 1, limit)
            cap = _count_cap(0, limit)
            # counted in no order: ordered, PostgreSQL sorted every waiting case before counting 1,001
            total = sum(_count(c, select(literal(1)).select_from(cases).where(*cond), cap + 1) for cond, _ in parts)
            return Page(items, min(total, cap), 1, limit, total <= cap)

    def _states_for_role(self, role: str) -> list[tuple[str, int, str]]:
        return [(d.key, d.version, s.key) for d in self.registry.all() for s in d.steps if s.role == role]

    def history(self, actor_id: int, case_id: int) -> list[dict]:
        with self.store.read() as c:
            user, row = self._user_and_case(c, actor_id, case_id)
            return self._events(c, select(events).where(events.c.case_id == row.id).order_by(events.c.seq))

    def search_events(self, actor_id: int, *, case_id: int | None = None, username: str | None = None,
                      procedure: str | None = None, unit_id: int | None = None, kind: str | None = None,
                      date_from: dt.date | None = None, date_to: dt.date | None = None, page: int = 1,
                      per_page: int = 50) -> Page:
        """The auditor's search over the record, limited to the cases of their unit tree (events that
        belong to no case — sign-ins, user changes — are shown to auditors and administrators)."""
        page, per_page = _page_args(page, per_page, 50, 500)
        for name, d in (("date_from", date_from), ("date_to", date_to)):
            if d is not None and not isinstance(d, dt.date):
                raise Validation(f"{name} must be a date", fields={name: "a date"})
        with self.store.read() as c:
            user = self._user(c, actor_id)
            if user.role not in ("auditor", "admin", "supervisor"):
                raise Forbidden("the record is searched by auditors, supervisors and administrators")
            # Each event's case (and its unit) joined by primary key, not a subquery over every case
            # in scope (IN, or EXISTS, which PostgreSQL hashes whole under an OR): the planner starts
            # from the filter's index (user, day, case), so the cost follows the result, not the log.
            # A user whose subtree is every unit needs no scope: the count then reads one index.
            case_unit = units.alias("case_unit")
            found = events.outerjoin(cases, cases.c.id == events.c.case_id).outerjoin(
                case_unit, case_unit.c.id == cases.c.unit_id)
            whole = self._whole_tree(c, user)
            if whole:
                cond = [] if user.role in ("auditor", "admin") else [events.c.case_id.is_not(None)]
            else:
                scoped = case_unit.c.path.startswith(user.unit_path, autoescape=True)
                if user.role in ("auditor", "admin"):
                    own_units = select(units.c.id).where(self._scope(user))
                    scoped = or_(scoped, and_(events.c.case_id.is_(None),
                                              or_(events.c.unit_id.in_(own_units), events.c.unit_id.is_(None))))
                cond = [scoped]
            username, kind, procedure = (plain_text(v) if isinstance(v, str) else v for v in (username, kind, procedure))
            case_id, unit_id = _filter_id(case_id, "case_id"), _filter_id(unit_id, "unit_id")
            if case_id:
                cond.append(events.c.case_id == case_id)
            if username:
                cond.append(events.c.actor == str(username)[:80])
            if kind:
                cond.append(events.c.kind == str(kind)[:40])
            if procedure:
                cond.append(cases.c.definition_key == procedure)
            if unit_id:
                cond.append(cases.c.unit_id == unit_id)
            if date_from:
                cond.append(events.c.at >= _day_start(date_from))
            if date_to:
                cond.append(events.c.at < _day_start(date_to + dt.timedelta(days=1)))
            if whole and not (procedure or unit_id):
                found = events                  # no condition on the case: no join
            offset = (page - 1) * per_page
            total, exact = _count_upto(c, select(events.c.seq).select_from(found).where(*cond), offset,
                                       per_page)
            seqs = select(events.c.seq).select_from(found).where(*cond).order_by(events.c.seq.desc()) \
                .limit(per_page).offset(offset)          # a deferred join, as in list_cases
            items = self._events(c, select(events).where(events.c.seq.in_(seqs)).order_by(events.c.seq.desc())) \
                if offset < total else []
            # name each event's case and procedure, so a reader can show step titles, not keys
            ids = {e["case_id"] for e in items if e["case_id"] is not None}
            about = {r.id: r for r in c.execute(select(cases.c.id, cases.c.title, cases.c.definition_key,
                                                       cases.c.definition_version).where(cases.c.id.in_(ids)))} \
                if ids else {}
            for e in items:
                r = about.get(e["case_id"])
                e.update(case_title=r.title if r else None, procedure=r.definition_key if r else None,
                         procedure_version=r.definition_version if r else None)
            return Page(items, total, page, per_page, exact)

    def verify(self, actor_id: int | None = None) -> audit.Verification:
        """Walk the whole chain. Auditors and administrators (and the CLI, with no actor)."""
        with self.store.read(snapshot=True) as c:
            if actor_id is not None:
                user = self._user(c, actor_id)
                if user.role not in ("auditor", "admin", "supervisor"):
                    raise Forbidden("the record's integrity is checked by auditors")
            return audit.verify(c)

    def announcements(self, actor_id: int, *, limit: int = 50) -> list[dict]:
        with self.store.read() as c:
            user = self._user(c, actor_id)
            rows = c.execute(
                select(records.c.payload, records.c.created_at, cases.c.id, cases.c.title, cases.c.definition_key,
                       units.c.name.label("unit_name"))
                .join(cases, cases.c.id == records.c.case_id).join(units, units.c.id == cases.c.unit_id)
                .where(records.c.kind == "announcement", records.c.superseded.is_(False), self._scope(user))
                .order_by(records.c.created_at.desc()).limit(limit)).all()
            return [{**r.payload, "published_at": as_utc(r.created_at), "case_id": r.id, "case_title": r.title,
                     "procedure": r.definition_key, "unit_name": r.unit_name} for r in rows]

    def document(self, actor_id: int, case_id: int, sha256: str) -> tuple[dict, bytes]:
        with self.store.read() as c:
            user, row = self._user_and_case(c, actor_id, case_id)
            meta = None
            for r in c.execute(select(records.c.payload).where(records.c.case_id == row.id,
                                                               records.c.kind == "document")):
                if r.payload.get("sha256") == sha256:
                    meta = r.payload
            if meta is None:
                raise NotFound("no such document in this case")
            blob = c.execute(select(blobs.c.content).where(blobs.c.sha256 == sha256)).scalar_one()
            return meta, bytes(blob)

    # ---- people, units, sign-in --------------------------------------------------------------

    def _admin(self, c: Connection, actor_id: int | None) -> Actor:
        if actor_id is None:
            return audit.SYSTEM
        user = self._user(c, actor_id)
        if user.role != "admin":
            raise Forbidden("only administrators manage users and units")
        return user.actor()

    def _admin_scope(self, c: Connection, actor_id: int | None, unit_id: int) -> Row:
        unit = self._unit(c, unit_id)
        if actor_id is not None:
            user = self._user(c, actor_id)
            if not unit.path.startswith(user.unit_path):
                raise NotFound(f"unit {unit_id} does not exist", unit_id=unit_id)
        return unit

    def create_unit(self, actor_id: int | None, name: str, parent_id: int | None = None) -> dict:
        name = " ".join(plain_text(name or "").split())
        if not name or len(name) > 200:
            raise Validation("a unit needs a name of at most 200 characters", fields={"name": "1 to 200 characters"})
        with self.store.write() as c:
            actor = self._admin(c, actor_id)
            parent = self._admin_scope(c, actor_id, parent_id) if parent_id is not None else None
            if parent is None and actor_id is not None:
                raise Forbidden("only the system creates a top-level unit")
            dup = c.execute(select(units.c.id).where(units.c.name == name, units.c.parent_id.is_(None)
                                                     if parent is None else units.c.parent_id == parent.id)).first()
            if dup:
                raise Validation(f"there is already a unit '{name}' here", fields={"name": "already exists here"})
            now = self.clock()
            uid = c.execute(units.insert().values(name=name, parent_id=parent.id if parent else None, path="",
                                                  created_at=now)).inserted_primary_key[0]
            path = f"{parent.path if parent else '/'}{uid}/"
            c.execute(update(units).where(units.c.id == uid).values(path=path))
            audit.append(c, actor, "unit_created", at=now, payload={"unit_id": uid, "name": name,
                                                                     "parent_id": parent.id if parent else None})
            return {"id": uid, "name": name, "parent_id": parent.id if parent else None, "path": path}

    def find_or_create_unit_path(self, names: list[str]) -> int:
        """System helper (CLI, scenarios, demo): the unit at the end of a path of names."""
        parent = None
        for name in names:
            with self.store.read() as c:
                row = c.execute(select(units.c.id).where(units.c.name == name, units.c.parent_id.is_(None)
                                                         if parent is None else units.c.parent_id == parent)).first()
            parent = row.id if row else self.create_unit(None, name, parent)["id"]
        return parent

    def list_units(self, actor_id: int) -> list[dict]:
        with self.store.read() as c:
            user = self._user(c, actor_id)
            rows = c.execute(select(units).where(self._scope(user)).order_by(units.c.path)).all()
            return [{"id": r.id, "name": r.name, "parent_id": r.parent_id, "path": r.path,
                     "depth": r.path.count("/") - 2} for r in rows]

    def create_user(self, actor_id: int | None, username: str, password: str, role: str, unit_id: int,
                    display_name: str | None = None) -> User:
        errors = {}
        username = str(username or "").strip()
        if not re.fullmatch(r"[A-Za-z0-9_.-]{3,80}", username):
            errors["username"] = "3 to 80 letters, digits, '.', '_' or '-'"
        if role not in ROLES:
            errors["role"] = f"must be one of {', '.join(ROLES)}"
        problem = password_problem(password)
        if problem:
            errors["password"] = problem
        display = " ".join(plain_text(display_name or username).split())[:200]
        if errors:
            raise Validation(f"cannot create the user: {next(iter(errors.items()))[0]}: {next(iter(errors.values()))}",
                             fields=errors)
        try:
            with self.store.write() as c:
                actor = self._admin(c, actor_id)
                unit = self._admin_scope(c, actor_id, unit_id)
                now = self.clock()
                uid = c.execute(users.insert().values(
                    username=username, display_name=display, password_hash=hash_password(password), role=role,
                    unit_id=unit.id, active=True, failed_logins=0, created_at=now)).inserted_primary_key[0]
                audit.append(c, actor, "user_created", at=now, payload={
                    "user_id": uid, "username": username, "role": role, "unit_id": unit.id})
                return self._user(c, uid)
        except IntegrityError:
            raise Validation(f"the user name '{username}' is taken", fields={"username": "already taken"}) from None

    def update_user(self, actor_id: int | None, user_id: int, *, role: str | None = None, unit_id: int | None = None,
                    active: bool | None = None, password: str | None = None,
                    display_name: str | None = None) -> User:
        values: dict[str, Any] = {}
        if role is not None:
            if role not in ROLES:
                raise Validation(f"role must be one of {', '.join(ROLES)}", fields={"role": "unknown role"})
            values["role"] = role
        if password is not None:
            problem = password_problem(password)
            if problem:
                raise Validation(problem, fields={"password": problem})
            values.update(password_hash=hash_password(password), failed_logins=0, locked_until=None)
        if active is not None:
            values["active"] = bool(active)
        if display_name is not None and display_name.strip():
            values["display_name"] = " ".join(plain_text(display_name).split())[:200]
        with self.store.write() as c:
            actor = self._admin(c, actor_id)
            target = self._user(c, user_id, must_be_active=False)
            if actor_id is not None:
                me = self._user(c, actor_id)
                if not target.unit_path.startswith(me.unit_path):
                    raise NotFound(f"user {user_id} does not exist")
                if target.id == me.id and (active is False or (role is not None and role != "admin")):
                    raise NotAllowed("you cannot deactivate yourself or take away your own administrator role")
            if unit_id is not None:
                values["unit_id"] = self._admin_scope(c, actor_id, unit_id).id
            if values:
                c.execute(update(users).where(users.c.id == user_id).values(**values))
                shown = {k: v for k, v in values.items() if k not in ("password_hash", "failed_logins", "locked_until")}
                if password is not None:
                    shown["password"] = "reset"
                audit.append(c, actor, "user_updated", at=self.clock(), payload={"user_id": user_id, **shown})
            return self._user(c, user_id, must_be_active=False)

    def list_users(self, actor_id: int) -> list[User]:
        with self.store.read() as c:
            me = self._user(c, actor_id)
            if me.role not in ("admin", "auditor"):
                raise Forbidden("only administrators and auditors list users")
            rows = c.execute(select(users, units.c.path, units.c.name.label("unit_name"))
                             .join(units, units.c.id == users.c.unit_id).where(self._scope(me))
                             .order_by(users.c.username)).all()
            return [User(r.id, r.username, r.display_name, r.role, r.unit_id, r.path, r.unit_name, r.active, r.locale)
                    for r in rows]

    def user_by_name(self, username: str) -> User | None:
        with self.store.read() as c:
            row = c.execute(select(users.c.id).where(users.c.username == plain_text(username))).first()
            return self._user(c, row.id, must_be_active=False) if row else None

    def authenticate(self, username: str, password: str, *, source: str = "") -> User:
        """Check a sign-in. Every failure is on the record; after 5 failures in a row the account is
        locked for 5 minutes (the answer does not say whether the name exists)."""
        now = self.clock()
        username = plain_text(username or "")[:80]
        with self.store.write() as c:
            row = c.execute(select(users).where(users.c.username == username).with_for_update()).first()
            locked = row is not None and row.locked_until is not None and as_utc(row.locked_until) > now
            ok = row is not None and row.active and not locked and check_password(row.password_hash, str(password or ""))
            if ok:
                c.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=None,
                                                                          last_login_at=now))
                user = self._user(c, row.id)
                audit.append(c, user.actor(), "signed_in", at=now, payload={"source": source[:100]})
                return user
            reason = ("unknown_user" if row is None else "inactive" if not row.active else
                      "locked" if locked else "bad_password")
            if row is not None and reason == "bad_password":
                fails = row.failed_logins + 1
                c.execute(update(users).where(users.c.id == row.id).values(
                    failed_logins=fails,
                    locked_until=now + dt.timedelta(minutes=LOCK_MINUTES) if fails >= LOCK_AFTER else None))
            audit.append(c, Actor(row.id if row else None, username or "?", row.role if row else "anonymous",
                                  row.unit_id if row else None),
                         "sign_in_failed", at=now, payload={"reason": reason, "source": source[:100]})
        # committed: the failure stays on the record even though we refuse
        raise AuthFailed("wrong user name or password" if reason != "locked" else
                         f"too many failed attempts; try again in {LOCK_MINUTES} minutes", reason=reason)

    def set_locale(self, actor_id: int, locale: str | None) -> User:
        """The user's preferred language for the pages ('vi', 'en', or None for the default)."""
        if locale not in (None, "vi", "en"):
            raise Validation("language must be 'vi' or 'en'", fields={"locale": "vi or en"})
        with self.store.write() as c:
            user = self._user(c, actor_id)
            c.execute(update(users).where(users.c.id == user.id).values(locale=locale))
            return self._user(c, user.id)

    def change_password(self, actor_id: int, current: str, new: str) -> User:
        """A user changes their own password; every other session of theirs ends with it."""
        problem = password_problem(new)
        if problem:
            raise Validation(problem, fields={"new_password": problem})
        with self.store.write() as c:
            user = self._user(c, actor_id)
            stored = c.execute(select(users.c.password_hash).where(users.c.id == user.id)).scalar_one()
            if not check_password(stored, str(current or "")):
                raise Validation("the current password is wrong", fields={"current_password": "wrong password"})
            if current == new:
                raise Validation("choose a password different from the current one",
                                 fields={"new_password": "same as the current one"})
            c.execute(update(users).where(users.c.id == user.id).values(password_hash=hash_password(new)))
            audit.append(c, user.actor(), "password_changed", at=self.clock(), payload={"user_id": user.id})
            return self._user(c, user.id)

    def record_sign_out(self, actor_id: int) -> None:
        with self.store.write() as c:
            user = self._user(c, actor_id, must_be_active=False)
            audit.append(c, user.actor(), "signed_out", at=self.clock())

    # ---- API tokens --------------------------------------------------------------------------

    def create_token(self, actor_id: int, name: str) -> tuple[int, str]:
        name = " ".join(plain_text(name or "").split())[:100]
        if not name:
            raise Validation("give the token a name", fields={"name": "required"})
        token = new_token()
        with self.store.write() as c:
            user = self._user(c, actor_id)
            now = self.clock()
            tid = c.execute(api_tokens.insert().values(user_id=user.id, name=name, token_hash=token_hash(token),
                                                       created_at=now)).inserted_primary_key[0]
            audit.append(c, user.actor(), "token_created", at=now, payload={"token_id": tid, "name": name})
        return tid, token

    def revoke_token(self, actor_id: int, token_id: int) -> None:
        if not _is_id(token_id):
            raise NotFound("no such active token")
        with self.store.write() as c:
            user = self._user(c, actor_id, must_be_active=False)
            res = c.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.user_id == user.id,
                                                     api_tokens.c.revoked_at.is_(None)).values(revoked_at=self.clock()))
            if res.rowcount != 1:
                raise NotFound("no such active token")
            audit.append(c, user.actor(), "token_revoked", at=self.clock(), payload={"token_id": token_id})

    def list_tokens(self, actor_id: int) -> list[dict]:
        with self.store.read() as c:
            user = self._user(c, actor_id, must_be_active=False)
            return [dict(r._mapping) for r in c.execute(
                select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.created_at, api_tokens.c.last_used_at,
                       api_tokens.c.revoked_at).where(api_tokens.c.user_id == user.id).order_by(api_tokens.c.id))]

    def user_for_token(self, token: str) -> User | None:
        """The active user a live token belongs to, or None (revoked, unknown, or user deactivated)."""
        if not isinstance(token, str) or not token.startswith("cf_") or len(token) > 200:
            return None
        with self.store.read() as c:
            row = c.execute(select(api_tokens.c.user_id).where(api_tokens.c.token_hash == token_hash(token),
                                                               api_tokens.c.revoked_at.is_(None))).first()
            if row is None:
                return None
            try:
                return self._user(c, row.user_id)
            except Forbidden:
                return None


class _Ctx:
    """One case inside one unit of work: its facts, and the checks the rules make on them."""

    def __init__(self, wf: Workflow, c: Connection, user: User, row: Row, definition: Definition):
        self.wf, self.c, self.user, self.row, self.definition = wf, c, user, row, definition
        self._rows: dict[str, dict[str, list]] | None = None
        self._records: dict[str, StepRecords] = {}
        self.machine = machine_for(definition)

    # facts ------------------------------------------------------------------------------------
    def records(self, step_key: str) -> StepRecords:
        """What is on record for one step. One query loads the case's live records; a step's
        tally is parsed and evaluated only when that step is asked for."""
        rec = self._records.get(step_key)
        if rec is not None:
            return rec
        if self._rows is None:
            by: dict[str, dict[str, list]] = {}
            for r in fastsql.run(self.c, _RECORDS_OF_CASE, {"case_id": self.row.id}):
                by.setdefault(r.step_key, {}).setdefault(r.kind, []).append((r.payload, as_utc(r.created_at)))
            self._rows = by
        s = self.definition.step(step_key)
        k = self._rows.get(s.key, {})
        last = lambda kind: k[kind][-1][0] if k.get(kind) else None  # noqa: E731
        tally = Tally.from_payload(last("tally")) if last("tally") else None
        head = {p["candidate"]: p["accept"] for p, _ in k.get("head_decision", [])}
        result = evaluate(tally, s.vote, head) if tally is not None and s.vote else None
        rec = self._records[s.key] = StepRecords(
            form=last("form") or {}, tally=tally, tally_result=result, head=head,
            announcement=last("announcement"), documents=[p for p, _ in k.get("document", [])],
            approval=last("approval"), recorded_at={kind: v[-1][1] for kind, v in k.items()})
        return rec

    def candidates(self, before: str | None = None) -> list[str]:
        """Who is in the running (at the steps before `before`, when given): the latest
        'candidates' field, plus nominees added at conferences; after a nomination conference
        only those it sent on (the one selected, or the top two) remain."""
        names: list[str] = []
        limit = self.definition.step(before).no if before else None
        for s in self.definition.steps:
            if limit is not None and s.no > limit:
                break
            rec = self.records(s.key)
            for f in s.form:
                if f.type == "candidates" and rec.form.get(f.key):
                    names = list(rec.form[f.key])
            if rec.tally and (limit is None or s.no < limit):
                going = rec.tally_result.outcome.going_on if rec.tally_result else ()
                if s.vote.mode == "nominate" and going:
                    names = list(going)
                else:
                    names += [n for n in rec.tally.nominees if n not in names]
        return names

    def nominees(self) -> list[str]:
        out: list[str] = []
        for s in self.definition.steps:
            t = self.records(s.key).tally
            if t:
                out += [n for n in t.nominees if n not in out]
        return out

    # permissions ------------------------------------------------------------------------------
    def permit(self, action: str) -> Step:
        """The current step, if this user may take `action` on this case now; else raise."""
        row, user = self.row, self.user
        supervisor_actions = ("approve", "return", "head_decision", "cancel")
        if user.role not in ("staff", "supervisor"):
            raise Forbidden(f"a {user.role} reads cases and changes nothing", role=user.role)
        if action in supervisor_actions and user.role != "supervisor":
            raise Forbidden(f"only a supervisor can {_ACTION_WORDS[action]}", role=user.role)
        if row.status != OPEN:
            raise NotAllowed(f"the case is {row.status}; nothing more can be done", status=row.status)
        step = self.definition.step(row.state)
        if action in supervisor_actions:
            pass
        elif user.role != step.role:
            raise Forbidden(f"step '{step.key}' is recorded by {step.role}; you are {user.role}",
                            role=user.role, needed=step.role)
        if action == "approve" and row.awaiting != AWAIT_APPROVAL:
            raise NotAllowed("no approval has been requested at this step")
        if action in ("record", "tally", "attach", "announce", "advance", "request_approval") \
                and row.awaiting == AWAIT_APPROVAL:
            raise NotAllowed("the step is waiting for a supervisor's approval; it can be changed "
                             "only after it is returned")
        if action == "head_decision" and row.awaiting != AWAIT_HEAD:
            raise NotAllowed("no decision of the head is pending")
        return step

    def available(self) -> list[str]:
        out = []
        if self.row.status != OPEN:
            return out
        step = self.definition.step(self.row.state)
        for a in ACTIONS:
            try:
                self.permit(a)
            except WorkflowError:
                continue
            if (a == "record" and not step.form) or (a == "tally" and not step.vote) \
                    or (a == "announce" and not step.announcement) \
                    or (a == "request_approval" and not step.approval) \
                    or (a == "approve" and self.row.approval_requested_by == self.user.id) \
                    or (a == "return" and not self.definition.returns_from(step.key)
                        and self.row.awaiting != AWAIT_APPROVAL):
                continue
            out.append(a)
        return out

    # moving -----------------------------------------------------------------------------------
    def fire(self, trigger: str, step: Step) -> str:
        return self.machine.fire(self.row.state, trigger, guard=self._guard)

    def _guard(self, trigger: str, source: str, dest: str) -> None:
        if trigger == "advance":
            self.check_can_leave(self.definition.step(source))

    def check_can_leave(self, step: Step) -> None:
        rec = self.records(step.key)
        missing = missing_fields(step, rec.form)
        if missing:
            raise GuardFailed(f"fill in before leaving the step: {', '.join(missing)}",
                              fields={k: "required" for k in missing}, missing=missing)
        unmet = false_required_booleans(step, rec.form)
        if unmet:
            raise GuardFailed(f"conditions not met: {', '.join(unmet)}", fields={k: "must be met" for k in unmet})
        if step.vote is not None:
            if rec.tally is None:
                raise GuardFailed("the conference's tally has not been recorded", fields={"tally": "required"})
            res = rec.tally_result
            if not res.quorum.met:
                raise QuorumNotMet(f"no quorum: {res.quorum.present} of {res.quorum.of} present, at least "
                                   f"{res.quorum.needed} needed")
            if res.outcome.awaiting_head:
                raise GuardFailed(f"waiting for the head's decision on {', '.join(res.outcome.awaiting_head)} "
                                  "(exactly at the threshold)")
            if not res.outcome.passed:
                raise GuardFailed(f"the vote did not pass: nobody reached {_pct(res)} of the {step.vote.base} "
                                  f"({res.needed} of {res.base} votes needed)")
        for d in step.documents:
            if d.required and not any(doc["doc_type"] == d.type for doc in rec.documents):
                raise GuardFailed(f"attach the document '{d.label.en}' before leaving the step",
                                  fields={"documents": d.type})
        if step.announcement and rec.announcement is None:
            raise GuardFailed("publish the announcement before leaving the step", fields={"announcement": "required"})

    def request_approval(self, step: Step, comment: str = "") -> _Change:
        if self.row.awaiting == AWAIT_APPROVAL:
            raise NotAllowed("approval has already been requested")
        self.check_can_leave(step)
        return _Change("approval_requested", {"step": step.key, "comment": _short(comment)},
                       values={"awaiting": AWAIT_APPROVAL, "approval_requested_by": self.user.id},
                       add=[(step.key, "approval_request", {"comment": _short(comment)})],
                       info={"awaiting": AWAIT_APPROVAL})


# ---- small helpers -----------------------------------------------------------------------------

_ACTION_WORDS = {"approve": "approve", "return": "return a case", "head_decision": "record the head's decision",
                 "cancel": "cancel a case"}

def _pct(res: TallyResult) -> str:
    f = res.rule.pass_fraction
    word = "more than" if res.rule.pass_op == "gt" else "at least"
    return f"{word} {f.numerator}/{f.denominator}"


def _result_payload(res: TallyResult) -> dict:
    return {"quorum_met": res.quorum.met, "quorum_needed": res.quorum.needed, "base": res.rule.base,
            "base_value": res.base, "needed": res.needed, "passed": res.outcome.passed,
            "awaiting_head": list(res.outcome.awaiting_head), "going_on": list(res.outcome.going_on),
            "candidates": [{"name": j.name, "votes": j.votes, "share": f"{j.share.numerator}/{j.share.denominator}",
                            "percent": round(float(j.share) * 100, 2), "status": j.status, "outcome": j.outcome}
                           for j in res.outcome.judgements]}


def _short(text: Any, limit: int = 2000) -> str:
    return plain_text(text or "").strip()[:limit]


def _reason(reason: Any) -> str:
    why = plain_text(reason or "").strip()
    if not why:
        raise Validation("give a reason", fields={"reason": "required"})
    if len(why) > 2000:
        raise Validation("a reason is at most 2000 characters", fields={"reason": "at most 2000 characters"})
    return why


def _stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _safe_filename(name: Any) -> str:
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", base).strip(" .")
    return base[:200] or "file"


def _day_start(d: dt.date) -> dt.datetime:
    from zoneinfo import ZoneInfo
    return dt.datetime.combine(d, dt.time(), ZoneInfo("Asia/Ho_Chi_Minh")).astimezone(dt.timezone.utc)


def _jsonable(x: Any) -> Any:
    try:
        json.dumps(x, default=str)
        return json.loads(json.dumps(x, default=str))
    except (TypeError, ValueError):
        return repr(x)


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"

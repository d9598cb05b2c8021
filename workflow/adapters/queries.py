"""The read side's queries (Core): the case list and its pager, the work queue, the auditor's
search, a case's history, the announcements board, and the people lists. Every query that
returns cases or events is scoped through adapters/scope.py.

The pager counts the matches at most COUNT_WINDOW past the page asked for: when there are more,
the count is a lower bound (shown as "more than …"), so a list costs the same at 1,000 cases as
at 100,000 (bench/scale.py: 70-98 % of a list at 100k cases was its count(*))."""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
from typing import Any

from sqlalchemy import Integer, String, column, func, literal, or_, select, text, tuple_, union_all, values
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from ..domain.case import AWAIT_APPROVAL, AWAIT_CORRECTION, AWAIT_DECISION, AWAIT_HEAD, OPEN, CaseRow
from ..domain.people import User
from ..domain.permissions import SEES_SYSTEM_EVENTS
from ..domain.search import Needle
from . import scope
from .search import matches
from .tables import api_tokens, cases, events, records, units, users
from .times import as_utc

COUNT_WINDOW = 1000
SUPERVISOR_WAITS = (AWAIT_APPROVAL, AWAIT_HEAD, AWAIT_DECISION, AWAIT_CORRECTION)
_NEWEST = (cases.c.updated_at.desc(), cases.c.id.desc())      # the case list's order
_SUMMARY = (cases.c.id, cases.c.definition_key, cases.c.definition_version, cases.c.title, cases.c.unit_id,
            cases.c.state, cases.c.status, cases.c.version, cases.c.step_started_at, cases.c.step_due,
            cases.c.awaiting, cases.c.approval_requested_by, cases.c.opened_by, cases.c.opened_at,
            cases.c.updated_at, units.c.name.label("unit_name"), cases.c.outcome, cases.c.case_due, cases.c.returned)
_SLUG = re.compile(r"[a-z][a-z0-9_-]*\Z")


def count_cap(offset: int, per_page: int) -> int:
    """How many matches a pager counts: COUNT_WINDOW past `offset`, and always past the page itself
    (so an inexact count leaves a next page to go to)."""
    return offset + max(COUNT_WINDOW, per_page + 1)


def case_row(m) -> CaseRow:
    """A case as the list shows it, from a row mapping (a SELECT of _SUMMARY)."""
    return CaseRow(m["id"], m["definition_key"], m["definition_version"], m["title"], m["unit_id"], m["state"],
                   m["status"], m["version"], as_utc(m["step_started_at"]), m["step_due"], m["awaiting"],
                   m["approval_requested_by"], m["opened_by"], as_utc(m["opened_at"]), as_utc(m["updated_at"]),
                   unit_name=m["unit_name"] or "", outcome=m["outcome"], case_due=m["case_due"],
                   returned=bool(m["returned"]))


@functools.lru_cache(maxsize=32)
def _steps_listed(steps: tuple) -> Any:
    """SELECT k, v, s FROM (VALUES …) AS mine(k, v, s), rendered once: built and compiled on every
    call, 44 literal rows cost ~5 ms of Python (no statement cache hit for literal values)."""
    listed = values(column("k", String), column("v", Integer), column("s", String), name="mine").data(list(steps))
    sql = select(listed.c.k, listed.c.v, listed.c.s).compile(dialect=postgresql.dialect(),
                                                              compile_kwargs={"literal_binds": True})
    return text(str(sql)).columns(column("k", String), column("v", Integer), column("s", String))


def at_steps(dialect: str, steps: list[tuple[str, int, str]]):
    """The condition 'the case is at one of these (procedure, version, step)s'. On PostgreSQL a
    join with the list written out as VALUES: as a list of row values it became an OR of (key,
    state) pairs whose matches the planner put at 1/7 of the truth, so it counted a long queue
    through dozens of bitmaps. Written out, not bound: a generic plan sees bound arrays as 10 rows.
    (Keys and steps are slugs, definitions/schema.json: nothing to quote.)"""
    row = tuple_(cases.c.definition_key, cases.c.definition_version, cases.c.state)
    if dialect != "postgresql" or not all(_SLUG.match(k) and _SLUG.match(s) for k, _, s in steps):
        return row.in_(steps)
    return row.in_(_steps_listed(tuple(steps)))


class Queries:
    def __init__(self, conn: Connection):
        self.c = conn
        self.dialect = conn.dialect.name

    # ---- scope -----------------------------------------------------------------------------------
    def whole_tree(self, user: User) -> bool:
        """True when every unit is in the user's tree (a user at the only top unit)."""
        return user.sees_everything and self.c.execute(
            select(func.count()).select_from(units).where(units.c.parent_id.is_(None))).scalar_one() == 1

    def case_scope(self, user: User) -> list:
        return scope.cases_in_scope(user, self.whole_tree(user))

    # ---- counting --------------------------------------------------------------------------------
    def _count(self, query, limit: int) -> int:
        """How many rows `query` has, counting at most `limit`."""
        return self.c.execute(select(func.count()).select_from(query.limit(limit).subquery())).scalar_one()

    def _count_upto(self, query, offset: int, per_page: int) -> tuple[int, bool]:
        """(matches, exact) of `query` (a SELECT of the rows), counted up to count_cap."""
        cap = count_cap(offset, per_page)
        n = self._count(query, cap + 1)
        return (n, True) if n <= cap else (cap, False)

    # ---- the case list -------------------------------------------------------------------------
    def case_conditions(self, user: User, *, procedure=None, state=None, unit_id=None, status=None,
                        needle: Needle | None = None, overdue_before: dt.date | None = None,
                        awaiting=None) -> tuple[list, list]:
        """(conditions, narrowing): `conditions` on `cases` say which match; `narrowing` are more,
        through an index, for when the matches are gathered rather than walked in date order."""
        cond = self.case_scope(user)
        for col, v in ((cases.c.definition_key, procedure), (cases.c.state, state), (cases.c.unit_id, unit_id),
                       (cases.c.status, status), (cases.c.awaiting, awaiting)):
            if v:
                cond.append(col == v)
        if overdue_before:
            cond += [cases.c.status == OPEN, or_(cases.c.step_due < overdue_before, cases.c.case_due < overdue_before)]
        index: list = []
        if needle is not None:
            index, exact = matches(self.dialect, needle)
            cond += exact
        return cond, index

    def page_rows(self, ids) -> list[CaseRow]:
        """The cases of a page, newest first: `ids` a SELECT of their ids."""
        rows = self.c.execute(select(*_SUMMARY).join(units, units.c.id == cases.c.unit_id)
                              .where(cases.c.id.in_(ids)).order_by(*_NEWEST)).mappings().all()
        return [case_row(r) for r in rows]

    def case_page(self, cond: list, page: int, per_page: int, index: list = ()) -> tuple[list[CaseRow], int, bool]:
        """(rows, total, exact) of one page of the cases matching `cond`, newest first. `index`:
        conditions that narrow the same matches through an index, used where they are gathered
        (counted, or few enough to sort); many matches are walked in date order without them."""
        offset = (page - 1) * per_page
        if offset >= COUNT_WINDOW:
            return self._deep_page(cond, offset, per_page, count_cap(offset, per_page))
        total, exact = self._count_upto(select(cases.c.id).where(*index, *cond), offset, per_page)
        # A deferred join: the page's ids are found (and OFFSET skipped) in an index alone, then
        # only those rows are read; skipping whole rows made a deep page cost a row per skipped case.
        ids = select(cases.c.id).where(*cond).order_by(*_NEWEST).limit(per_page).offset(offset)
        if exact and total <= COUNT_WINDOW:
            # Few matches, and the count says so: gather them, then sort. Walking the date index
            # until 25 match would read the whole table for a rare filter.
            few = select(cases.c.id, cases.c.updated_at).where(*index, *cond).cte("few").prefix_with(
                "MATERIALIZED", dialect="postgresql")
            ids = select(few.c.id).order_by(few.c.updated_at.desc(), few.c.id.desc()).limit(per_page).offset(offset)
        return (self.page_rows(ids) if offset < total else []), total, exact

    def _deep_page(self, cond: list, offset: int, per_page: int, cap: int) -> tuple[list[CaseRow], int, bool]:
        """A page at least COUNT_WINDOW deep. The page is found first (its OFFSET skipped in an
        index), then the matches are counted from its first case on — `offset` fewer than all of
        them, which the page has just skipped — so the cases before it are walked once, not twice."""
        rows = self.page_rows(select(cases.c.id).where(*cond).order_by(*_NEWEST).limit(per_page).offset(offset))
        if not rows:                    # past the end: the true total, at most `offset`
            return rows, self._count(select(literal(1)).select_from(cases).where(*cond), cap + 1), True
        first = rows[0]
        # its place in the order: in SQLite's read transaction (one snapshot) read again by id, so
        # stored and compared values are the same text; PostgreSQL's READ COMMITTED statements each
        # see their own snapshot, so the value the page was read with is bound
        at = (select(cases.c.updated_at).where(cases.c.id == first.id).scalar_subquery() if self.dialect == "sqlite"
              else literal(first.updated_at, cases.c.updated_at.type))
        after = tuple_(cases.c.updated_at, cases.c.id) <= tuple_(at, first.id)
        n = offset + self._count(select(literal(1)).select_from(cases).where(*cond, after), cap - offset + 1)
        return (rows, n, True) if n <= cap else (rows, cap, False)

    # ---- the work queue --------------------------------------------------------------------------
    def work_queue(self, user: User, my_steps: list[tuple[str, int, str]], limit: int) -> tuple[list[CaseRow], int, bool]:
        """The open cases waiting for `user`, oldest step first: the first `limit`, and how many
        (capped as the pager counts). Cases at one of `my_steps` awaiting nothing; a supervisor's
        also those awaiting an approval or a head's decision. One SELECT per way a case can wait,
        each in the order its index has (PostgreSQL does not take `awaiting IS NULL` for an
        equality, so (awaiting, step_started_at, id) is asked for to walk ix_cases_work_queue)."""
        base = [*self.case_scope(user), cases.c.status == OPEN]
        order = (cases.c.step_started_at, cases.c.id)
        parts = []
        if my_steps:
            parts.append((base + [cases.c.awaiting.is_(None), at_steps(self.dialect, my_steps)],
                          (cases.c.awaiting, *order)))
        if user.role == "supervisor":
            # an approval, the head's decision, a decision after a failed gate, a corrected tally to approve
            parts.append((base + [cases.c.awaiting.in_(SUPERVISOR_WAITS)], order))
        if not parts:
            return [], 0, True
        firsts = [select(cases.c.id, cases.c.step_started_at).where(*cond).order_by(*by).limit(limit).subquery()
                  for cond, by in parts]
        first = firsts[0] if len(firsts) == 1 else union_all(*(select(f) for f in firsts)).subquery()
        page_ids = select(first.c.id).order_by(first.c.step_started_at, first.c.id).limit(limit).subquery()
        rows = [case_row(r) for r in self.c.execute(
            select(*_SUMMARY).join(units, units.c.id == cases.c.unit_id)
            .where(cases.c.id.in_(select(page_ids.c.id))).order_by(*order)).mappings()]
        if len(rows) < limit:
            return rows, len(rows), True
        cap = count_cap(0, limit)
        # counted in no order: ordered, PostgreSQL sorted every waiting case before counting 1,001
        total = sum(self._count(select(literal(1)).select_from(cases).where(*cond), cap + 1) for cond, _ in parts)
        return rows, min(total, cap), total <= cap

    # ---- events ----------------------------------------------------------------------------------
    def _events(self, query) -> list[dict]:
        out = []
        for e in self.c.execute(query).mappings():
            m = dict(e)
            m["at"] = as_utc(m["at"])
            m["payload"] = json.loads(m["payload"])
            out.append(m)
        return out

    def case_events(self, case_id: int, *, moves_only: bool = False) -> list[dict]:
        """A case's events in order (`moves_only`: those that name a state), each with the actor's full
        name as it is now (`actor_name`; the record keeps the user name)."""
        q = select(events, users.c.display_name.label("actor_name")).outerjoin(
            users, users.c.id == events.c.actor_id).where(events.c.case_id == case_id)
        if moves_only:
            q = q.where(events.c.to_state.is_not(None))
        return self._events(q.order_by(events.c.seq))

    def corrections(self, case_id: int) -> dict[str, list[dict]]:
        """Each step's form corrections, oldest first, from the record (the events that changed a saved
        value): each field's earlier value, why, who, when."""
        out: dict[str, list[dict]] = {}
        q = (select(events.c.payload, events.c.at, events.c.actor, users.c.display_name)
             .outerjoin(users, users.c.id == events.c.actor_id)
             .where(events.c.case_id == case_id, events.c.kind == "form_recorded").order_by(events.c.seq))
        for r in self.c.execute(q):
            p = json.loads(r.payload)
            if p.get("corrected"):
                out.setdefault(p["step"], []).append({"changes": p["corrected"], "reason": p.get("reason"),
                                                      "at": as_utc(r.at), "by": r.display_name or r.actor,
                                                      "login": r.actor})
        return out

    def earlier_forms(self, case_id: int) -> dict[str, dict]:
        """Each step's latest form set aside (by a return): what its page opens filled in with."""
        rows = self.c.execute(select(records.c.step_key, records.c.payload).where(
            records.c.case_id == case_id, records.c.kind == "form", records.c.superseded.is_(True))
            .order_by(records.c.id)).all()
        return {r.step_key: r.payload for r in rows}

    def event_page(self, user: User, filters: dict, page: int, per_page: int) -> tuple[list[dict], int, bool]:
        """The auditor's search. Each event's case (and its unit) joined by primary key, not a
        subquery over every case in scope: the planner starts from the filter's index (user, day,
        case), so the cost follows the result, not the log."""
        case_unit = units.alias("case_unit")
        found = events.outerjoin(cases, cases.c.id == events.c.case_id).outerjoin(
            case_unit, case_unit.c.id == cases.c.unit_id)
        whole = self.whole_tree(user)
        cond = scope.events_in_scope(user, whole, case_unit, system_events=user.role in SEES_SYSTEM_EVENTS)
        for col, key in ((events.c.case_id, "case_id"), (events.c.actor, "username"), (events.c.kind, "kind"),
                         (cases.c.definition_key, "procedure"), (cases.c.unit_id, "unit_id")):
            if filters.get(key):
                cond.append(col == filters[key])
        if filters.get("since"):
            cond.append(events.c.at >= filters["since"])
        if filters.get("before"):
            cond.append(events.c.at < filters["before"])
        if whole and not (filters.get("procedure") or filters.get("unit_id")):
            found = events                  # no condition on the case: no join
        offset = (page - 1) * per_page
        total, exact = self._count_upto(select(events.c.seq).select_from(found).where(*cond), offset, per_page)
        seqs = select(events.c.seq).select_from(found).where(*cond).order_by(events.c.seq.desc()) \
            .limit(per_page).offset(offset)          # a deferred join, as in the case list
        items = self._events(select(events, users.c.display_name.label("actor_name")).outerjoin(
            users, users.c.id == events.c.actor_id).where(events.c.seq.in_(seqs)).order_by(events.c.seq.desc())) \
            if offset < total else []
        self._name_cases(items)
        return items, total, exact

    def _name_cases(self, items: list[dict]) -> None:
        """Each event's case title and procedure, so a reader can show step titles, not keys."""
        ids = {e["case_id"] for e in items if e["case_id"] is not None}
        about = {r.id: r for r in self.c.execute(select(cases.c.id, cases.c.title, cases.c.definition_key,
                                                        cases.c.definition_version).where(cases.c.id.in_(ids)))} \
            if ids else {}
        for e in items:
            r = about.get(e["case_id"])
            e.update(case_title=r.title if r else None, procedure=r.definition_key if r else None,
                     procedure_version=r.definition_version if r else None)

    def count_events(self) -> int:
        return self.c.execute(select(func.count()).select_from(events)).scalar_one()

    # ---- records ---------------------------------------------------------------------------------
    def announcements(self, user: User, limit: int) -> list[dict]:
        rows = self.c.execute(
            select(records.c.payload, records.c.created_at, cases.c.id, cases.c.title, cases.c.definition_key,
                   units.c.name.label("unit_name"))
            .join(cases, cases.c.id == records.c.case_id).join(units, units.c.id == cases.c.unit_id)
            .where(records.c.kind == "announcement", records.c.superseded.is_(False), scope.in_tree(units.c.path, user))
            .order_by(records.c.created_at.desc()).limit(limit)).all()
        return [{**r.payload, "published_at": as_utc(r.created_at), "case_id": r.id, "case_title": r.title,
                 "procedure": r.definition_key, "unit_name": r.unit_name} for r in rows]

    def document(self, case_id: int, sha256: str) -> dict | None:
        """The newest document record of a case with this content, set aside or not."""
        meta = None
        for r in self.c.execute(select(records.c.payload).where(records.c.kind == "document",
                                                                records.c.case_id == case_id)):
            if r.payload.get("sha256") == sha256:
                meta = r.payload
        return meta

    # ---- people ----------------------------------------------------------------------------------
    def display_names(self, ids) -> dict[int, str]:
        ids = [i for i in ids if i]
        return dict(self.c.execute(select(users.c.id, users.c.display_name).where(users.c.id.in_(ids))).all()) \
            if ids else {}

    def units(self, user: User) -> list[dict]:
        rows = self.c.execute(select(units).where(scope.in_tree(units.c.path, user)).order_by(units.c.path)).all()
        return [{"id": r.id, "name": r.name, "parent_id": r.parent_id, "path": r.path,
                 "depth": r.path.count("/") - 2, "head_user_id": r.head_user_id} for r in rows]

    def users(self, user: User) -> list:
        return self.c.execute(select(users, units.c.path, units.c.name.label("unit_name"))
                              .join(units, units.c.id == users.c.unit_id).where(scope.in_tree(units.c.path, user))
                              .order_by(users.c.username)).all()

    def tokens(self, user_id: int) -> list[dict]:
        return [dict(r) for r in self.c.execute(
            select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.created_at, api_tokens.c.last_used_at,
                   api_tokens.c.revoked_at).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id)).mappings()]

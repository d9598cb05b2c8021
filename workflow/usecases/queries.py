"""The read side of cases: a case in full, its history, the case list, the work queue, the
auditor's search over the record and its verification, the announcements board, documents."""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..domain import parse
from ..domain.actions import available
from ..domain.calendar import day_start
from ..domain.chain import Verification
from ..domain.leaving import failed_gate, lawful_next
from ..domain.errors import NotAllowed, NotFound, Problem, Validation
from ..domain.permissions import SEARCH_RECORD, VERIFY_RECORD, acts_as_head, permit, require
from ..domain.search import Needle
from ..domain.tally import Preview, preview
from ..domain.votes import seats_for
from .common import CaseDetail, Context, Page, acting_user, filter_id, load_case, page_args, user_and_case

MAX_NEEDLE = 100


def _timeline(moves: list[dict]) -> dict[str, dict]:
    """Step key -> when the case entered it and left it (the last time)."""
    timeline: dict[str, dict] = {}
    for e in moves:
        if e["from_state"] != e["to_state"] and e["to_state"]:
            if e["from_state"] in timeline:
                timeline[e["from_state"]]["left_at"] = e["at"]
            timeline[e["to_state"]] = {"entered_at": e["at"], "left_at": None}
    return timeline


def _last_return(row, moves: list[dict]) -> dict | None:
    """The return that sent the case to the step it is on (while it has not left it forward)."""
    if not row.returned:
        return None
    e = next((e for e in reversed(moves) if e["kind"] in ("returned", "decided") and e["to_state"] == row.state), None)
    if e is None:
        return None
    return {"reason": e["payload"].get("reason"), "from": e["from_state"], "to": e["to_state"], "at": e["at"],
            "by": e.get("actor_name") or e["actor"], "login": e["actor"]}


def _text_filter(v: Any) -> Any:
    return parse.text(v) if isinstance(v, str) else v


class CaseQueries:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def get_case(self, actor_id: int, case_id: int, *, history: bool = True) -> CaseDetail:
        with self.ctx.store.read() as uow:
            user, row = user_and_case(uow, actor_id, case_id)
            case = load_case(self.ctx, uow, row)
            d = case.definition
            hist = uow.queries.case_events(row.id) if history else []
            moves = hist if history else uow.queries.case_events(row.id, moves_only=True)
            names = uow.queries.display_names([row.approval_requested_by, row.opened_by])
            step = case.step
            return CaseDetail(
                summary=self.ctx.summary(row, d), definition=d, step=step,
                steps={s.key: case.records(s.key) for s in d.steps}, candidates=case.candidates(),
                nominees=case.nominees(), actions=available(case, user),
                return_targets=list(d.returns_from(row.state)) if step else [],
                timeline=_timeline(moves), history=hist, approval_requested_by=names.get(row.approval_requested_by),
                opened_by=names.get(row.opened_by, ""), conditions=case.conditions(step) if step else [],
                deadlines=case.deadlines(), lawful_next=lawful_next(case) if step else [],
                blocked=failed_gate(case, step) if step else None, last_return=_last_return(row, moves),
                prefill=uow.queries.earlier_forms(row.id), corrections=uow.queries.corrections(row.id),
                acts_as_head=acts_as_head(case, user))

    def preview_tally(self, actor_id: int, case_id: int, counts: dict, rows: list[dict]) -> Preview:
        """The step's vote rule on a tally as far as it is typed (counts, and each candidate row's
        votes), for one who may record the tally now; nothing is saved."""
        with self.ctx.store.read() as uow:
            user, row = user_and_case(uow, actor_id, case_id)
            case = load_case(self.ctx, uow, row)
            step = permit(case, user, "tally")
            if step.vote is None:
                raise NotAllowed("not_allowed.no_vote", step=step.key)
            return preview(counts, rows, step.vote, seats_for(step.vote, lambda key: case.records(key or step.key).form))

    def history(self, actor_id: int, case_id: int) -> list[dict]:
        with self.ctx.store.read() as uow:
            user, row = user_and_case(uow, actor_id, case_id)
            return uow.queries.case_events(row.id)

    def list_cases(self, actor_id: int, *, page: int = 1, per_page: int = 25, procedure=None, state=None,
                   unit_id=None, status=None, text=None, overdue=None, awaiting=None) -> Page:
        """A page of the cases in the user's tree, newest first, filtered; `text` looks in titles and
        candidate names (domain/search.py)."""
        page, per_page = page_args(page, per_page, 25, 100)
        procedure, state, status, text = (_text_filter(v) for v in (procedure, state, status, text))
        needle = Needle.of(str(text)[:MAX_NEEDLE]) if text else None
        with self.ctx.store.read() as uow:
            user = acting_user(uow, actor_id)
            cond, index = uow.queries.case_conditions(
                user, procedure=procedure, state=state, unit_id=filter_id(unit_id, "unit_id") if unit_id else None,
                status=status, needle=needle, overdue_before=self.ctx.today() if overdue else None, awaiting=awaiting)
            rows, total, exact = uow.queries.case_page(cond, page, per_page, index)
            return Page([self.ctx.summary(r) for r in rows], total, page, per_page, exact)

    def work_queue(self, actor_id: int, *, limit: int = 50) -> Page:
        """The open cases waiting for this user's action, oldest step first: the first `limit` of
        them, and how many there are (counted as the pager counts). Staff: cases at a staff step with
        nothing awaited. Supervisors: cases awaiting an approval, a head's decision, a decision after a
        failed gate or a corrected tally's approval, and cases at a step a supervisor (or the head)
        records. An opinion-only body: cases at a step that asks its opinion."""
        limit = page_args(1, limit, 50, 100)[1]
        with self.ctx.store.read() as uow:
            user = acting_user(uow, actor_id)
            mine = self.ctx.registry.steps_of_role(user.role)
            rows, total, exact = uow.queries.work_queue(user, mine, limit)
            return Page([self.ctx.summary(r) for r in rows], total, 1, limit, exact)

    def search_events(self, actor_id: int, *, case_id: int | None = None, username: str | None = None,
                      procedure: str | None = None, unit_id: int | None = None, kind: str | None = None,
                      date_from: dt.date | None = None, date_to: dt.date | None = None, page: int = 1,
                      per_page: int = 50) -> Page:
        """The auditor's search over the record, limited to the cases of their unit tree (events that
        belong to no case — sign-ins, user changes — are shown to auditors and administrators)."""
        page, per_page = page_args(page, per_page, 50, 500)
        for name, d in (("date_from", date_from), ("date_to", date_to)):
            if d is not None and not isinstance(d, dt.date):
                raise Validation("filter.date", name=name, fields={name: Problem("field.a_date")})
        with self.ctx.store.read() as uow:
            user = acting_user(uow, actor_id)
            require(user, SEARCH_RECORD, "forbidden.search_record")
            username, kind, procedure = (_text_filter(v) for v in (username, kind, procedure))
            filters = {"case_id": filter_id(case_id, "case_id"), "unit_id": filter_id(unit_id, "unit_id"),
                       "username": str(username)[:80] if username else None,
                       "kind": str(kind)[:40] if kind else None, "procedure": procedure,
                       "since": day_start(date_from) if date_from else None,
                       "before": day_start(date_to + dt.timedelta(days=1)) if date_to else None}
            items, total, exact = uow.queries.event_page(user, filters, page, per_page)
            return Page(items, total, page, per_page, exact)

    def verify(self, actor_id: int | None = None) -> Verification:
        """Walk the whole chain. Auditors, supervisors and administrators (and the CLI, with no actor)."""
        with self.ctx.store.read(snapshot=True) as uow:
            if actor_id is not None:
                require(acting_user(uow, actor_id), VERIFY_RECORD, "forbidden.verify")
            return uow.events.verify()

    def announcements(self, actor_id: int, *, limit: int = 50) -> list[dict]:
        with self.ctx.store.read() as uow:
            return uow.queries.announcements(acting_user(uow, actor_id), limit)

    def document(self, actor_id: int, case_id: int, sha256: str) -> tuple[dict, bytes]:
        with self.ctx.store.read() as uow:
            user, row = user_and_case(uow, actor_id, case_id)
            meta = uow.queries.document(row.id, sha256)
            content = uow.cases.blob(sha256) if meta is not None else None
            if content is None:
                raise NotFound("document.not_found")
            return meta, content

    def case_summary(self, case_id: int) -> dict | None:
        """A case as the system sees it (no actor: the scenario runner's last word)."""
        with self.ctx.store.read() as uow:
            row = uow.cases.case(case_id)
            return None if row is None else self.ctx.summary(row).to_dict()

    def case_results(self, case_id: int) -> dict | None:
        """A case's outcome, what it awaits, and each voting step's judged result per candidate in
        the scenario runner's words (passed, failed, head_decides, goes_on, tied, or a three-level
        poll's outcome key) — as the system sees it."""
        with self.ctx.store.read() as uow:
            row = uow.cases.case(case_id)
            if row is None:
                return None
            case = load_case(self.ctx, uow, row)
            steps = {}
            for st in case.definition.steps:
                res = case.records(st.key).tally_result
                if res is not None:
                    steps[st.key] = {"candidates": res.words(), "round": res.round, "passed": res.outcome.passed}
            return {"outcome": row.outcome, "awaiting": row.awaiting, "returned": row.returned, "steps": steps}

    def count_events(self) -> int:
        with self.ctx.store.read() as uow:
            return uow.queries.count_events()



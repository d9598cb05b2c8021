"""A case: its row (where it stands), the definition it runs under, and what its steps hold now
(its live records: superseded ones are left out). Who is in the running — candidates and
nominees — follows from those records."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .chain import iso
from .conditions import Due, Judged, deadline, judge_all
from .definition import Definition, Ref, Step
from .tally import Tally
from .votes import StepVote, judge_step, seats_for

OPEN, DONE, CANCELLED_STATUS = "open", "completed", "cancelled"
AWAIT_APPROVAL, AWAIT_HEAD, AWAIT_DECISION, AWAIT_CORRECTION = "approval", "head_decision", "decision", "correction"
AWAITING = (AWAIT_APPROVAL, AWAIT_HEAD, AWAIT_DECISION, AWAIT_CORRECTION)


@dataclass(frozen=True)
class CaseRow:
    """A case as it is stored, with its unit's path and name."""
    id: int
    definition_key: str
    definition_version: int
    title: str
    unit_id: int
    state: str
    status: str
    version: int
    step_started_at: dt.datetime
    step_due: dt.date | None
    awaiting: str | None
    approval_requested_by: int | None
    opened_by: int
    opened_at: dt.datetime
    updated_at: dt.datetime
    unit_path: str = ""
    unit_name: str = ""
    search: str = ""
    outcome: str | None = None          # the procedure's outcome the case ended with
    case_due: dt.date | None = None     # the nearest deadline anchored on a recorded date, not yet met
    returned: bool = False              # sent back to this step, not yet left forward
    unit_head_id: int | None = None     # the designated head of the case's unit


@dataclass(frozen=True)
class Record:
    """Something a step recorded: a form, a tally, a head's decision, an announcement, a document,
    an approval (request), a correction waiting for approval, an opinion, the case's decision."""
    step_key: str
    kind: str
    payload: dict
    created_at: dt.datetime
    actor_id: int | None = None
    id: int | None = None              # None until stored


@dataclass(frozen=True)
class StepRecords:
    """What is on record for one step now."""
    form: dict
    tally: Tally | None              # the latest live tally
    tally_result: StepVote | None    # the step's vote: every live tally (bodies, rounds) judged
    head: dict           # candidate -> accept
    announcement: dict | None
    documents: list[dict]
    approval: dict | None
    recorded_at: dict    # kind -> datetime of the latest record
    tallies: tuple[Tally, ...] = ()
    head_records: tuple[dict, ...] = ()      # the head's decisions, with the differing opinions
    correction: Record | None = None         # a corrected tally waiting for a supervisor's approval
    opinions: dict = field(default_factory=dict)     # role -> the body's opinion
    decision: dict | None = None             # the decision record the case ended with


@dataclass(frozen=True)
class UnitHeads:
    """The head of the case's unit and the delegations recorded for them."""
    head_id: int | None
    delegations: tuple[tuple[int, dt.date, dt.date], ...] = ()    # (user, from, until), not revoked

    def acts_as_head(self, user_id: int, today: dt.date | None) -> bool:
        if self.head_id is not None and user_id == self.head_id:
            return True
        return today is not None and any(u == user_id and a <= today <= b for u, a, b in self.delegations)


NO_HEADS = UnitHeads(None)


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
    overdue: bool = False        # past the step's deadline (or an anchored one), by the workflow's clock
    outcome: str | None = None
    case_due: dt.date | None = None
    returned: bool = False

    @classmethod
    def of(cls, row: CaseRow, d: Definition, today: dt.date, changed: dict | None = None) -> "CaseSummary":
        """A case's summary; `changed`: columns set since `row` was read (they win)."""
        v = (lambda k: changed.get(k, getattr(row, k))) if changed else (lambda k: getattr(row, k))  # noqa: E731
        status, due, state, case_due = v("status"), v("step_due"), v("state"), v("case_due")
        overdue = status == OPEN and any(x is not None and x < today for x in (due, case_due))
        return cls(row.id, row.definition_key, row.definition_version, row.title, row.unit_id, state,
                   d.step_no(state), status, v("version"), v("awaiting"), due, row.opened_at, v("updated_at"),
                   row.unit_name or "", overdue, v("outcome"), case_due, bool(v("returned")))

    def to_dict(self) -> dict:
        return {"id": self.id, "procedure": self.procedure, "procedure_version": self.version,
                "title": self.title, "unit_id": self.unit_id, "unit_name": self.unit_name, "state": self.state,
                "step_no": self.step_no, "status": self.status, "version": self.row_version,
                "awaiting": self.awaiting, "step_due": self.step_due.isoformat() if self.step_due else None,
                "overdue": self.overdue, "opened_at": iso(self.opened_at), "updated_at": iso(self.updated_at),
                "outcome": self.outcome, "case_due": self.case_due.isoformat() if self.case_due else None,
                "returned": self.returned}


@dataclass
class Case:
    """One case inside one unit of work. Its records are read when first asked for (`load`), and
    a step's tally is judged only when that step is. `today`: the workflow's day (conditions that
    read 'today', delegations in force); `heads`: the head of the case's unit, read when asked."""
    row: CaseRow
    definition: Definition
    load: Callable[[], Iterable[Record]] = field(default=lambda: (), repr=False)
    _live: dict[str, dict[str, list[Record]]] | None = field(default=None, repr=False)
    _steps: dict[str, StepRecords] = field(default_factory=dict, repr=False)
    today_of: Callable[[], dt.date | None] | dt.date | None = field(default=None, repr=False)
    load_heads: Callable[[], UnitHeads] = field(default=lambda: NO_HEADS, repr=False)
    _heads: UnitHeads | None = field(default=None, repr=False)

    @property
    def today(self) -> dt.date | None:
        """The workflow's day (asked of its clock when first needed)."""
        if callable(self.today_of):
            self.today_of = self.today_of()
        return self.today_of

    @property
    def step(self) -> Step | None:
        """The step the case is at (None once it is closed)."""
        return self.definition.step(self.row.state) if self.row.status == OPEN else None

    @property
    def heads(self) -> UnitHeads:
        if self._heads is None:
            self._heads = self.load_heads()
        return self._heads

    def live(self) -> dict[str, dict[str, list[Record]]]:
        """Step key -> kind -> the live records, oldest first."""
        if self._live is None:
            by: dict[str, dict[str, list[Record]]] = {}
            for r in self.load():
                by.setdefault(r.step_key, {}).setdefault(r.kind, []).append(r)
            self._live = by
        return self._live

    def records(self, step_key: str) -> StepRecords:
        """What is on record for one step."""
        rec = self._steps.get(step_key)
        if rec is not None:
            return rec
        s = self.definition.step(step_key)
        k = self.live().get(s.key, {})
        last = lambda kind: k[kind][-1].payload if k.get(kind) else None  # noqa: E731
        form = last("form") or {}
        tallies = tuple(Tally.from_payload(r.payload) for r in k.get("tally", []))
        head = {r.payload["candidate"]: r.payload["accept"] for r in k.get("head_decision", [])}
        result = None
        if tallies and s.vote:
            seats = seats_for(s.vote, lambda key: form if key in (None, s.key) else self.records(key).form)
            result = judge_step(s, tallies, head, seats)
        rec = self._steps[s.key] = StepRecords(
            form=form, tally=tallies[-1] if tallies else None, tally_result=result, head=head,
            announcement=last("announcement"), documents=[r.payload for r in k.get("document", [])],
            approval=last("approval"), recorded_at={kind: v[-1].created_at for kind, v in k.items()},
            tallies=tallies, head_records=tuple(r.payload for r in k.get("head_decision", [])),
            correction=k["correction"][-1] if k.get("correction") else None,
            opinions={r.payload["role"]: r.payload for r in k.get("opinion", [])}, decision=last("decision"))
        return rec

    def read(self, ref: Ref, here: str | None = None):
        """The recorded value a definition's reference names (None when not recorded)."""
        if ref.today:
            return self.today
        return self.records(ref.step or here or self.row.state).form.get(ref.field)

    def conditions(self, step: Step | None = None, today: dt.date | None = None) -> list[Judged]:
        """The step's conditions (the current step's by default) judged on what is recorded."""
        step = step or self.step
        if step is None:
            return []
        return judge_all(step.conditions, lambda r: self.read(r, step.key), today or self.today)

    def deadlines(self) -> list[Due]:
        """The deadlines anchored on recorded dates, each with its date and whether it is met (the
        case has left the step it is for, or ended)."""
        d, out = self.definition, []
        for dl in d.all_deadlines:
            if self.row.status != OPEN:
                met = True
            else:
                met = dl.until is not None and d.step(dl.until).no < d.step(self.row.state).no
            out.append(deadline(dl, lambda r: self.read(r, dl.anchor.step), met))
        return out

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
                    names += [n for t in rec.tallies for n in t.nominees if n not in names]
        return names

    def nominees(self) -> list[str]:
        out: list[str] = []
        for s in self.definition.steps:
            for t in self.records(s.key).tallies:
                out += [n for n in t.nominees if n not in out]
        return out

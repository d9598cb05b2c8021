"""A case: its row (where it stands), the definition it runs under, and what its steps hold now
(its live records: superseded ones are left out). Who is in the running — candidates and
nominees — follows from those records."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .chain import iso
from .definition import Definition, Step
from .tally import Tally, TallyResult, evaluate

OPEN, DONE, CANCELLED_STATUS = "open", "completed", "cancelled"
AWAIT_APPROVAL, AWAIT_HEAD = "approval", "head_decision"


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


@dataclass(frozen=True)
class Record:
    """Something a step recorded: a form, a tally, a head's decision, an announcement, a document,
    an approval (request)."""
    step_key: str
    kind: str
    payload: dict
    created_at: dt.datetime


@dataclass(frozen=True)
class StepRecords:
    """What is on record for one step now."""
    form: dict
    tally: Tally | None
    tally_result: TallyResult | None
    head: dict           # candidate -> accept
    announcement: dict | None
    documents: list[dict]
    approval: dict | None
    recorded_at: dict    # kind -> datetime of the latest record


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

    @classmethod
    def of(cls, row: CaseRow, d: Definition, today: dt.date, changed: dict | None = None) -> "CaseSummary":
        """A case's summary; `changed`: columns set since `row` was read (they win)."""
        v = (lambda k: changed.get(k, getattr(row, k))) if changed else (lambda k: getattr(row, k))  # noqa: E731
        status, due, state = v("status"), v("step_due"), v("state")
        overdue = status == OPEN and due is not None and due < today
        return cls(row.id, row.definition_key, row.definition_version, row.title, row.unit_id, state,
                   d.step_no(state), status, v("version"), v("awaiting"), due, row.opened_at, v("updated_at"),
                   row.unit_name or "", overdue)

    def to_dict(self) -> dict:
        return {"id": self.id, "procedure": self.procedure, "procedure_version": self.version,
                "title": self.title, "unit_id": self.unit_id, "unit_name": self.unit_name, "state": self.state,
                "step_no": self.step_no, "status": self.status, "version": self.row_version,
                "awaiting": self.awaiting, "step_due": self.step_due.isoformat() if self.step_due else None,
                "overdue": self.overdue, "opened_at": iso(self.opened_at), "updated_at": iso(self.updated_at)}


@dataclass
class Case:
    """One case inside one unit of work. Its records are read when first asked for (`load`), and
    a step's tally is judged only when that step is."""
    row: CaseRow
    definition: Definition
    load: Callable[[], Iterable[Record]] = field(default=lambda: (), repr=False)
    _live: dict[str, dict[str, list[Record]]] | None = field(default=None, repr=False)
    _steps: dict[str, StepRecords] = field(default_factory=dict, repr=False)

    @property
    def step(self) -> Step | None:
        """The step the case is at (None once it is closed)."""
        return self.definition.step(self.row.state) if self.row.status == OPEN else None

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
        tally = Tally.from_payload(last("tally")) if last("tally") else None
        head = {r.payload["candidate"]: r.payload["accept"] for r in k.get("head_decision", [])}
        result = evaluate(tally, s.vote, head) if tally is not None and s.vote else None
        rec = self._steps[s.key] = StepRecords(
            form=last("form") or {}, tally=tally, tally_result=result, head=head,
            announcement=last("announcement"), documents=[r.payload for r in k.get("document", [])],
            approval=last("approval"), recorded_at={kind: v[-1].created_at for kind, v in k.items()})
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

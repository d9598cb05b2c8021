"""Conditions on recorded facts and deadlines anchored on recorded dates, judged on what a case
holds (its steps' forms) and a day (`today`: the day the step is left, or the page is read).

A condition is met, unmet, unknown (a date it reads is not recorded) or waived (its `unless`
field — a recorded special-case decision — says yes). An unmet gate blocks leaving the step with
a sentence that names the rule and the dates; an unmet [check] rule only warns."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from .calendar import add_months, add_working_days, sub_working_days, whole_months, working_days_between
from .definition import Condition, Deadline, Ref
from .errors import Problem

MET, UNMET, UNKNOWN, WAIVED = "met", "unmet", "unknown", "waived"
Read = Callable[[Ref], Any]      # the recorded value a reference names (None when not recorded)


@dataclass(frozen=True)
class Judged:
    condition: Condition
    state: str
    problem: Problem | None = None      # what is wrong, with the dates (unmet or unknown)
    measure: int | None = None          # the working days / months counted

    @property
    def blocks(self) -> bool:
        return self.condition.gate and self.state in (UNMET, UNKNOWN)

    @property
    def failed_gate(self) -> bool:
        """A gate the recorded facts do not meet (not merely a fact still to record)."""
        return self.condition.gate and self.state == UNMET

    @property
    def warns(self) -> bool:
        return not self.condition.gate and self.state == UNMET

    def to_dict(self) -> dict:
        c = self.condition
        return {"key": c.key, "title": {"vi": c.title.vi, "en": c.title.en}, "kind": c.kind, "state": self.state,
                "gate": c.gate, "measure": self.measure, "min": c.min, "max": c.max, **c.source.to_dict(),
                "message": str(self.problem) if self.problem else None}


def _date(v: Any) -> dt.date | None:
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)) if v else None
    except ValueError:
        return None


BOUND_KEYS = {"working_days": ("condition.working_days.min", "condition.working_days.max"),
              "months_since": ("condition.months_since.min", "condition.months_since.max"),
              "age": ("condition.age.min", "condition.age.max"),
              "within": (None, "condition.within.max")}


def _bounds(c: Condition, n: int, kind: str, **params) -> Problem | None:
    lo, hi = BOUND_KEYS[kind]
    if c.min is not None and n < c.min:
        return Problem(lo, title=c.title, n=n, min=c.min, **params)
    if c.max is not None and n > c.max:
        return Problem(hi, title=c.title, n=n, max=c.max, **params)
    return None


def _span(c: Condition, read: Read, today: dt.date, a: str, b: str) -> tuple[dt.date | None, dt.date | None, list]:
    va, vb = (today if c.ref(x).today else _date(read(c.ref(x))) for x in (a, b))
    missing = [str(c.ref(x)) for x, v in ((a, va), (b, vb)) if v is None]
    return va, vb, missing


def judge(c: Condition, read: Read, today: dt.date) -> Judged:
    """Whether the recorded facts meet condition `c` on `today`."""
    if c.unless is not None and read(c.unless) is True:
        return Judged(c, WAIVED)
    if c.kind == "must_be_true":
        v = read(c.ref("field"))
        if v is None:
            return Judged(c, UNKNOWN, Problem("condition.unknown", title=c.title, missing=str(c.ref("field"))))
        return Judged(c, MET) if v is True else Judged(
            c, UNMET, Problem("condition.must_be_true", title=c.title, field=str(c.ref("field"))))
    names = {"working_days": ("from", "to"), "months_since": ("since", "at"), "age": ("born", "at"),
             "within": ("of", "date")}[c.kind]
    a, b, missing = _span(c, read, today, *names)
    if missing:
        return Judged(c, UNKNOWN, Problem("condition.unknown", title=c.title, missing=missing))
    if c.kind == "working_days":
        n = working_days_between(a, b)
        problem = _bounds(c, n, c.kind, start=a.isoformat(), end=b.isoformat())
    elif c.kind == "within":
        n = working_days_between(a, b)
        problem = (Problem("condition.within.before", title=c.title, date=b.isoformat(), of=a.isoformat())
                   if b < a else _bounds(c, n, c.kind, date=b.isoformat(), of=a.isoformat(),
                                         last=add_working_days(a, c.max).isoformat()))
    else:
        n = whole_months(a, b)
        problem = _bounds(c, n, c.kind, start=a.isoformat(), end=b.isoformat(),
                          years=n // 12, months=n % 12)
    return Judged(c, UNMET if problem else MET, problem, n)


def judge_all(conditions, read: Read, today: dt.date) -> list[Judged]:
    return [judge(c, read, today) for c in conditions]


# ---- deadlines anchored on a recorded date ----------------------------------------------------------

def due_on(dl: Deadline, anchor: dt.date) -> dt.date:
    """The date a deadline falls on: N (working) days or months after its anchor, or before it."""
    sign = -1 if dl.before else 1
    if dl.working_days is not None:
        return (sub_working_days if dl.before else add_working_days)(anchor, dl.working_days)
    if dl.days is not None:
        return anchor + dt.timedelta(days=sign * dl.days)
    return add_months(anchor, sign * dl.months)


@dataclass(frozen=True)
class Due:
    deadline: Deadline
    anchor: dt.date | None     # None: the date it counts from is not recorded yet
    due: dt.date | None
    met: bool                  # the case has left the step it is for (or ended)

    def overdue(self, today: dt.date) -> bool:
        return not self.met and self.due is not None and self.due < today

    def to_dict(self) -> dict:
        dl = self.deadline
        return {"key": dl.key, "title": {"vi": dl.title.vi, "en": dl.title.en}, "anchor": str(dl.anchor),
                "anchor_date": self.anchor.isoformat() if self.anchor else None,
                "due": self.due.isoformat() if self.due else None, "met": self.met, "before": dl.before,
                "working_days": dl.working_days, "days": dl.days, "months": dl.months, "until": dl.until,
                **dl.source.to_dict()}


def deadline(dl: Deadline, read: Read, met: bool) -> Due:
    anchor = _date(read(dl.anchor))
    return Due(dl, anchor, due_on(dl, anchor) if anchor else None, met)

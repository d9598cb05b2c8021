"""What every use case shares: the engine's context (database, definitions, clock, limits), the
results handed back, and the loads every action starts with (the acting user, the case in their
tree, its definition)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from ..adapters.db import Store
from ..adapters.times import as_utc, utcnow
from ..adapters.uow import UnitOfWork
from ..domain.actions import Limits
from ..domain.calendar import local_date
from ..domain.case import Case, CaseRow, CaseSummary, StepRecords, UnitHeads
from ..domain.definition import Definition, Registry, Step
from ..domain.errors import DefinitionError, Forbidden, NotFound, Problem, Validation
from ..domain.parse import MAX_ID, is_id
from ..domain.people import User

MAX_PAGE = 100_000


class Context:
    """The engine's parts, shared by the use cases: the database, the definitions, the clock
    (whatever zone it speaks, the record stores UTC) and the limits."""

    def __init__(self, store: Store, registry: Registry, clock: Callable[[], dt.datetime] = utcnow,
                 limits: Limits = Limits()):
        self.store, self.registry, self.limits = store, registry, limits
        self.clock = lambda: as_utc(clock())
        self.pins_ok: set[tuple[str, int, str]] = set()

    def today(self) -> dt.date:
        return local_date(self.clock())

    def definition(self, key: str, version: int) -> Definition:
        try:
            return self.registry.get(key, version)
        except KeyError:
            raise NotFound("procedure.not_installed", procedure=key, version=version) from None

    def summary(self, row: CaseRow, d: Definition | None = None, changed: dict | None = None) -> CaseSummary:
        """A case's summary by the engine's clock (`changed`: columns set since `row` was read)."""
        return CaseSummary.of(row, d or self.registry.get(row.definition_key, row.definition_version), self.today(),
                              changed)

    def check_pin(self, uow: UnitOfWork, d: Definition) -> None:
        """A running case follows the definition it was opened under: if that file was edited in
        place since, refuse to act rather than apply other rules. Pins never change, so one check
        per definition version and process is enough."""
        key = (d.key, d.version, d.fingerprint)
        if key in self.pins_ok:
            return
        pinned = uow.cases.pinned(d.key, d.version)
        if pinned is not None and pinned != d.fingerprint:
            raise DefinitionError("definition.changed", file=d.source, label=d.label, procedure=d.key)
        self.pins_ok.add(key)


@dataclass(frozen=True)
class ActionResult:
    case: dict
    event_seq: int | None
    replayed: bool = False
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"case": self.case, "event_seq": self.event_seq, "replayed": self.replayed, **self.info}


@dataclass(frozen=True)
class Page:
    """One page of a list. The pager counts the matches at most COUNT_WINDOW past this page
    (workflow/adapters/queries.py): when there are more, `exact` is False and `total` is a lower
    bound (shown as "more than …")."""
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
    conditions: list = field(default_factory=list)      # the current step's conditions, judged (conditions.Judged)
    deadlines: list = field(default_factory=list)       # deadlines anchored on recorded dates (conditions.Due)
    lawful_next: list = field(default_factory=list)     # after a failed gate: return / go / end (leaving.Next)
    blocked: Any = None                                 # why the step's result blocks it (a GuardFailed), if it does
    last_return: dict | None = None                     # the return that sent the case to this step: reason, who, when
    prefill: dict = field(default_factory=dict)         # step -> the form a return set aside (the page opens with it)
    corrections: dict = field(default_factory=dict)     # step -> its form's corrections (earlier values, why, who, when)
    acts_as_head: bool = False                          # the reader is the unit's head or a deputy in force


def acting_user(uow: UnitOfWork, user_id: Any, *, must_be_active: bool = True) -> User:
    if user_id is None:
        raise Forbidden("auth.sign_in_first")
    if not is_id(user_id):
        raise Forbidden("auth.unknown_user")
    return _checked(uow.cases.user(user_id), must_be_active)


def _checked(user: User | None, must_be_active: bool = True) -> User:
    if user is None:
        raise Forbidden("auth.unknown_user")
    if must_be_active and not user.active:
        raise Forbidden("auth.deactivated")
    return user


def in_scope(user: User, row: CaseRow | None, case_id: Any) -> CaseRow:
    # A case outside the user's unit tree is 'not found', not 'forbidden': its existence is not theirs to know.
    if row is None or not user.sees(row.unit_path):
        raise NotFound("case.not_found", case_id=case_id)
    return row


def user_and_case(uow: UnitOfWork, user_id: Any, case_id: Any) -> tuple[User, CaseRow]:
    """The acting user and a case in their unit tree, read together (one statement); refused in
    a fixed order: who asks, then the case."""
    if user_id is None or not is_id(user_id) or not is_id(case_id):
        user = acting_user(uow, user_id)
        if not is_id(case_id):
            raise NotFound("case.not_found", case_id=case_id)
        return user, in_scope(user, uow.cases.case(case_id), case_id)
    user, row = uow.cases.user_and_case(user_id, case_id)
    return _checked(user), in_scope(user, row, case_id)


def unit_heads(uow: UnitOfWork, unit_id: int, head_id: int | None) -> UnitHeads:
    """The head of a unit and the delegations to deputies that are not revoked."""
    return UnitHeads(head_id, tuple((r.user_id, r.valid_from, r.valid_until) for r in uow.people.delegations(unit_id)
                                    if r.revoked_at is None))


def load_case(ctx: Context, uow: UnitOfWork, row: CaseRow) -> Case:
    """A case with its definition; its records (and its unit's head) are read when first needed."""
    return Case(row, ctx.definition(row.definition_key, row.definition_version), lambda: uow.cases.records(row.id),
                today_of=ctx.today, load_heads=lambda: unit_heads(uow, row.unit_id, row.unit_head_id))


def filter_id(v: Any, name: str) -> int | None:
    """An optional id filter: None when empty; refused when not an id."""
    if v in (None, ""):
        return None
    if not is_id(v):
        raise Validation("filter.id", name=name, max=MAX_ID, fields={name: Problem("field.out_of_range")})
    return v


def page_args(page: Any, per_page: Any, default: int, limit: int) -> tuple[int, int]:
    try:
        p, n = int(page or 1), int(per_page or default)
    except (TypeError, ValueError):
        raise Validation("page.whole", fields={"page": Problem("field.whole")}) from None
    return min(max(1, p), MAX_PAGE), min(limit, max(1, n))

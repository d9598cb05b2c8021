"""Procedure definitions as frozen objects. `language.parse(data, …)` checks a mapping (what a
YAML file holds) against the JSON schema and the rules no schema can say, and builds a
Definition; reading files is the adapters' business (workflow/adapters/definitions.py).

The language (definitions/README.md): steps with forms (fields with ranges), votes (bases,
gates, seats, ties at the cut, outside names, several tallies per step), conditions on recorded
facts, deadlines anchored on recorded dates, who records a step and which bodies only give an
opinion there, and named outcomes that transitions may end a case with."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction

from .errors import DefinitionError
from .rules import LevelRule

COMPLETED, CANCELLED = "completed", "cancelled"
PASSED_WHEN, FAILED_WHEN = "passed", "failed"


@dataclass(frozen=True)
class Text:
    vi: str
    en: str

    def get(self, locale: str | None = "vi") -> str:
        return self.en if (locale or "vi").startswith("en") else self.vi

    def __str__(self) -> str:
        return self.vi


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: an article (`cite`), or `check` — not confirmed in a text, and why."""
    cite: str | None = None
    check: str | None = None

    @property
    def checked(self) -> bool:
        return self.cite is None and self.check is not None

    def to_dict(self) -> dict:
        return {"cite": self.cite, "check": self.check}


NO_SOURCE = Source()


@dataclass(frozen=True)
class Ref:
    """A recorded value: a field of a step's form, or `today` (the day the step is left)."""
    step: str | None
    field: str | None

    @property
    def today(self) -> bool:
        return self.field is None

    def __str__(self) -> str:
        return "today" if self.today else f"{self.step}.{self.field}"


TODAY = Ref(None, None)


@dataclass(frozen=True)
class Choice:
    key: str
    label: Text


@dataclass(frozen=True)
class Field:
    key: str
    type: str
    label: Text
    required: bool = False
    help: Text | None = None
    choices: tuple[Choice, ...] = ()
    min: int | None = None
    max: int | None = None
    not_before: Ref | None = None
    not_after: Ref | None = None


@dataclass(frozen=True)
class DocumentSpec:
    type: str
    label: Text
    required: bool = False


@dataclass(frozen=True)
class Outcome:
    """A three-level vote's outcome rule (e.g. low confidence from 2/3 up: dismissal)."""
    rule: LevelRule
    title: Text


@dataclass(frozen=True)
class VoteRule:
    key: str
    title: Text
    scale: str                 # two_level | three_level
    mode: str                  # each | nominate | levels
    quorum_fraction: Fraction
    quorum_of: str             # summoned | members | members_less_excused
    base: str                  # summoned | members | members_less_excused | present | collected | valid
    pass_op: str | None = None
    pass_fraction: Fraction | None = None
    at_threshold: str = "fail"
    no_pass: str = "fail"
    outcomes: tuple[Outcome, ...] = ()
    default_outcome: str | None = None
    default_outcome_title: Text | None = None
    note: str | None = None
    gate: bool = True                  # False: record-only (judged, shown, printed; never blocks)
    seats: int | None = None           # how many are chosen (None: v1 — one for a nomination, any for 'each')
    seats_field: Ref | None = None     # … or the form field that holds that number
    tie_at_cut: str | None = None      # all_go_on | new_round | head_decides (None: v1's rules)
    outside_names: str | None = None   # count | refuse (None: the step's allows_nominees says)
    announced: bool = True             # whether the count is announced at the conference
    decided_by: str | None = None      # head | supervisor (None: the head where one is designated)
    differing_opinions: bool = False   # at exactly the threshold they must be recorded
    source: Source = NO_SOURCE

    @property
    def measures(self) -> tuple[str, ...]:
        return ("high", "confidence", "low") if self.scale == "three_level" else ("agree", "disagree")

    @property
    def needs_members(self) -> bool:
        return bool({"members", "members_less_excused"} & {self.base, self.quorum_of})

    @property
    def excused(self) -> bool:
        return "members_less_excused" in (self.base, self.quorum_of)

    def outcome_title(self, key: str) -> Text | None:
        for o in self.outcomes:
            if o.rule.key == key:
                return o.title
        return self.default_outcome_title if key == self.default_outcome else None


@dataclass(frozen=True)
class Tallies:
    """Several tallies at one step (one per conference, organisation, block or voter group)."""
    per: str                   # conference | organisation | block | group
    combine: str               # each (each judged alone) | all (all must pass) | record_only


@dataclass(frozen=True)
class Condition:
    """A rule on recorded facts, checked when the step is left. `kind` is one of working_days
    (between two dates), months_since, age (in whole months), within (N working days of a
    date) and must_be_true; `refs` names the dates or the field it reads."""
    key: str
    kind: str
    title: Text
    refs: tuple[tuple[str, Ref], ...]
    min: int | None = None
    max: int | None = None
    gate: bool = True
    unless: Ref | None = None
    source: Source = NO_SOURCE

    def ref(self, name: str) -> Ref:
        return dict(self.refs)[name]


@dataclass(frozen=True)
class Deadline:
    """A deadline anchored on a recorded date: N (working) days or months after ('from') or
    before ('before') it; met once the case has left `until` (None: once it has ended)."""
    key: str
    title: Text
    anchor: Ref
    before: bool
    working_days: int | None = None
    days: int | None = None
    months: int | None = None
    until: str | None = None
    source: Source = NO_SOURCE


@dataclass(frozen=True)
class OpinionSpec:
    """A body that only gives an opinion at a step (e.g. the inspection committee at appraisal)."""
    role: str
    title: Text
    required: bool = False
    source: Source = NO_SOURCE


@dataclass(frozen=True)
class Step:
    key: str
    no: int                    # 1-based order
    title: Text
    acted_by: Text
    role: str                  # staff | supervisor | head
    form: tuple[Field, ...] = ()
    vote: VoteRule | None = None
    allows_nominees: bool = False
    approval: bool = False
    announcement: bool = False
    documents: tuple[DocumentSpec, ...] = ()
    deadline_days: int | None = None
    description: Text | None = None
    note: str | None = None
    deadline_source: Source = NO_SOURCE
    deadline: Deadline | None = None           # anchored on a recorded date
    conditions: tuple[Condition, ...] = ()
    tallies: Tallies | None = None
    opinions: tuple[OpinionSpec, ...] = ()

    def field(self, key: str) -> Field | None:
        return next((f for f in self.form if f.key == key), None)

    @cached_property
    def ranged(self) -> bool:
        """Whether any field has a range to check when the form is saved."""
        return any(f.min is not None or f.max is not None or f.not_before or f.not_after for f in self.form)

    @property
    def outside_names(self) -> bool:
        """Whether a tally may name people outside the list (they are added as nominees)."""
        return self.allows_nominees or (self.vote is not None and self.vote.outside_names == "count")

    def opinion(self, role: str) -> OpinionSpec | None:
        return next((o for o in self.opinions if o.role == role), None)

    @property
    def gated(self) -> bool:
        """Whether leaving the step can fail on a judged result (a gate vote or a gated condition)."""
        return (self.vote is not None and self.vote.gate and (self.tallies is None or self.tallies.combine != "record_only")
                ) or any(c.gate for c in self.conditions)


@dataclass(frozen=True)
class Transition:
    trigger: str               # advance | return
    source: str
    dest: str | None           # None: the transition ends the case (`end`)
    end: str | None = None     # the outcome it ends the case with
    when: str | None = None    # passed | failed (advance only; None: whatever the result)


@dataclass(frozen=True)
class CaseOutcome:
    """A named end of a case (appointed, not appointed, admitted …)."""
    key: str
    title: Text
    decision: bool = False     # the case ends only with its decision record (number, date, signer)
    source: Source = NO_SOURCE


@dataclass(frozen=True)
class LegalBasis:
    number: str
    date: dt.date
    title: Text
    note: str | None = None


@dataclass(frozen=True)
class Definition:
    key: str
    version: int
    title: Text
    legal_basis: tuple[LegalBasis, ...]
    effective_from: dt.date
    steps: tuple[Step, ...]
    transitions: tuple[Transition, ...]
    vote_rules: tuple[VoteRule, ...]
    fingerprint: str           # sha256 of the canonical content: pins a running case to it
    source: str
    description: Text | None = None
    raw: str = ""              # the file's text, for the administrator's view
    outcomes: tuple[CaseOutcome, ...] = ()
    deadlines: tuple[Deadline, ...] = ()

    def step(self, key: str) -> Step:
        for s in self.steps:
            if s.key == key:
                return s
        raise KeyError(key)

    def has_step(self, key: str) -> bool:
        return any(s.key == key for s in self.steps)

    @property
    def first(self) -> Step:
        return self.steps[0]

    def advance_of(self, key: str, when: str = PASSED_WHEN) -> Transition | None:
        """The forward transition a step takes on this result (an unconditional one on either)."""
        ts = [t for t in self.transitions if t.trigger == "advance" and t.source == key]
        return next((t for t in ts if t.when == when), None) or next((t for t in ts if t.when is None), None)

    def next_of(self, key: str) -> str:
        """The state the step's advance leads to (`completed` after the last step, or an end)."""
        t = self.advance_of(key)
        return t.dest if t is not None and t.dest is not None else COMPLETED

    def failed_branches(self, key: str) -> tuple[Transition, ...]:
        """The transitions a step takes when its judged result fails (end with an outcome, or go to a step)."""
        return tuple(t for t in self.transitions if t.trigger == "advance" and t.source == key and t.when == FAILED_WHEN)

    def returns_from(self, key: str) -> tuple[str, ...]:
        return tuple(t.dest for t in self.transitions if t.trigger == "return" and t.source == key)

    def outcome(self, key: str | None) -> CaseOutcome | None:
        return next((o for o in self.outcomes if o.key == key), None)

    def step_no(self, state: str) -> int:
        """The number shown for a state: the last step's once completed, 0 once cancelled."""
        if state == COMPLETED:
            return len(self.steps)
        if state == CANCELLED:
            return 0
        return self.step(state).no

    @cached_property
    def all_deadlines(self) -> tuple[Deadline, ...]:
        """The case-wide anchored deadlines and each step's anchored one."""
        return self.deadlines + tuple(s.deadline for s in self.steps if s.deadline is not None)

    @property
    def label(self) -> str:
        return f"{self.key} v{self.version}"


class Registry:
    """Every valid definition, by (key, version). Definitions that failed are kept as errors
    (shown to administrators) instead of stopping the application."""

    def __init__(self, definitions: Iterable[Definition] = (), errors: Iterable[DefinitionError] = ()):
        self._by: dict[tuple[str, int], Definition] = {}
        self.errors: list[DefinitionError] = list(errors)
        for d in definitions:
            self.add(d)

    def add(self, d: Definition) -> None:
        if (d.key, d.version) in self._by:
            raise DefinitionError("definition.duplicate", file=d.source, label=d.label,
                                  other=self._by[(d.key, d.version)].source)
        self._by[(d.key, d.version)] = d

    def get(self, key: str, version: int | None = None, *, on: dt.date | None = None) -> Definition:
        """A given version, or the newest version in force on `on` (default: the newest)."""
        if version is not None:
            try:
                return self._by[(key, int(version))]
            except (KeyError, ValueError):
                raise KeyError(f"{key} v{version}") from None
        versions = sorted((d for (k, _), d in self._by.items() if k == key), key=lambda d: d.version)
        if on is not None:
            versions = [d for d in versions if d.effective_from <= on] or versions[:1]
        if not versions:
            raise KeyError(key)
        return versions[-1]

    def all(self) -> list[Definition]:
        return sorted(self._by.values(), key=lambda d: (d.key, d.version))

    def steps_of_role(self, role: str) -> list[tuple[str, int, str]]:
        """(procedure, version, step) of every step `role` records (a supervisor: the head's steps too;
        an opinion-only body: the steps that ask its opinion), in every installed version."""
        def mine(s: Step) -> bool:
            return (s.role == role or (role == "supervisor" and s.role == "head")
                    or any(o.role == role for o in s.opinions))
        return [(d.key, d.version, s.key) for d in self.all() for s in d.steps if mine(s)]

    def latest(self) -> list[Definition]:
        out: dict[str, Definition] = {}
        for d in self.all():
            out[d.key] = d
        return list(out.values())

    def __contains__(self, kv) -> bool:
        return kv in self._by

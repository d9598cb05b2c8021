"""Procedure definitions as frozen objects: `parse(data, …)` checks a mapping (what a YAML file
holds) against the JSON schema and the rules no schema can say, and builds a Definition. Reading
files is the adapters' business (workflow/adapters/definitions.py).

A bad definition is refused with a DefinitionError whose message names the file, the path inside
it and what is wrong: `x.v1.yaml: transitions[3].dest: unknown step 'decison'`."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping

import jsonschema

from .errors import DefinitionError, Problem
from .rules import LevelRule, parse_fraction

COMPLETED, CANCELLED = "completed", "cancelled"


@dataclass(frozen=True)
class Text:
    vi: str
    en: str

    def get(self, locale: str | None = "vi") -> str:
        return self.en if (locale or "vi").startswith("en") else self.vi

    def __str__(self) -> str:
        return self.vi


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


@dataclass(frozen=True)
class DocumentSpec:
    type: str
    label: Text
    required: bool = False


@dataclass(frozen=True)
class Outcome:
    rule: LevelRule
    title: Text


@dataclass(frozen=True)
class VoteRule:
    key: str
    title: Text
    scale: str                 # two_level | three_level
    mode: str                  # each | nominate | levels
    quorum_fraction: Fraction
    quorum_of: str             # summoned | members
    base: str                  # summoned | members | present | valid
    pass_op: str | None = None
    pass_fraction: Fraction | None = None
    at_threshold: str = "fail"
    no_pass: str = "fail"
    outcomes: tuple[Outcome, ...] = ()
    default_outcome: str | None = None
    default_outcome_title: Text | None = None
    note: str | None = None

    @property
    def measures(self) -> tuple[str, ...]:
        return ("high", "confidence", "low") if self.scale == "three_level" else ("agree", "disagree")

    def outcome_title(self, key: str) -> Text | None:
        for o in self.outcomes:
            if o.rule.key == key:
                return o.title
        return self.default_outcome_title if key == self.default_outcome else None


@dataclass(frozen=True)
class Step:
    key: str
    no: int                    # 1-based order
    title: Text
    acted_by: Text
    role: str
    form: tuple[Field, ...] = ()
    vote: VoteRule | None = None
    allows_nominees: bool = False
    approval: bool = False
    announcement: bool = False
    documents: tuple[DocumentSpec, ...] = ()
    deadline_days: int | None = None
    description: Text | None = None
    note: str | None = None

    def field(self, key: str) -> Field | None:
        return next((f for f in self.form if f.key == key), None)


@dataclass(frozen=True)
class Transition:
    trigger: str               # advance | return
    source: str
    dest: str


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

    def next_of(self, key: str) -> str:
        """The state the step's advance leads to (`completed` after the last step)."""
        for t in self.transitions:
            if t.trigger == "advance" and t.source == key:
                return t.dest
        return COMPLETED

    def returns_from(self, key: str) -> tuple[str, ...]:
        return tuple(t.dest for t in self.transitions if t.trigger == "return" and t.source == key)

    def step_no(self, state: str) -> int:
        """The number shown for a state: the last step's once completed, 0 once cancelled."""
        if state == COMPLETED:
            return len(self.steps)
        if state == CANCELLED:
            return 0
        return self.step(state).no

    @property
    def label(self) -> str:
        return f"{self.key} v{self.version}"


# ---- parsing -------------------------------------------------------------------------------------

def plain(x: Any) -> Any:
    """YAML gives dates as date objects; the schema and the fingerprint want text."""
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()
    return x


def _path(parts: Iterable) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _text(d) -> Text | None:
    return Text(d["vi"], d["en"]) if d else None


class Checker:
    """Raises a file's DefinitionError: `fail(path, key, **params)` names the file, the path in it
    and what is wrong there (a Problem with its own key)."""

    def __init__(self, name: str):
        self.name = name

    def fail(self, path: str, key: str, **params):
        raise DefinitionError("definition.invalid", file=self.name, path=path, what=Problem(key, **params))

    def fraction(self, path: str, value: str) -> Fraction:
        try:
            return parse_fraction(value)
        except ZeroDivisionError:
            self.fail(path, "definition.threshold", value=value, why="division by zero")
        except ValueError as e:
            self.fail(path, "definition.threshold", value=value, why=str(e))

    def date(self, path: str, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(path, "definition.date", value=value)


def parse(data: Mapping, name: str = "<definition>", *, schema: Mapping, raw: str = "") -> Definition:
    """Check and build one definition from a mapping (a YAML file's content; `raw` its text)."""
    chk = Checker(name)
    if not isinstance(data, dict):
        chk.fail("(top level)", "definition.not_mapping")
    data = plain(data)
    _check_schema(chk, data, schema)
    rules = {rk: _vote_rule(chk, rk, r) for rk, r in (data.get("vote_rules") or {}).items()}
    steps, seen = _steps(chk, data["steps"], rules)
    transitions = _transitions(chk, data["transitions"], steps, seen)
    _check_paths(chk, steps, transitions, seen)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Definition(
        key=data["key"], version=data["version"], title=_text(data["title"]),
        description=_text(data.get("description")),
        legal_basis=tuple(LegalBasis(b["number"], chk.date(f"legal_basis[{i}].date", b["date"]), _text(b["title"]),
                                     b.get("note")) for i, b in enumerate(data["legal_basis"])),
        effective_from=chk.date("effective_from", data["effective_from"]),
        steps=tuple(steps), transitions=tuple(transitions), vote_rules=tuple(rules.values()),
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(), source=name, raw=raw)


_validators: dict[int, jsonschema.Draft202012Validator] = {}


def _check_schema(chk: Checker, data: dict, schema: Mapping) -> None:
    validator = _validators.get(id(schema))
    if validator is None or validator.schema is not schema:
        validator = _validators[id(schema)] = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        chk.fail(_path(err.absolute_path), "definition.schema", what=_schema_message(err))


def _schema_message(err: jsonschema.ValidationError) -> str:
    if err.validator == "required":
        missing = [r for r in err.validator_value if r not in (err.instance or {})]
        return f"missing {', '.join(repr(m) for m in missing)}"
    if err.validator == "additionalProperties":
        return err.message.replace("Additional properties are not allowed", "unknown key(s)")
    if err.validator == "enum":
        return f"{err.instance!r} is not one of {', '.join(repr(v) for v in err.validator_value)}"
    if err.validator == "pattern" and err.schema.get("pattern", "").startswith("^[0-9]+/"):
        return f"bad threshold {err.instance!r}: write a fraction like \"1/2\" or \"2/3\""
    return err.message


def _check_vote_mode(chk: Checker, p: str, r: dict) -> None:
    mode, scale = r["mode"], r["scale"]
    if mode == "levels":
        if scale != "three_level":
            chk.fail(f"{p}.scale", "definition.levels_scale")
        if not r.get("outcomes") or not r.get("default_outcome"):
            chk.fail(p, "definition.levels_outcomes")
    else:
        if "pass" not in r:
            chk.fail(p, "definition.needs_pass", mode=mode)
        if scale != "two_level":
            chk.fail(f"{p}.scale", "definition.two_level", mode=mode)
    if "no_pass" in r and mode != "nominate":
        chk.fail(f"{p}.no_pass", "definition.no_pass")
    if r.get("at_threshold") == "head_decides" and r.get("pass", {}).get("op") != "gt":
        chk.fail(f"{p}.at_threshold", "definition.head_decides")


def _vote_rule(chk: Checker, rk: str, r: dict) -> VoteRule:
    p = f"vote_rules.{rk}"
    _check_vote_mode(chk, p, r)
    outcomes = []
    for i, o in enumerate(r.get("outcomes") or []):
        below = chk.fraction(f"{p}.outcomes[{i}].below", o["below"]) if "below" in o else None
        outcomes.append(Outcome(LevelRule(o["key"], o["measure"], o["op"],
                                          chk.fraction(f"{p}.outcomes[{i}].fraction", o["fraction"]), below),
                                _text(o["title"])))
    dflt = r.get("default_outcome") or {}
    return VoteRule(
        key=rk, title=_text(r["title"]), scale=r["scale"], mode=r["mode"],
        quorum_fraction=chk.fraction(f"{p}.quorum.fraction", r["quorum"]["fraction"]), quorum_of=r["quorum"]["of"],
        base=r["base"], pass_op=r.get("pass", {}).get("op"),
        pass_fraction=chk.fraction(f"{p}.pass.fraction", r["pass"]["fraction"]) if "pass" in r else None,
        at_threshold=r.get("at_threshold", "fail"), no_pass=r.get("no_pass", "fail"),
        outcomes=tuple(outcomes), default_outcome=dflt.get("key"),
        default_outcome_title=_text(dflt.get("title")), note=r.get("note"))


def _fields(chk: Checker, p: str, s: dict) -> tuple[Field, ...]:
    fields, keys = [], set()
    for j, f in enumerate(s.get("form") or []):
        if f["key"] in keys:
            chk.fail(f"{p}.form[{j}].key", "definition.field_twice", field=f["key"])
        keys.add(f["key"])
        if f["type"] == "choice" and not f.get("choices"):
            chk.fail(f"{p}.form[{j}]", "definition.choices")
        fields.append(Field(f["key"], f["type"], _text(f["label"]), bool(f.get("required")), _text(f.get("help")),
                            tuple(Choice(c["key"], _text(c["label"])) for c in f.get("choices") or [])))
    if sum(1 for f in fields if f.type == "candidates") > 1:
        chk.fail(f"{p}.form", "definition.candidates_twice")
    return tuple(fields)


def _step(chk: Checker, i: int, s: dict, rules: dict[str, VoteRule]) -> Step:
    p = f"steps[{i}]"
    fields = _fields(chk, p, s)
    vote = None
    if "vote" in s:
        if s["vote"] not in rules:
            chk.fail(f"{p}.vote", "definition.unknown_vote" if rules else "definition.no_vote_rules",
                     vote=s["vote"], known=sorted(rules))
        vote = rules[s["vote"]]
    if s.get("allows_nominees") and not vote:
        chk.fail(f"{p}.allows_nominees", "definition.nominees")
    dkeys = [d["type"] for d in s.get("documents") or []]
    if len(dkeys) != len(set(dkeys)):
        chk.fail(f"{p}.documents", "definition.document_twice")
    return Step(
        key=s["key"], no=i + 1, title=_text(s["title"]), acted_by=_text(s["acted_by"]), role=s["role"],
        form=fields, vote=vote, allows_nominees=bool(s.get("allows_nominees")),
        approval=bool(s.get("approval")), announcement=bool(s.get("announcement")),
        documents=tuple(DocumentSpec(d["type"], _text(d["label"]), bool(d.get("required")))
                        for d in s.get("documents") or []),
        deadline_days=s.get("deadline_days"), description=_text(s.get("description")), note=s.get("note"))


def _steps(chk: Checker, raw: list, rules: dict[str, VoteRule]) -> tuple[list[Step], dict[str, int]]:
    steps: list[Step] = []
    seen: dict[str, int] = {}
    for i, s in enumerate(raw):
        if s["key"] in seen:
            chk.fail(f"steps[{i}].key", "definition.step_twice", step=s["key"], other=seen[s["key"]])
        if s["key"] in (COMPLETED, CANCELLED):
            chk.fail(f"steps[{i}].key", "definition.reserved", step=s["key"])
        seen[s["key"]] = i
        steps.append(_step(chk, i, s, rules))
    return steps, seen


def _transitions(chk: Checker, raw: list, steps: list[Step], seen: dict[str, int]) -> list[Transition]:
    transitions: list[Transition] = []
    advance_from: dict[str, int] = {}
    for i, t in enumerate(raw):
        p = f"transitions[{i}]"
        for end in ("source", "dest"):
            if t[end] not in seen:
                chk.fail(f"{p}.{end}", "definition.unknown_step", step=t[end])
        src, dst = seen[t["source"]], seen[t["dest"]]
        if t["trigger"] == "advance":
            if t["source"] in advance_from:
                chk.fail(p, "definition.advances_twice", step=t["source"], other=advance_from[t["source"]])
            if src == len(steps) - 1:
                chk.fail(f"{p}.source", "definition.last_step_advance", step=t["source"])
            if dst == src:
                chk.fail(f"{p}.dest", "definition.advance_to_itself")
            advance_from[t["source"]] = i
        else:
            if dst >= src:
                chk.fail(f"{p}.dest", "definition.return_forward", step=t["dest"], source=t["source"])
            if any(x.trigger == "return" and x.source == t["source"] and x.dest == t["dest"] for x in transitions):
                chk.fail(p, "definition.return_twice")
        transitions.append(Transition(t["trigger"], t["source"], t["dest"]))
    for i, s in enumerate(steps[:-1]):
        if s.key not in advance_from:
            chk.fail(f"steps[{i}]", "definition.no_advance", step=s.key)
    return transitions


def _check_paths(chk: Checker, steps: list[Step], transitions: list[Transition], seen: dict[str, int]) -> None:
    forward = {t.source: t.dest for t in transitions if t.trigger == "advance"}
    reached, frontier = {steps[0].key}, [steps[0].key]
    while frontier:
        nxt = forward.get(frontier.pop())
        if nxt is not None and nxt not in reached:
            reached.add(nxt)
            frontier.append(nxt)
    for i, s in enumerate(steps):
        if s.key not in reached:
            chk.fail(f"steps[{i}]", "definition.unreachable", step=s.key)
    # the last step must be reachable too, and the forward path must end there (no cycles)
    k, hops = steps[0].key, 0
    while k != steps[-1].key:
        k = forward[k]
        hops += 1
        if hops > len(steps):
            chk.fail("transitions", "definition.loop")
    # Steps run in the order they are listed; so step numbers mean something and a 'return' to an
    # earlier-listed step really goes back along the forward path.
    for i, t in enumerate(transitions):
        if t.trigger == "advance" and seen[t.dest] != seen[t.source] + 1:
            chk.fail(f"transitions[{i}].dest", "definition.advance_order", step=t.source,
                     next=steps[seen[t.source] + 1].key)


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
        """(procedure, version, step) of every step `role` records, in every installed version."""
        return [(d.key, d.version, s.key) for d in self.all() for s in d.steps if s.role == role]

    def latest(self) -> list[Definition]:
        out: dict[str, Definition] = {}
        for d in self.all():
            out[d.key] = d
        return list(out.values())

    def __contains__(self, kv) -> bool:
        return kv in self._by

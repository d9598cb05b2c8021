"""Load and validate procedure definitions (YAML) into frozen objects.

A bad file is refused with a DefinitionError whose message names the file, the path inside it
and what is wrong: `x.v1.yaml: transitions[3].dest: unknown step 'decison'`."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import jsonschema
import yaml

from .errors import DefinitionError
from .rules import LevelRule, parse_fraction

# libyaml's C parser when PyYAML was built with it (the wheels are): ~10× faster, same results
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "definitions" / "schema.json"
_validator = None


def _schema_validator():
    global _validator
    if _validator is None:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        _validator = jsonschema.Draft202012Validator(schema)
    return _validator


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


COMPLETED, CANCELLED = "completed", "cancelled"


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
    raw: str = ""              # the YAML text, for the administrator's view

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
        for t in self.transitions:
            if t.trigger == "advance" and t.source == key:
                return t.dest
        return COMPLETED

    def returns_from(self, key: str) -> tuple[str, ...]:
        return tuple(t.dest for t in self.transitions if t.trigger == "return" and t.source == key)

    @property
    def label(self) -> str:
        return f"{self.key} v{self.version}"


def _plain(x):
    """YAML gives dates as date objects; the schema and the fingerprint want text."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
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


class _Checker:
    def __init__(self, name: str):
        self.name = name

    def fail(self, path: str, what: str):
        raise DefinitionError(f"{self.name}: {path}: {what}", file=self.name, path=path, what=what)


def parse(text: str, name: str = "<definition>") -> Definition:
    """Parse and validate one definition from YAML text."""
    chk = _Checker(name)
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(YAML)"
        chk.fail(where, f"not valid YAML: {getattr(e, 'problem', None) or e}")
    except ValueError as e:                        # PyYAML: an unquoted impossible date (2025-02-30)
        chk.fail("(YAML)", f"not valid YAML: {e}; write dates as YYYY-MM-DD")
    if not isinstance(data, dict):
        chk.fail("(top level)", "a definition must be a mapping of keys to values")
    data = _plain(data)

    errors = sorted(_schema_validator().iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        chk.fail(_path(err.absolute_path), _schema_message(err))

    rules: dict[str, VoteRule] = {}
    for rk, r in (data.get("vote_rules") or {}).items():
        p = f"vote_rules.{rk}"
        fr = lambda s, sub: _fraction(chk, f"{p}.{sub}", s)  # noqa: E731
        mode, scale = r["mode"], r["scale"]
        if mode == "levels":
            if scale != "three_level":
                chk.fail(f"{p}.scale", "mode 'levels' needs scale 'three_level'")
            if not r.get("outcomes") or not r.get("default_outcome"):
                chk.fail(p, "mode 'levels' needs 'outcomes' and 'default_outcome'")
        else:
            if "pass" not in r:
                chk.fail(p, f"mode '{mode}' needs a 'pass' threshold (op and fraction)")
            if scale != "two_level":
                chk.fail(f"{p}.scale", f"mode '{mode}' counts agree/disagree: scale must be 'two_level'")
        if "no_pass" in r and mode != "nominate":
            chk.fail(f"{p}.no_pass", "'no_pass' applies only to mode 'nominate'")
        if r.get("at_threshold") == "head_decides" and r.get("pass", {}).get("op") != "gt":
            chk.fail(f"{p}.at_threshold", "'head_decides' applies only when the threshold is 'gt' (more than)")
        if r.get("quorum", {}).get("of") == "members" or r["base"] == "members":
            pass  # a tally then records the number of members of the collective
        outcomes = []
        for i, o in enumerate(r.get("outcomes") or []):
            below = fr(o["below"], f"outcomes[{i}].below") if "below" in o else None
            outcomes.append(Outcome(LevelRule(o["key"], o["measure"], o["op"],
                                              fr(o["fraction"], f"outcomes[{i}].fraction"), below),
                                    _text(o["title"])))
        dflt = r.get("default_outcome") or {}
        rules[rk] = VoteRule(
            key=rk, title=_text(r["title"]), scale=scale, mode=mode,
            quorum_fraction=fr(r["quorum"]["fraction"], "quorum.fraction"), quorum_of=r["quorum"]["of"],
            base=r["base"], pass_op=r.get("pass", {}).get("op"),
            pass_fraction=fr(r["pass"]["fraction"], "pass.fraction") if "pass" in r else None,
            at_threshold=r.get("at_threshold", "fail"), no_pass=r.get("no_pass", "fail"),
            outcomes=tuple(outcomes), default_outcome=dflt.get("key"),
            default_outcome_title=_text(dflt.get("title")), note=r.get("note"))

    steps: list[Step] = []
    seen: dict[str, int] = {}
    for i, s in enumerate(data["steps"]):
        p = f"steps[{i}]"
        if s["key"] in seen:
            chk.fail(f"{p}.key", f"step key '{s['key']}' is used twice (also steps[{seen[s['key']]}])")
        if s["key"] in (COMPLETED, CANCELLED):
            chk.fail(f"{p}.key", f"'{s['key']}' is reserved for the end of a case")
        seen[s["key"]] = i
        fields, fkeys = [], set()
        for j, f in enumerate(s.get("form") or []):
            if f["key"] in fkeys:
                chk.fail(f"{p}.form[{j}].key", f"field key '{f['key']}' is used twice in this step")
            fkeys.add(f["key"])
            if f["type"] == "choice" and not f.get("choices"):
                chk.fail(f"{p}.form[{j}]", "a 'choice' field needs 'choices'")
            fields.append(Field(f["key"], f["type"], _text(f["label"]), bool(f.get("required")),
                                _text(f.get("help")),
                                tuple(Choice(c["key"], _text(c["label"])) for c in f.get("choices") or [])))
        if sum(1 for f in fields if f.type == "candidates") > 1:
            chk.fail(f"{p}.form", "a step may have at most one 'candidates' field")
        vote = None
        if "vote" in s:
            if s["vote"] not in rules:
                chk.fail(f"{p}.vote", f"unknown vote rule '{s['vote']}'"
                         + (f" (known: {', '.join(sorted(rules))})" if rules else " (no vote_rules are defined)"))
            vote = rules[s["vote"]]
        if s.get("allows_nominees") and not vote:
            chk.fail(f"{p}.allows_nominees", "nominees can only be added at a step with a vote")
        dkeys = [d["type"] for d in s.get("documents") or []]
        if len(dkeys) != len(set(dkeys)):
            chk.fail(f"{p}.documents", "a document type is listed twice")
        steps.append(Step(
            key=s["key"], no=i + 1, title=_text(s["title"]), acted_by=_text(s["acted_by"]), role=s["role"],
            form=tuple(fields), vote=vote, allows_nominees=bool(s.get("allows_nominees")),
            approval=bool(s.get("approval")), announcement=bool(s.get("announcement")),
            documents=tuple(DocumentSpec(d["type"], _text(d["label"]), bool(d.get("required")))
                            for d in s.get("documents") or []),
            deadline_days=s.get("deadline_days"), description=_text(s.get("description")), note=s.get("note")))

    transitions: list[Transition] = []
    advance_from: dict[str, int] = {}
    for i, t in enumerate(data["transitions"]):
        p = f"transitions[{i}]"
        for end in ("source", "dest"):
            if t[end] not in seen:
                chk.fail(f"{p}.{end}", f"unknown step '{t[end]}'")
        src, dst = seen[t["source"]], seen[t["dest"]]
        if t["trigger"] == "advance":
            if t["source"] in advance_from:
                chk.fail(f"{p}", f"step '{t['source']}' already advances (transitions[{advance_from[t['source']]}]); "
                                 "a step has exactly one forward transition")
            if src == len(steps) - 1:
                chk.fail(f"{p}.source", f"'{t['source']}' is the last step: its advance completes the case")
            if dst == src:
                chk.fail(f"{p}.dest", "a step cannot advance to itself")
            advance_from[t["source"]] = i
        else:
            if dst >= src:
                chk.fail(f"{p}.dest", f"a return goes back to an earlier step; '{t['dest']}' is not before "
                                      f"'{t['source']}'")
            if any(x.trigger == "return" and x.source == t["source"] and x.dest == t["dest"] for x in transitions):
                chk.fail(p, "this return is declared twice")
        transitions.append(Transition(t["trigger"], t["source"], t["dest"]))
    for i, s in enumerate(steps[:-1]):
        if s.key not in advance_from:
            chk.fail(f"steps[{i}]", f"step '{s.key}' has no 'advance' transition")
    reached, frontier = {steps[0].key}, [steps[0].key]
    while frontier:
        k = frontier.pop()
        for t in transitions:
            if t.trigger == "advance" and t.source == k and t.dest not in reached:
                reached.add(t.dest)
                frontier.append(t.dest)
    for i, s in enumerate(steps):
        if s.key not in reached:
            chk.fail(f"steps[{i}]", f"step '{s.key}' is unreachable from the first step")
    # the last step must be reachable too, and the forward path must end there (no cycles)
    k, hops = steps[0].key, 0
    while k != steps[-1].key:
        k = next(t.dest for t in transitions if t.trigger == "advance" and t.source == k)
        hops += 1
        if hops > len(steps):
            chk.fail("transitions", "the forward transitions loop and never reach the last step")
    # Steps run in the order they are listed; so step numbers mean something and a 'return' to an
    # earlier-listed step really goes back along the forward path.
    for i, t in enumerate(transitions):
        if t.trigger == "advance" and seen[t.dest] != seen[t.source] + 1:
            chk.fail(f"transitions[{i}].dest", f"'{t.source}' must advance to the step listed after it, "
                                               f"'{steps[seen[t.source] + 1].key}' (steps run in the order listed)")

    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Definition(
        key=data["key"], version=data["version"], title=_text(data["title"]),
        description=_text(data.get("description")),
        legal_basis=tuple(LegalBasis(b["number"], _date(chk, f"legal_basis[{i}].date", b["date"]), _text(b["title"]),
                                     b.get("note")) for i, b in enumerate(data["legal_basis"])),
        effective_from=_date(chk, "effective_from", data["effective_from"]),
        steps=tuple(steps), transitions=tuple(transitions), vote_rules=tuple(rules.values()),
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(), source=name, raw=text)


def _date(chk: _Checker, path: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        chk.fail(path, f"'{value}' is not a date (YYYY-MM-DD)")


def _fraction(chk: _Checker, path: str, value: str) -> Fraction:
    try:
        return parse_fraction(value)
    except (ValueError, ZeroDivisionError) as e:
        chk.fail(path, f"bad threshold '{value}': {e if not isinstance(e, ZeroDivisionError) else 'division by zero'}")


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


def load_file(path: str | Path) -> Definition:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DefinitionError(f"{path.name}: cannot read: {e}", file=path.name) from e
    d = parse(text, path.name)
    expected = f"{d.key}.v{d.version}.yaml"
    if path.name != expected and path.suffix in (".yaml", ".yml"):
        raise DefinitionError(f"{path.name}: (top level): file name should be '{expected}' "
                              f"(key '{d.key}', version {d.version})", file=path.name)
    return d


class Registry:
    """Every valid definition in a folder, by (key, version). Files that fail are kept as errors
    (shown to administrators) instead of stopping the application."""

    def __init__(self, definitions: Iterable[Definition] = (), errors: Iterable[DefinitionError] = ()):
        self._by: dict[tuple[str, int], Definition] = {}
        self.errors: list[DefinitionError] = list(errors)
        for d in definitions:
            self.add(d)

    @classmethod
    def from_folder(cls, folder: str | Path) -> "Registry":
        reg = cls()
        for f in sorted(Path(folder).glob("*.yaml")):
            try:
                reg.add(load_file(f))
            except DefinitionError as e:
                reg.errors.append(e)
        return reg

    def add(self, d: Definition) -> None:
        if (d.key, d.version) in self._by:
            raise DefinitionError(f"{d.source}: (top level): {d.label} is already defined by "
                                  f"{self._by[(d.key, d.version)].source}")
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

    def latest(self) -> list[Definition]:
        out: dict[str, Definition] = {}
        for d in self.all():
            out[d.key] = d
        return list(out.values())

    def __contains__(self, kv) -> bool:
        return kv in self._by

"""The definition language: a mapping (what a YAML file holds) checked against the JSON schema
(definitions/schema.json) and against the rules no schema can say, built into a frozen
Definition (workflow/domain/definition.py).

A bad definition is refused with a DefinitionError whose message names the file, the path inside
it and what is wrong: `x.v1.yaml: transitions[3].dest: unknown step 'decison'`."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from fractions import Fraction
from typing import Any, Iterable, Mapping

import jsonschema

from .definition import (CANCELLED, COMPLETED, FAILED_WHEN, TODAY, CaseOutcome, Choice, Condition, Deadline, Definition,
                         DocumentSpec, Field, LegalBasis, OpinionSpec, Outcome, Ref, Source, Step, Tallies, Text,
                         Transition, VoteRule)
from .errors import DefinitionError, Problem
from .rules import LevelRule, parse_fraction

CONDITION_KINDS = {"working_days": (("from", "date"), ("to", "date")),
                   "months_since": (("since", "date"), ("at", "date")),
                   "age": (("born", "date"), ("at", "date")),
                   "within": (("date", "date"), ("of", "date")),
                   "must_be_true": (("field", "boolean"),)}


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


def _source(d: Mapping) -> Source:
    return Source(d.get("cite"), d.get("check"))


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


class Fields:
    """Every step's form fields, by step key, in step order: what a reference may name."""

    def __init__(self, chk: Checker):
        self.chk = chk
        self.by_step: dict[str, dict[str, Field]] = {}
        self.order: dict[str, int] = {}

    def ref(self, path: str, raw: Any, here: str, types: tuple[str, ...], *, today: bool = False) -> Ref:
        """A reference to a recorded field of `types` at step `here` or an earlier one (or `today`)."""
        if raw == "today":
            if not today:
                self.chk.fail(path, "definition.ref_today")
            return TODAY
        step, key = (here, raw) if isinstance(raw, str) else (raw.get("step", here), raw["field"])
        if step not in self.by_step:
            self.chk.fail(path, "definition.ref_step", step=step)
        if self.order[step] > self.order[here]:
            self.chk.fail(path, "definition.ref_later", step=step, here=here)
        f = self.by_step[step].get(key)
        if f is None:
            self.chk.fail(path, "definition.ref_field", step=step, field=key)
        if f.type not in types:
            self.chk.fail(path, "definition.ref_type", step=step, field=key, type=f.type, types=list(types))
        return Ref(step, key)


def parse(data: Mapping, name: str = "<definition>", *, schema: Mapping, raw: str = "") -> Definition:
    """Check and build one definition from a mapping (a YAML file's content; `raw` its text)."""
    chk = Checker(name)
    if not isinstance(data, dict):
        chk.fail("(top level)", "definition.not_mapping")
    data = plain(data)
    _check_schema(chk, data, schema)
    outcomes = _outcomes(chk, data.get("outcomes") or [])
    fields = _all_fields(chk, data["steps"])
    rules = {rk: _vote_rule(chk, rk, r) for rk, r in (data.get("vote_rules") or {}).items()}
    steps, seen = _steps(chk, data["steps"], rules, fields)
    transitions = _transitions(chk, data["transitions"], steps, seen, outcomes)
    _check_paths(chk, steps, transitions, seen)
    _check_outcomes_reached(chk, steps, transitions, outcomes)
    deadlines = tuple(_deadline(chk, f"deadlines[{i}]", x, fields, steps[-1].key, steps=seen)
                      for i, x in enumerate(data.get("deadlines") or []))
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Definition(
        key=data["key"], version=data["version"], title=_text(data["title"]),
        description=_text(data.get("description")),
        legal_basis=tuple(LegalBasis(b["number"], chk.date(f"legal_basis[{i}].date", b["date"]), _text(b["title"]),
                                     b.get("note")) for i, b in enumerate(data["legal_basis"])),
        effective_from=chk.date("effective_from", data["effective_from"]),
        steps=tuple(steps), transitions=tuple(transitions), vote_rules=tuple(rules.values()),
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(), source=name, raw=raw,
        outcomes=tuple(outcomes.values()), deadlines=deadlines)


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


# ---- outcomes and sources --------------------------------------------------------------------------

def _outcomes(chk: Checker, raw: list) -> dict[str, CaseOutcome]:
    out: dict[str, CaseOutcome] = {}
    for i, o in enumerate(raw):
        if o["key"] in out:
            chk.fail(f"outcomes[{i}].key", "definition.outcome_twice", outcome=o["key"])
        if o["key"] in (COMPLETED, CANCELLED):
            chk.fail(f"outcomes[{i}].key", "definition.reserved", step=o["key"])
        _one_source(chk, f"outcomes[{i}]", o)
        out[o["key"]] = CaseOutcome(o["key"], _text(o["title"]), bool(o.get("decision")), _source(o))
    return out


def _one_source(chk: Checker, p: str, d: Mapping) -> None:
    if "cite" in d and "check" in d:
        chk.fail(p, "definition.cite_and_check")


def _needs_source(chk: Checker, p: str, d: Mapping) -> None:
    _one_source(chk, p, d)
    if "cite" not in d and "check" not in d:
        chk.fail(p, "definition.needs_source")


# ---- votes ---------------------------------------------------------------------------------------

def _check_vote_mode(chk: Checker, p: str, r: dict) -> None:
    mode, scale = r["mode"], r["scale"]
    if mode == "levels":
        if scale != "three_level":
            chk.fail(f"{p}.scale", "definition.levels_scale")
        if not r.get("outcomes") or not r.get("default_outcome"):
            chk.fail(p, "definition.levels_outcomes")
        for k in ("seats", "tie_at_cut"):
            if k in r:
                chk.fail(f"{p}.{k}", "definition.levels_seats", name=k)
    else:
        if "pass" not in r:
            chk.fail(p, "definition.needs_pass", mode=mode)
        if scale != "two_level":
            chk.fail(f"{p}.scale", "definition.two_level", mode=mode)
    if "no_pass" in r and mode != "nominate":
        chk.fail(f"{p}.no_pass", "definition.no_pass")
    if r.get("at_threshold") == "head_decides" and r.get("pass", {}).get("op") != "gt":
        chk.fail(f"{p}.at_threshold", "definition.head_decides")
    for k in ("decided_by", "differing_opinions"):
        if k in r and r.get("at_threshold") != "head_decides" and r.get("tie_at_cut") != "head_decides":
            chk.fail(f"{p}.{k}", "definition.head_only", name=k)
    if mode == "each" and "tie_at_cut" in r and "seats" not in r:
        chk.fail(f"{p}.tie_at_cut", "definition.tie_needs_seats")
    _one_source(chk, p, r)


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
    seats = r.get("seats")
    return VoteRule(
        key=rk, title=_text(r["title"]), scale=r["scale"], mode=r["mode"],
        quorum_fraction=chk.fraction(f"{p}.quorum.fraction", r["quorum"]["fraction"]), quorum_of=r["quorum"]["of"],
        base=r["base"], pass_op=r.get("pass", {}).get("op"),
        pass_fraction=chk.fraction(f"{p}.pass.fraction", r["pass"]["fraction"]) if "pass" in r else None,
        at_threshold=r.get("at_threshold", "fail"), no_pass=r.get("no_pass", "fail"),
        outcomes=tuple(outcomes), default_outcome=dflt.get("key"),
        default_outcome_title=_text(dflt.get("title")), note=r.get("note"), gate=r.get("gate", True),
        seats=seats if isinstance(seats, int) else None,
        seats_field=Ref(seats.get("step"), seats["field"]) if isinstance(seats, dict) else None,
        tie_at_cut=r.get("tie_at_cut"), outside_names=r.get("outside_names"), announced=r.get("announced", True),
        decided_by=r.get("decided_by"), differing_opinions=bool(r.get("differing_opinions")), source=_source(r))


def _step_vote(chk: Checker, p: str, s: dict, rules: dict[str, VoteRule], fields: Fields) -> VoteRule | None:
    if "vote" not in s:
        for k in ("allows_nominees", "tallies"):
            if s.get(k):
                chk.fail(f"{p}.{k}", "definition.nominees" if k == "allows_nominees" else "definition.tallies_vote")
        return None
    if s["vote"] not in rules:
        chk.fail(f"{p}.vote", "definition.unknown_vote" if rules else "definition.no_vote_rules",
                 vote=s["vote"], known=sorted(rules))
    vote = rules[s["vote"]]
    if s.get("allows_nominees") and vote.outside_names == "refuse":
        chk.fail(f"{p}.allows_nominees", "definition.nominees_refused", vote=vote.key)
    if s.get("tallies") and vote.tie_at_cut == "new_round":
        chk.fail(f"{p}.tallies", "definition.rounds_and_tallies", vote=vote.key)
    if vote.seats_field is not None:
        # the number of seats is read from a recorded integer field at this step or an earlier one
        fields.ref(f"vote_rules.{vote.key}.seats", {"step": vote.seats_field.step or s["key"],
                                                     "field": vote.seats_field.field}, s["key"], ("integer",))
    return vote


# ---- fields, conditions, deadlines -----------------------------------------------------------------

def _field(chk: Checker, p: str, f: dict) -> Field:
    if f["type"] == "choice" and not f.get("choices"):
        chk.fail(p, "definition.choices")
    for k, types in (("min", ("integer",)), ("max", ("integer",)), ("not_before", ("date",)), ("not_after", ("date",))):
        if k in f and f["type"] not in types:
            chk.fail(f"{p}.{k}", "definition.range_type", name=k, type=f["type"])
    if "min" in f and "max" in f and f["min"] > f["max"]:
        chk.fail(f"{p}.max", "definition.range_order", lo=f["min"], hi=f["max"])
    return Field(f["key"], f["type"], _text(f["label"]), bool(f.get("required")), _text(f.get("help")),
                 tuple(Choice(c["key"], _text(c["label"])) for c in f.get("choices") or []),
                 f.get("min"), f.get("max"))


def _all_fields(chk: Checker, raw_steps: list) -> Fields:
    """Every step's fields (dates' bounds resolved once all steps are known)."""
    out = Fields(chk)
    for i, s in enumerate(raw_steps):
        p, keys, fields = f"steps[{i}]", set(), {}
        for j, f in enumerate(s.get("form") or []):
            if f["key"] in keys:
                chk.fail(f"{p}.form[{j}].key", "definition.field_twice", field=f["key"])
            keys.add(f["key"])
            fields[f["key"]] = _field(chk, f"{p}.form[{j}]", f)
        if sum(1 for f in fields.values() if f.type == "candidates") > 1:
            chk.fail(f"{p}.form", "definition.candidates_twice")
        out.order.setdefault(s["key"], i)
        out.by_step.setdefault(s["key"], fields)
    for i, s in enumerate(raw_steps):
        for j, f in enumerate(s.get("form") or []):
            bounds = {k: out.ref(f"steps[{i}].form[{j}].{k}", f[k], s["key"], ("date",))
                      for k in ("not_before", "not_after") if k in f}
            if bounds:
                old = out.by_step[s["key"]][f["key"]]
                out.by_step[s["key"]][f["key"]] = Field(**{**old.__dict__, **bounds})
    return out


def _condition(chk: Checker, p: str, c: dict, here: str, fields: Fields) -> Condition:
    kinds = [k for k in CONDITION_KINDS if k in c]
    if len(kinds) != 1:
        chk.fail(p, "definition.condition_kind", kinds=list(CONDITION_KINDS))
    kind = kinds[0]
    _needs_source(chk, p, c)
    gate = c.get("gate", "cite" in c)
    if gate and "cite" not in c:
        chk.fail(f"{p}.gate", "definition.check_gate")
    body = c[kind] if kind != "must_be_true" else {"field": c[kind]}
    refs = tuple((name, fields.ref(f"{p}.{kind}.{name}" if kind != "must_be_true" else f"{p}.{kind}", body[name], here,
                                   (typ,), today=name in ("to", "at")))
                 for name, typ in CONDITION_KINDS[kind])
    if kind == "within":          # the date at most N working days after the other
        lo, hi = None, body["working_days"]
    else:
        lo, hi = body.get("min", body.get("min_months")), body.get("max", body.get("max_months"))
    if kind not in ("must_be_true", "within") and lo is None and hi is None:
        chk.fail(f"{p}.{kind}", "definition.condition_bounds")
    if lo is not None and hi is not None and lo > hi:
        chk.fail(f"{p}.{kind}", "definition.range_order", lo=lo, hi=hi)
    unless = fields.ref(f"{p}.unless", c["unless"], here, ("boolean",)) if "unless" in c else None
    return Condition(c["key"], kind, _text(c["title"]), refs, lo, hi, bool(gate), unless, _source(c))


def _deadline(chk: Checker, p: str, x: dict, fields: Fields, here: str, *, steps: dict[str, int],
              until: str | None = None) -> Deadline:
    _needs_source(chk, p, x)
    units = [k for k in ("working_days", "days", "months") if k in x]
    if len(units) != 1:
        chk.fail(p, "definition.deadline_units")
    ends = [k for k in ("from", "before") if k in x]
    if len(ends) != 1:
        chk.fail(p, "definition.deadline_anchor")
    until = x.get("until", until)
    if until is not None and until not in steps:
        chk.fail(f"{p}.until", "definition.unknown_step", step=until)
    # a case-wide deadline may be anchored on any step's date; a step's on its own or an earlier one
    anchor = fields.ref(f"{p}.{ends[0]}", x[ends[0]], here, ("date",))
    return Deadline(x.get("key") or f"{anchor.step}-{anchor.field}", _text(x["title"]), anchor, ends[0] == "before",
                    x.get("working_days"), x.get("days"), x.get("months"), until, _source(x))


def _step_deadline(chk: Checker, p: str, s: dict, fields: Fields, steps: dict[str, int]):
    """(days from entering the step, its source, an anchored deadline) of a step."""
    x = s.get("deadline")
    if x is None:
        return s.get("deadline_days"), Source(), None
    if "deadline_days" in s:
        chk.fail(f"{p}.deadline", "definition.two_deadlines")
    if "from" in x or "before" in x:
        if "title" not in x:
            chk.fail(f"{p}.deadline", "definition.deadline_title")
        return None, Source(), _deadline(chk, f"{p}.deadline", x, fields, s["key"], steps=steps, until=s["key"])
    _needs_source(chk, f"{p}.deadline", x)
    if "months" in x or ("working_days" in x) == ("days" in x):
        chk.fail(f"{p}.deadline", "definition.step_deadline")
    return x.get("working_days") or x.get("days"), _source(x), None


# ---- steps ---------------------------------------------------------------------------------------

def _step(chk: Checker, i: int, s: dict, rules: dict[str, VoteRule], fields: Fields, seen: dict[str, int]) -> Step:
    p = f"steps[{i}]"
    vote = _step_vote(chk, p, s, rules, fields)
    dkeys = [d["type"] for d in s.get("documents") or []]
    if len(dkeys) != len(set(dkeys)):
        chk.fail(f"{p}.documents", "definition.document_twice")
    ckeys = [c["key"] for c in s.get("conditions") or []]
    if len(ckeys) != len(set(ckeys)):
        chk.fail(f"{p}.conditions", "definition.condition_twice")
    roles = [o["role"] for o in s.get("opinions") or []]
    if len(roles) != len(set(roles)):
        chk.fail(f"{p}.opinions", "definition.opinion_twice")
    for j, o in enumerate(s.get("opinions") or []):
        _one_source(chk, f"{p}.opinions[{j}]", o)
    days, dsource, anchored = _step_deadline(chk, p, s, fields, seen)
    t = s.get("tallies")
    return Step(
        key=s["key"], no=i + 1, title=_text(s["title"]), acted_by=_text(s["acted_by"]), role=s["role"],
        form=tuple(fields.by_step[s["key"]].values()), vote=vote, allows_nominees=bool(s.get("allows_nominees")),
        approval=bool(s.get("approval")), announcement=bool(s.get("announcement")),
        documents=tuple(DocumentSpec(d["type"], _text(d["label"]), bool(d.get("required")))
                        for d in s.get("documents") or []),
        deadline_days=days, description=_text(s.get("description")), note=s.get("note"), deadline_source=dsource,
        deadline=anchored,
        conditions=tuple(_condition(chk, f"{p}.conditions[{j}]", c, s["key"], fields)
                         for j, c in enumerate(s.get("conditions") or [])),
        tallies=Tallies(t["per"], t["combine"]) if t else None,
        opinions=tuple(OpinionSpec(o["role"], _text(o["title"]), bool(o.get("required")), _source(o))
                       for o in s.get("opinions") or []))


def _steps(chk: Checker, raw: list, rules: dict[str, VoteRule], fields: Fields) -> tuple[list[Step], dict[str, int]]:
    seen: dict[str, int] = {}
    for i, s in enumerate(raw):
        if s["key"] in seen:
            chk.fail(f"steps[{i}].key", "definition.step_twice", step=s["key"], other=seen[s["key"]])
        if s["key"] in (COMPLETED, CANCELLED):
            chk.fail(f"steps[{i}].key", "definition.reserved", step=s["key"])
        seen[s["key"]] = i
    return [_step(chk, i, s, rules, fields, seen) for i, s in enumerate(raw)], seen


# ---- transitions ---------------------------------------------------------------------------------

def _transition(chk: Checker, p: str, t: dict, seen: dict[str, int], outcomes: dict) -> Transition:
    if t["source"] not in seen:
        chk.fail(f"{p}.source", "definition.unknown_step", step=t["source"])
    if ("dest" in t) == ("end" in t):
        chk.fail(p, "definition.dest_or_end")
    if "dest" in t and t["dest"] not in seen:
        chk.fail(f"{p}.dest", "definition.unknown_step", step=t["dest"])
    if t["trigger"] == "return" and ("end" in t or "when" in t):
        chk.fail(p, "definition.return_plain")
    if "end" in t and t["end"] not in outcomes:
        chk.fail(f"{p}.end", "definition.unknown_outcome" if outcomes else "definition.no_outcomes",
                 outcome=t["end"], known=sorted(outcomes))
    return Transition(t["trigger"], t["source"], t.get("dest"), t.get("end"), t.get("when"))


def _advance(chk: Checker, i: int, t: Transition, steps: list[Step], seen: dict[str, int],
             taken: dict[tuple[str, str], int]) -> None:
    p = f"transitions[{i}]"
    src = seen[t.source]
    last = src == len(steps) - 1
    if t.when == FAILED_WHEN:
        if not steps[src].gated:
            chk.fail(f"{p}.when", "definition.failed_no_gate", step=t.source)
        slot = (t.source, FAILED_WHEN)
    else:
        if t.dest is not None and last:
            chk.fail(f"{p}.source", "definition.last_step_advance", step=t.source)
        if t.end is not None and not last:
            chk.fail(f"{p}.end", "definition.end_not_last", step=t.source)
        if t.dest is not None and seen[t.dest] == src:
            chk.fail(f"{p}.dest", "definition.advance_to_itself")
        slot = (t.source, "passed")
    if slot in taken:
        chk.fail(p, "definition.advances_twice", step=t.source, other=taken[slot])
    taken[slot] = i


def _transitions(chk: Checker, raw: list, steps: list[Step], seen: dict[str, int],
                 outcomes: dict[str, CaseOutcome]) -> list[Transition]:
    transitions: list[Transition] = []
    taken: dict[tuple[str, str], int] = {}
    for i, raw_t in enumerate(raw):
        p = f"transitions[{i}]"
        t = _transition(chk, p, raw_t, seen, outcomes)
        if t.trigger == "advance":
            _advance(chk, i, t, steps, seen, taken)
        else:
            if seen[t.dest] >= seen[t.source]:
                chk.fail(f"{p}.dest", "definition.return_forward", step=t.dest, source=t.source)
            if any(x.trigger == "return" and x.source == t.source and x.dest == t.dest for x in transitions):
                chk.fail(p, "definition.return_twice")
        transitions.append(t)
    for i, s in enumerate(steps[:-1]):
        if (s.key, "passed") not in taken:
            chk.fail(f"steps[{i}]", "definition.no_advance", step=s.key)
    return transitions


def _check_paths(chk: Checker, steps: list[Step], transitions: list[Transition], seen: dict[str, int]) -> None:
    forward = {t.source: t.dest for t in transitions if t.trigger == "advance" and t.when != FAILED_WHEN and t.dest}
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
        if t.trigger == "advance" and t.when != FAILED_WHEN and t.dest and seen[t.dest] != seen[t.source] + 1:
            chk.fail(f"transitions[{i}].dest", "definition.advance_order", step=t.source,
                     next=steps[seen[t.source] + 1].key)


def _check_outcomes_reached(chk: Checker, steps: list[Step], transitions: list[Transition],
                            outcomes: dict[str, CaseOutcome]) -> None:
    """A procedure with outcomes completes with one: its last step ends the case with an outcome."""
    if outcomes and not any(t.end and t.source == steps[-1].key and t.when != FAILED_WHEN for t in transitions):
        chk.fail("transitions", "definition.last_needs_end", step=steps[-1].key)
    used = {t.end for t in transitions if t.end}
    for i, key in enumerate(outcomes):
        if key not in used:
            chk.fail(f"outcomes[{i}]", "definition.outcome_unused", outcome=key)

"""What a step records, checked before anything is saved: conference tallies (consistency,
quorum, per-candidate result against the rule's base), form fields, announcements and
documents. Ballots are secret: a tally holds counts, never who voted how."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

from .definition import Step, VoteRule
from .errors import InvalidTally, Validation
from . import rules as R

COUNTS = ("summoned", "present", "issued", "collected", "valid", "invalid")
MAX_COUNT = 1_000_000
MAX_NAME = 200
MAX_STRING, MAX_TEXT = 300, 20_000


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(v: Any) -> str:
    """Text as people write it: control characters (NUL…) removed — PostgreSQL refuses NUL, and
    none of them means anything in a record. Tabs and line breaks stay."""
    return _CONTROL.sub("", str(v))


def _count(raw: Mapping, key: str, errors: dict, *, required: bool = True) -> int | None:
    v = raw.get(key)
    if v is None or v == "":
        if required:
            errors[key] = "required"
        return None
    if isinstance(v, bool):
        errors[key] = "must be a whole number"
        return None
    if isinstance(v, str) and re.fullmatch(r"\s*\d{1,7}\s*", v):
        v = int(v)
    if not isinstance(v, int):
        errors[key] = "must be a whole number"
        return None
    if v < 0 or v > MAX_COUNT:
        errors[key] = f"must be between 0 and {MAX_COUNT}"
        return None
    return v


@dataclass(frozen=True)
class Tally:
    summoned: int
    present: int
    issued: int
    collected: int
    valid: int
    invalid: int
    members: int | None
    candidates: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]   # name -> ((measure, n), …)
    nominees: tuple[str, ...] = ()
    held_on: str | None = None
    place: str | None = None

    def counts(self, name: str) -> dict[str, int]:
        for n, c in self.candidates:
            if n == name:
                return dict(c)
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.candidates]

    def to_payload(self) -> dict:
        return {**{k: getattr(self, k) for k in COUNTS}, "members": self.members,
                "candidates": {n: dict(c) for n, c in self.candidates},
                "nominees": list(self.nominees), "held_on": self.held_on, "place": self.place}

    @classmethod
    def from_payload(cls, p: Mapping) -> "Tally":
        return cls(**{k: p[k] for k in COUNTS}, members=p.get("members"),
                   candidates=tuple((n, tuple(c.items())) for n, c in p["candidates"].items()),
                   nominees=tuple(p.get("nominees") or ()), held_on=p.get("held_on"), place=p.get("place"))


def parse_tally(raw: Mapping[str, Any], rule: VoteRule, known: list[str], allows_nominees: bool) -> Tally:
    """Check a submitted tally; raise InvalidTally naming every field that is wrong."""
    if not isinstance(raw, Mapping):
        raise InvalidTally("a tally must be a mapping of counts", fields={"tally": "must be a mapping"})
    errors: dict[str, str] = {}
    c = {k: _count(raw, k, errors) for k in COUNTS}
    members = _count(raw, "members", errors, required=False)
    if not errors:
        if c["summoned"] < 1:
            errors["summoned"] = "at least one person must be summoned"
        if c["present"] > c["summoned"]:
            errors["present"] = f"present ({c['present']}) cannot exceed summoned ({c['summoned']})"
        if c["issued"] > c["present"]:
            errors["issued"] = f"ballots issued ({c['issued']}) cannot exceed those present ({c['present']})"
        if c["collected"] > c["issued"]:
            errors["collected"] = f"ballots collected ({c['collected']}) cannot exceed ballots issued ({c['issued']})"
        if c["valid"] + c["invalid"] != c["collected"]:
            errors["invalid"] = (f"valid ({c['valid']}) + invalid ({c['invalid']}) must equal "
                                 f"ballots collected ({c['collected']})")
    if members is not None and members < 1:
        errors["members"] = "the collective has at least one member"
    elif members is not None and c.get("present") is not None and c["present"] > members:
        errors["members"] = (f"the collective has {members} members but {c['present']} are recorded present; "
                             "only members vote")
    if members is None and "members" in (rule.base, rule.quorum_of):
        members = c["summoned"]      # a collective meeting summons all of its members

    raw_cands = raw.get("candidates")
    cands: list[tuple[str, tuple[tuple[str, int], ...]]] = []
    nominees: list[str] = []
    if not isinstance(raw_cands, Mapping) or not raw_cands:
        errors["candidates"] = "at least one candidate's result is required"
    else:
        known_set = set(known)
        seen: set[str] = set()
        for name, counts in raw_cands.items():
            clean = " ".join(plain_text(name).split())
            fk = f"candidates.{clean or '?'}"
            if not clean:
                errors["candidates"] = "a candidate name is empty"
                continue
            if len(clean) > MAX_NAME:
                errors[fk] = f"a name is at most {MAX_NAME} characters"
                continue
            if clean in seen:
                errors[fk] = "this candidate is listed twice"
                continue
            seen.add(clean)
            if known_set and clean not in known_set:
                if allows_nominees:
                    nominees.append(clean)
                else:
                    errors[fk] = ("not on the candidate list; this conference cannot add nominees "
                                  "outside the list")
                    continue
            if not isinstance(counts, Mapping):
                errors[fk] = f"give {' / '.join(rule.measures)} counts"
                continue
            extra = set(counts) - set(rule.measures)
            if extra:
                errors[fk] = f"unknown count(s) {', '.join(sorted(map(str, extra)))}; this vote counts {' / '.join(rule.measures)}"
                continue
            sub: dict[str, str] = {}
            vals = {m: _count(counts, m, sub, required=(m == rule.measures[0])) or 0 for m in rule.measures}
            if sub:
                errors[fk] = "; ".join(f"{k}: {v}" for k, v in sub.items())
                continue
            if "valid" in c and c["valid"] is not None and sum(vals.values()) > c["valid"]:
                errors[fk] = f"{' + '.join(rule.measures)} = {sum(vals.values())} exceeds the valid ballots ({c['valid']})"
                continue
            cands.append((clean, tuple(vals.items())))
        if rule.mode == "nominate" and not errors and c["valid"] is not None:
            total = sum(dict(v)[rule.measures[0]] for _, v in cands)
            if total > c["valid"]:
                errors["candidates"] = (f"each ballot names one person: the nominations ({total}) "
                                        f"exceed the valid ballots ({c['valid']})")
    held_on = _optional_date(raw.get("held_on") or raw.get("date"), "held_on", errors)
    place = raw.get("place")
    place = plain_text(place).strip() if isinstance(place, str) else place
    if place is not None and (not isinstance(place, str) or len(place) > MAX_STRING):
        errors["place"] = f"text of at most {MAX_STRING} characters"
    if errors:
        first = next(iter(errors.items()))
        raise InvalidTally(f"the tally is inconsistent: {first[0]}: {first[1]}", fields=errors)
    return Tally(**c, members=members, candidates=tuple(cands), nominees=tuple(nominees),
                 held_on=held_on, place=place or None)


def _optional_date(v, key: str, errors: dict) -> str | None:
    if v in (None, ""):
        return None
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    try:
        return dt.date.fromisoformat(str(v)).isoformat()
    except ValueError:
        errors[key] = "must be a date (YYYY-MM-DD)"
        return None


def base_value(t: Tally, rule: VoteRule) -> int:
    return {"summoned": t.summoned, "members": t.members or t.summoned, "present": t.present,
            "valid": t.valid}[rule.base]


@dataclass(frozen=True)
class Quorum:
    met: bool
    present: int
    of: int
    needed: int            # the smallest attendance that meets quorum
    fraction: Fraction


def quorum(t: Tally, rule: VoteRule) -> Quorum:
    of = t.summoned if rule.quorum_of == "summoned" else (t.members or t.summoned)
    return Quorum(R.quorum_met(t.present, of, rule.quorum_fraction), t.present, of,
                  R.minimum_votes(of, "ge", rule.quorum_fraction), rule.quorum_fraction)


@dataclass(frozen=True)
class TallyResult:
    tally: Tally
    rule: VoteRule
    quorum: Quorum
    base: int
    outcome: R.VoteOutcome
    needed: int | None     # votes a candidate needs to pass (None for three-level polls)


def evaluate(t: Tally, rule: VoteRule, head: Mapping[str, bool] | None = None) -> TallyResult:
    base = base_value(t, rule)
    q = quorum(t, rule)
    if rule.mode == "levels":
        outcome = R.classify_levels({n: dict(c) for n, c in t.candidates}, base,
                                    [o.rule for o in rule.outcomes], rule.default_outcome)
        needed = None
    else:
        votes = {n: dict(c)[rule.measures[0]] for n, c in t.candidates}
        if rule.mode == "nominate":
            outcome = R.nominate(votes, base, rule.pass_op, rule.pass_fraction, rule.no_pass,
                                 rule.at_threshold, head)
        else:
            outcome = R.judge_each(votes, base, rule.pass_op, rule.pass_fraction, rule.at_threshold, head)
        needed = R.minimum_votes(base, rule.pass_op, rule.pass_fraction)
    return TallyResult(t, rule, q, base, outcome, needed)


# ---- forms -------------------------------------------------------------------------------

def clean_form(step: Step, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise submitted form values against the step's fields. Empty values are
    dropped (a partial save is allowed; required fields are checked when leaving the step)."""
    if not isinstance(values, Mapping):
        raise Validation("form values must be a mapping", fields={"fields": "must be a mapping"})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    known = {f.key: f for f in step.form}
    for key, v in values.items():
        f = known.get(key)
        if f is None:
            errors[str(key)] = f"this step has no field '{key}'"
            continue
        if v is None or v == "" or v == []:
            continue
        try:
            out[key] = _clean_value(f.type, v, f)
        except ValueError as e:
            errors[key] = str(e)
    if errors:
        first = next(iter(errors.items()))
        raise Validation(f"{first[0]}: {first[1]}", fields=errors)
    return out


def _clean_value(kind: str, v: Any, f) -> Any:
    if kind in ("string", "text"):
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise ValueError("must be text")
        s = plain_text(v).strip()
        limit = MAX_STRING if kind == "string" else MAX_TEXT
        if len(s) > limit:
            raise ValueError(f"at most {limit} characters")
        if kind == "string" and ("\n" in s or "\r" in s):
            raise ValueError("must be a single line")
        return s
    if kind == "integer":
        if isinstance(v, bool):
            raise ValueError("must be a whole number")
        if isinstance(v, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", v):
            v = int(v)
        if not isinstance(v, int) or abs(v) > 10**9:
            raise ValueError("must be a whole number")
        return v
    if kind == "date":
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()[:10]
        try:
            return dt.date.fromisoformat(str(v).strip()).isoformat()
        except ValueError:
            raise ValueError("must be a date (YYYY-MM-DD)") from None
    if kind == "boolean":
        if isinstance(v, bool):
            return v
        if str(v).lower() in ("true", "1", "yes", "on", "y"):
            return True
        if str(v).lower() in ("false", "0", "no", "off", "n"):
            return False
        raise ValueError("must be yes or no")
    if kind == "choice":
        keys = [c.key for c in f.choices]
        if str(v) not in keys:
            raise ValueError(f"must be one of {', '.join(keys)}")
        return str(v)
    if kind == "candidates":
        items = v.splitlines() if isinstance(v, str) else v
        if not isinstance(items, (list, tuple)):
            raise ValueError("must be a list of names")
        names: list[str] = []
        for item in items:
            if not isinstance(item, str):
                raise ValueError("must be a list of names")
            n = " ".join(plain_text(item).split())
            if not n:
                continue
            if len(n) > MAX_NAME:
                raise ValueError(f"a name is at most {MAX_NAME} characters")
            if n in names:
                raise ValueError(f"'{n}' is listed twice")
            names.append(n)
        if not names:
            raise ValueError("at least one name")
        if len(names) > 500:
            raise ValueError("at most 500 names")
        return names
    raise ValueError(f"unknown field type {kind}")


def missing_fields(step: Step, values: Mapping[str, Any]) -> list[str]:
    return [f.key for f in step.form if f.required and values.get(f.key) in (None, "", [])
            and not (f.type == "boolean" and values.get(f.key) is False)]


def false_required_booleans(step: Step, values: Mapping[str, Any]) -> list[str]:
    """A required yes/no field is a condition that must hold (e.g. 'in the plan'): 'no' blocks."""
    return [f.key for f in step.form if f.required and f.type == "boolean" and values.get(f.key) is False]


def clean_announcement(raw: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise Validation("an announcement must be a mapping", fields={"announcement": "must be a mapping"})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key, kind, required in (("decision_no", "string", True), ("date", "date", True),
                                ("signer", "string", True), ("place", "string", False),
                                ("text", "text", True)):
        v = raw.get(key)
        if v in (None, ""):
            if required:
                errors[key] = "required"
            continue
        try:
            out[key] = _clean_value(kind, v, None)
        except ValueError as e:
            errors[key] = str(e)
    if errors:
        first = next(iter(errors.items()))
        raise Validation(f"{first[0]}: {first[1]}", fields=errors)
    return out

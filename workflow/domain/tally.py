"""Conference tallies: the counts checked before anything is saved (consistency, per-candidate
counts against the valid ballots), then judged against the step's vote rule (quorum, base,
threshold). Ballots are secret: a tally holds counts, never who voted how."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping

from . import parse
from . import rules as R
from .definition import VoteRule
from .errors import InvalidTally, Problem, first_problem

COUNTS = ("summoned", "present", "issued", "collected", "valid", "invalid")
MAX_COUNT = 1_000_000
MAX_NAME = 200
MAX_PLACE = 300


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


def count(raw: Mapping, key: str, errors: dict, *, required: bool = True) -> int | None:
    """A count from `raw[key]`, or None with its problem put in `errors`."""
    v = raw.get(key)
    if v is None or v == "":
        if required:
            errors[key] = Problem("field.required")
        return None
    try:
        v = parse.whole_number(v)
    except parse.Invalid as e:
        errors[key] = e.problem
        return None
    if v < 0 or v > MAX_COUNT:
        errors[key] = Problem("field.between", lo=0, hi=MAX_COUNT)
        return None
    return v


def _consistency(c: dict, errors: dict) -> None:
    """The counts against each other; a comparison is made once its counts are known (a tally
    being typed in has some still empty)."""
    def known(*keys: str) -> bool:
        return all(c.get(k) is not None for k in keys)
    if known("summoned") and c["summoned"] < 1:
        errors["summoned"] = Problem("tally.summoned")
    if known("present", "summoned") and c["present"] > c["summoned"]:
        errors["present"] = Problem("tally.present", present=c["present"], summoned=c["summoned"])
    if known("issued", "present") and c["issued"] > c["present"]:
        errors["issued"] = Problem("tally.issued", issued=c["issued"], present=c["present"])
    if known("collected", "issued") and c["collected"] > c["issued"]:
        errors["collected"] = Problem("tally.collected", collected=c["collected"], issued=c["issued"])
    if known("valid", "invalid", "collected") and c["valid"] + c["invalid"] != c["collected"]:
        errors["invalid"] = Problem("tally.valid_sum", valid=c["valid"], invalid=c["invalid"],
                                    collected=c["collected"])


def _members(c: dict, members: int | None, rule: VoteRule, errors: dict) -> int | None:
    if members is not None and members < 1:
        errors["members"] = Problem("tally.members")
    elif members is not None and c.get("present") is not None and c["present"] > members:
        errors["members"] = Problem("tally.members_present", members=members, present=c["present"])
    if members is None and "members" in (rule.base, rule.quorum_of):
        members = c["summoned"]      # a collective meeting summons all of its members
    return members


def _candidate(name: Any, counts: Any, rule: VoteRule, valid: int | None, errors: dict, seen: set,
               known: set[str], allows_nominees: bool, nominees: list[str]):
    """One candidate's row: (name, counts) or None with its problem put in `errors`."""
    clean = parse.line(name)
    fk = f"candidates.{clean or '?'}"
    if not clean:
        errors["candidates"] = Problem("tally.name_empty")
        return None
    if len(clean) > MAX_NAME:
        errors[fk] = Problem("field.name_length", n=MAX_NAME)
        return None
    if clean in seen:
        errors[fk] = Problem("tally.name_twice")
        return None
    seen.add(clean)
    if known and clean not in known:
        if not allows_nominees:
            errors[fk] = Problem("tally.not_listed")
            return None
        nominees.append(clean)
    measures = " / ".join(rule.measures)
    if not isinstance(counts, Mapping):
        errors[fk] = Problem("tally.give_counts", measures=measures)
        return None
    extra = set(counts) - set(rule.measures)
    if extra:
        errors[fk] = Problem("tally.unknown_counts", counts=sorted(map(str, extra)), measures=measures)
        return None
    sub: dict[str, Problem] = {}
    vals = {m: count(counts, m, sub, required=(m == rule.measures[0])) or 0 for m in rule.measures}
    if sub:
        errors[fk] = Problem("tally.counts", counts=sub)
        return None
    if valid is not None and sum(vals.values()) > valid:
        errors[fk] = Problem("tally.over_valid", sum=" + ".join(rule.measures), total=sum(vals.values()),
                             valid=valid)
        return None
    return clean, tuple(vals.items())


def _candidates(raw_cands: Any, rule: VoteRule, c: dict, errors: dict, known: list[str],
                allows_nominees: bool) -> tuple[list, list[str]]:
    cands: list[tuple[str, tuple[tuple[str, int], ...]]] = []
    nominees: list[str] = []
    if not isinstance(raw_cands, Mapping) or not raw_cands:
        errors["candidates"] = Problem("tally.no_candidates")
        return cands, nominees
    seen: set[str] = set()
    for name, counts in raw_cands.items():
        row = _candidate(name, counts, rule, c.get("valid"), errors, seen, set(known), allows_nominees, nominees)
        if row is not None:
            cands.append(row)
    if rule.mode == "nominate" and not errors and c["valid"] is not None:
        total = sum(dict(v)[rule.measures[0]] for _, v in cands)
        if total > c["valid"]:
            errors["candidates"] = Problem("tally.nominations", total=total, valid=c["valid"])
    return cands, nominees


def _held_on_and_place(raw: Mapping, errors: dict) -> tuple[str | None, str | None]:
    held_on = raw.get("held_on") or raw.get("date")
    if held_on in (None, ""):
        held_on = None
    else:
        try:
            held_on = parse.date(held_on)
        except parse.Invalid as e:
            errors["held_on"], held_on = e.problem, None
    place = raw.get("place")
    place = parse.text(place).strip() if isinstance(place, str) else place
    if place is not None and (not isinstance(place, str) or len(place) > MAX_PLACE):
        errors["place"] = Problem("field.text_at_most", n=MAX_PLACE)
    return held_on, place or None


def parse_tally(raw: Mapping[str, Any], rule: VoteRule, known: list[str], allows_nominees: bool) -> Tally:
    """Check a submitted tally; raise InvalidTally naming every field that is wrong."""
    if not isinstance(raw, Mapping):
        raise InvalidTally("tally.not_mapping", fields={"tally": Problem("field.mapping")})
    errors: dict[str, Problem] = {}
    c = {k: count(raw, k, errors) for k in COUNTS}
    members = count(raw, "members", errors, required=False)
    if not errors:
        _consistency(c, errors)
    members = _members(c, members, rule, errors)
    cands, nominees = _candidates(raw.get("candidates"), rule, c, errors, known, allows_nominees)
    held_on, place = _held_on_and_place(raw, errors)
    if errors:
        raise InvalidTally("tally.inconsistent", fields=errors, **first_problem(errors))
    return Tally(**c, members=members, candidates=tuple(cands), nominees=tuple(nominees),
                 held_on=held_on, place=place)


def base_value(t: Tally, rule: VoteRule) -> int:
    return base_of({"summoned": t.summoned, "members": t.members, "present": t.present, "valid": t.valid},
                   rule.base)


def base_of(c: Mapping[str, int | None], base: str) -> int | None:
    """The count a base names (a collective's members default to those summoned); None while unknown."""
    return (c.get("members") or c.get("summoned")) if base == "members" else c.get(base)


@dataclass(frozen=True)
class Quorum:
    met: bool
    present: int
    of: int
    needed: int            # the smallest attendance that meets quorum
    fraction: Fraction


def quorum(t: Tally, rule: VoteRule) -> Quorum:
    return _quorum(t.present, base_of({"summoned": t.summoned, "members": t.members}, rule.quorum_of), rule)


def _quorum(present: int, of: int, rule: VoteRule) -> Quorum:
    return Quorum(R.quorum_met(present, of, rule.quorum_fraction), present, of,
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
    outcome, needed = judge({n: dict(c) for n, c in t.candidates}, base, rule, head)
    return TallyResult(t, rule, quorum(t, rule), base, outcome, needed)


def judge(candidates: Mapping[str, Mapping[str, int]], base: int, rule: VoteRule,
          head: Mapping[str, bool] | None = None) -> tuple[R.VoteOutcome, int | None]:
    """Each candidate's counts against the rule on this base, and the votes a candidate needs to
    pass (None for three-level polls)."""
    if rule.mode == "levels":
        return R.classify_levels(candidates, base, [o.rule for o in rule.outcomes], rule.default_outcome), None
    votes = {n: c[rule.measures[0]] for n, c in candidates.items()}
    if rule.mode == "nominate":
        outcome = R.nominate(votes, base, rule.pass_op, rule.pass_fraction, rule.no_pass, rule.at_threshold, head)
    else:
        outcome = R.judge_each(votes, base, rule.pass_op, rule.pass_fraction, rule.at_threshold, head)
    return outcome, R.minimum_votes(base, rule.pass_op, rule.pass_fraction)


def result_payload(res: TallyResult) -> dict:
    """A result as the record and the API keep it."""
    return {"quorum_met": res.quorum.met, "quorum_needed": res.quorum.needed, "base": res.rule.base,
            "base_value": res.base, "needed": res.needed, "passed": res.outcome.passed,
            "awaiting_head": list(res.outcome.awaiting_head), "going_on": list(res.outcome.going_on),
            "candidates": [{"name": j.name, "votes": j.votes, "share": f"{j.share.numerator}/{j.share.denominator}",
                            "percent": round(float(j.share) * 100, 2), "status": j.status, "outcome": j.outcome}
                           for j in res.outcome.judgements]}


def threshold_words(res: TallyResult) -> str:
    """'more than 1/2' / 'at least 2/3': the rule's threshold in the English message."""
    f = res.rule.pass_fraction
    word = "more than" if res.rule.pass_op == "gt" else "at least"
    return f"{word} {f.numerator}/{f.denominator}"


# ---- a tally being typed in: the rule's figures so far, nothing saved ------------------------------

@dataclass(frozen=True)
class RowPreview:
    votes: dict[str, int] | None            # None: no vote typed on this row yet
    shares: dict[str, Fraction]             # each measure's share of the base (empty while it is unknown)
    over_valid: bool                        # the row's votes exceed the valid ballots
    judgement: R.Judgement | None           # against the rule, with the other rows judged so far


@dataclass(frozen=True)
class Preview:
    """What the rule makes of the figures typed so far: how the counts disagree, the quorum and the
    base once their counts are known, and each candidate row judged (the rows in the order given)."""
    rule: VoteRule
    problems: dict[str, Problem]
    quorum: Quorum | None
    base: int | None
    needed: int | None
    rows: tuple[RowPreview, ...]


def _row_votes(votes: Mapping[str, Any], rule: VoteRule) -> dict[str, int] | None:
    typed = {m: count(votes, m, {}, required=False) for m in rule.measures}
    return None if all(v is None for v in typed.values()) else {m: v or 0 for m, v in typed.items()}


def preview(counts: Mapping[str, Any], rows: list[Mapping[str, Any]], rule: VoteRule) -> Preview:
    """The rule on a tally as far as it is typed: counts and rows' votes that do not parse (or are
    empty) are left out, never refused: nothing here is saved, and the save checks everything."""
    c = {k: count(counts, k, {}, required=False) for k in (*COUNTS, "members")}
    problems: dict[str, Problem] = {}
    _consistency(c, problems)
    of, base = base_of(c, rule.quorum_of), base_of(c, rule.base)
    q = _quorum(c["present"], of, rule) if c["present"] is not None and of else None
    votes = [_row_votes(r, rule) for r in rows]
    over = [v is not None and c["valid"] is not None and sum(v.values()) > c["valid"] for v in votes]
    judged = {str(i): v for i, v in enumerate(votes) if v is not None and not over[i]}
    outcome, needed = judge(judged, base, rule) if base else (None, None)
    if rule.mode == "nominate" and c["valid"] is not None:
        total = sum(v[rule.measures[0]] for v in judged.values())
        if total > c["valid"]:
            problems["candidates"] = Problem("tally.nominations", total=total, valid=c["valid"])
    by_row = {j.name: j for j in outcome.judgements} if outcome else {}
    return Preview(rule, problems, q, base, needed, tuple(
        RowPreview(v, {m: R.share(n, base) for m, n in v.items()} if v is not None and base else {}, over[i],
                   by_row.get(str(i))) for i, v in enumerate(votes)))

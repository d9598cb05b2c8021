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
    excused: int | None = None          # members excused (base 'members_less_excused'), with the reason
    excused_reason: str | None = None
    body: str | None = None             # the conference / organisation / block / group (several tallies)
    round: int = 1                      # 2, 3 …: a new round among those tied at the cut
    correction: dict | None = None      # a corrected tally: the reason, who asked, who approved, the earlier one

    def counts(self, name: str) -> dict[str, int]:
        for n, c in self.candidates:
            if n == name:
                return dict(c)
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.candidates]

    def to_payload(self) -> dict:
        out = {**{k: getattr(self, k) for k in COUNTS}, "members": self.members,
               "candidates": {n: dict(c) for n, c in self.candidates},
               "nominees": list(self.nominees), "held_on": self.held_on, "place": self.place}
        # the language's v2 keys only when used: a v1 tally's payload (and its event) stays as it was
        for k in ("excused", "excused_reason", "body", "correction"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.round != 1:
            out["round"] = self.round
        return out

    @classmethod
    def from_payload(cls, p: Mapping) -> "Tally":
        return cls(**{k: p[k] for k in COUNTS}, members=p.get("members"),
                   candidates=tuple((n, tuple(c.items())) for n, c in p["candidates"].items()),
                   nominees=tuple(p.get("nominees") or ()), held_on=p.get("held_on"), place=p.get("place"),
                   excused=p.get("excused"), excused_reason=p.get("excused_reason"), body=p.get("body"),
                   round=p.get("round", 1), correction=p.get("correction"))

    def same_count(self, other: "Tally") -> bool:
        """Whether two tallies hold the same counts (a correction that changes nothing)."""
        strip = lambda p: {k: v for k, v in p.items() if k != "correction"}  # noqa: E731
        return strip(self.to_payload()) == strip(other.to_payload())


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
    if members is None and rule.needs_members:
        members = c["summoned"]      # a collective meeting summons all of its members
    return members


def _excused(raw: Mapping, members: int | None, rule: VoteRule, errors: dict) -> tuple[int | None, str | None]:
    """The members excused and why (base or quorum 'members_less_excused'): the base is the members
    less them, so both are on the record."""
    if not rule.excused:
        return None, None
    n = count(raw, "excused", errors, required=False) or 0
    why = raw.get("excused_reason")
    why = parse.line(why) if isinstance(why, str) else why
    if members is not None and n >= members:
        errors["excused"] = Problem("tally.excused", excused=n, members=members)
    elif n and not why:
        errors["excused_reason"] = Problem("field.required")
    elif why is not None and (not isinstance(why, str) or len(why) > MAX_PLACE):
        errors["excused_reason"] = Problem("field.text_at_most", n=MAX_PLACE)
    return n, (why or None)


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
                allows_nominees: bool, seats: int = 1) -> tuple[list, list[str]]:
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
        # a ballot names up to one person per seat
        total = sum(dict(v)[rule.measures[0]] for _, v in cands)
        if total > seats * c["valid"]:
            errors["candidates"] = (Problem("tally.nominations", total=total, valid=c["valid"]) if seats == 1 else
                                    Problem("tally.nominations_seats", total=total, valid=c["valid"], seats=seats,
                                            most=seats * c["valid"]))
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


def _body(raw: Mapping, needed: bool, errors: dict) -> str | None:
    body = raw.get("body")
    body = parse.line(body) if isinstance(body, str) else body
    if not body:
        if needed:
            errors["body"] = Problem("field.required")
        return None
    if not isinstance(body, str) or len(body) > MAX_NAME:
        errors["body"] = Problem("field.text_at_most", n=MAX_NAME)
    return body


def parse_tally(raw: Mapping[str, Any], rule: VoteRule, known: list[str], allows_nominees: bool, *,
                seats: int = 1, body: bool = False, round: int = 1) -> Tally:
    """Check a submitted tally; raise InvalidTally naming every field that is wrong. `seats`: names a
    ballot may hold (a nomination); `body`: a body name is needed (several tallies at the step);
    `round`: 2, 3 … for a new round, among `known` only."""
    if not isinstance(raw, Mapping):
        raise InvalidTally("tally.not_mapping", fields={"tally": Problem("field.mapping")})
    errors: dict[str, Problem] = {}
    c = {k: count(raw, k, errors) for k in COUNTS}
    members = count(raw, "members", errors, required=False)
    if not errors:
        _consistency(c, errors)
    members = _members(c, members, rule, errors)
    excused, why = _excused(raw, members, rule, errors)
    cands, nominees = _candidates(raw.get("candidates"), rule, c, errors, known, allows_nominees and round == 1, seats)
    held_on, place = _held_on_and_place(raw, errors)
    name = _body(raw, body, errors)
    if errors:
        raise InvalidTally("tally.inconsistent", fields=errors, **first_problem(errors))
    return Tally(**c, members=members, candidates=tuple(cands), nominees=tuple(nominees),
                 held_on=held_on, place=place, excused=excused, excused_reason=why, body=name, round=round)


def base_value(t: Tally, rule: VoteRule) -> int:
    return base_of(counts_of(t), rule.base)


def counts_of(t: Tally) -> dict[str, int | None]:
    return {"summoned": t.summoned, "members": t.members, "excused": t.excused, "present": t.present,
            "collected": t.collected, "valid": t.valid}


def base_of(c: Mapping[str, int | None], base: str) -> int | None:
    """The count a base names: those summoned, the members (a collective's members default to those
    summoned), the members less those excused, those present, the ballots collected, the valid
    ballots; None while unknown (a tally being typed in)."""
    if base in ("members", "members_less_excused"):
        members = c.get("members") or c.get("summoned")
        if base == "members" or members is None:
            return members
        return members - (c.get("excused") or 0)
    return c.get(base)


@dataclass(frozen=True)
class Quorum:
    met: bool
    present: int
    of: int
    needed: int            # the smallest attendance that meets quorum
    fraction: Fraction


def quorum(t: Tally, rule: VoteRule) -> Quorum:
    return _quorum(t.present, base_of(counts_of(t), rule.quorum_of), rule)


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


def v2(rule: VoteRule) -> bool:
    """Whether a rule uses seats or a rule for ties at the cut (else v1's arithmetic, unchanged)."""
    return rule.seats is not None or rule.seats_field is not None or rule.tie_at_cut is not None


def tie_rule(rule: VoteRule) -> str:
    """A tie at the cut, where the rule does not say: as v1 — the head decides a nomination's tie at
    the top, and everyone tied goes on elsewhere."""
    return rule.tie_at_cut or (R.HEAD_DECIDES if rule.mode == "nominate" else R.ALL_GO_ON)


def _judge(votes: dict, base: int, rule: VoteRule, head, seats: int | None, tie: tuple[int, str] | None):
    if tie is not None:                         # a new round among the tied, for the places left
        return R.new_round(votes, base, tie[0], tie[1], tie_rule(rule), head)
    if v2(rule):
        return R.choose(votes, base, rule.pass_op, rule.pass_fraction, seats=seats, nominate=rule.mode == "nominate",
                        tie_at_cut=tie_rule(rule), no_pass=rule.no_pass, at_threshold=rule.at_threshold, head=head)
    if rule.mode == "nominate":
        return R.nominate(votes, base, rule.pass_op, rule.pass_fraction, rule.no_pass, rule.at_threshold, head)
    return R.judge_each(votes, base, rule.pass_op, rule.pass_fraction, rule.at_threshold, head)


def evaluate(t: Tally, rule: VoteRule, head: Mapping[str, bool] | None = None, *, seats: int | None = None,
             tie: tuple[int, str] | None = None) -> TallyResult:
    """Judge a tally against its rule. `seats`: how many are chosen (the rule's number or the form's);
    `tie`: (places, what they are) for a new round among those tied at the cut."""
    base = base_value(t, rule)
    outcome, needed = judge({n: dict(c) for n, c in t.candidates}, base, rule, head, seats=seats, tie=tie)
    return TallyResult(t, rule, quorum(t, rule), base, outcome, needed)


def judge(candidates: Mapping[str, Mapping[str, int]], base: int, rule: VoteRule,
          head: Mapping[str, bool] | None = None, *, seats: int | None = None,
          tie: tuple[int, str] | None = None) -> tuple[R.VoteOutcome, int | None]:
    """Each candidate's counts against the rule on this base, and the votes a candidate needs to
    pass (None for three-level polls)."""
    if rule.mode == "levels":
        return R.classify_levels(candidates, base, [o.rule for o in rule.outcomes], rule.default_outcome), None
    votes = {n: c[rule.measures[0]] for n, c in candidates.items()}
    return _judge(votes, base, rule, head, seats, tie), R.minimum_votes(base, rule.pass_op, rule.pass_fraction)


def result_payload(res: TallyResult) -> dict:
    """A result as the record and the API keep it."""
    return {"quorum_met": res.quorum.met, "quorum_needed": res.quorum.needed, "base": res.rule.base,
            "base_value": res.base, "needed": res.needed, "passed": res.outcome.passed,
            "awaiting_head": list(res.outcome.awaiting_head), "going_on": list(res.outcome.going_on),
            **({"tied": list(res.outcome.tied), "remaining": res.outcome.remaining} if res.outcome.tied else {}),
            **({"round": res.tally.round} if res.tally.round != 1 else {}),
            **({"body": res.tally.body} if res.tally.body else {}),
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


def preview(counts: Mapping[str, Any], rows: list[Mapping[str, Any]], rule: VoteRule, seats: int | None = None) -> Preview:
    """The rule on a tally as far as it is typed: counts and rows' votes that do not parse (or are
    empty) are left out, never refused: nothing here is saved, and the save checks everything.
    `seats`: how many the step chooses (a nomination's ballot names up to that many)."""
    c = {k: count(counts, k, {}, required=False) for k in (*COUNTS, "members", "excused")}
    problems: dict[str, Problem] = {}
    _consistency(c, problems)
    of, base = base_of(c, rule.quorum_of), base_of(c, rule.base)
    q = _quorum(c["present"], of, rule) if c["present"] is not None and of else None
    votes = [_row_votes(r, rule) for r in rows]
    over = [v is not None and c["valid"] is not None and sum(v.values()) > c["valid"] for v in votes]
    judged = {str(i): v for i, v in enumerate(votes) if v is not None and not over[i]}
    outcome, needed = judge(judged, base, rule, seats=seats) if base else (None, None)
    if rule.mode == "nominate" and c["valid"] is not None:
        total, n = sum(v[rule.measures[0]] for v in judged.values()), seats or 1
        if total > n * c["valid"]:
            problems["candidates"] = (Problem("tally.nominations", total=total, valid=c["valid"]) if n == 1 else
                                      Problem("tally.nominations_seats", total=total, valid=c["valid"], seats=n,
                                              most=n * c["valid"]))
    by_row = {j.name: j for j in outcome.judgements} if outcome else {}
    return Preview(rule, problems, q, base, needed, tuple(
        RowPreview(v, {m: R.share(n, base) for m, n in v.items()} if v is not None and base else {}, over[i],
                   by_row.get(str(i))) for i, v in enumerate(votes)))

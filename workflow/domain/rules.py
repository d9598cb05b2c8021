"""Vote rules as pure functions over integers and exact fractions: quorum, thresholds,
top-two, the head's decision at exactly the threshold. No floating point anywhere, so exactly
50% and exactly two thirds are decided the same way every time."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping

PASSED, FAILED, AT_THRESHOLD, SELECTED, RUNOFF, NOT_SELECTED = (
    "passed", "failed", "at_threshold", "selected", "runoff", "not_selected")


def parse_fraction(text: str) -> Fraction:
    """'2/3' -> Fraction(2, 3); raises ValueError unless 0 < value <= 1."""
    num, _, den = str(text).partition("/")
    value = Fraction(int(num), int(den or 1))
    if not 0 < value <= 1:
        raise ValueError(f"fraction {text!r} must be greater than 0 and at most 1")
    return value


def share(votes: int, base: int) -> Fraction:
    return Fraction(votes, base) if base > 0 else Fraction(0)


def meets(votes: int, base: int, op: str, fraction: Fraction) -> bool:
    """Whether `votes` out of `base` is more than (op 'gt') or at least (op 'ge') `fraction`."""
    if base <= 0:
        return False
    if op == "gt":
        return votes * fraction.denominator > base * fraction.numerator
    if op == "ge":
        return votes * fraction.denominator >= base * fraction.numerator
    raise ValueError(f"unknown operator {op!r}")


def exactly_at(votes: int, base: int, fraction: Fraction) -> bool:
    return base > 0 and votes * fraction.denominator == base * fraction.numerator


def minimum_votes(base: int, op: str, fraction: Fraction) -> int:
    """The smallest count of votes that satisfies the threshold on this base (integer arithmetic
    only: exact on any base)."""
    q, r = divmod(base * fraction.numerator, fraction.denominator)
    if op == "ge":
        return q if r == 0 else q + 1
    return q + 1


def quorum_met(present: int, of: int, fraction: Fraction) -> bool:
    """At least `fraction` of `of` are present (quorum is always inclusive: 'ít nhất 2/3')."""
    return of > 0 and meets(present, of, "ge", fraction)


@dataclass(frozen=True)
class Judgement:
    """The result of one candidate: status is one of passed, failed, at_threshold (waiting for
    the head's decision), selected, runoff (top two, goes on), not_selected."""
    name: str
    votes: int
    share: Fraction
    status: str
    outcome: str | None = None


@dataclass(frozen=True)
class VoteOutcome:
    judgements: tuple[Judgement, ...]
    passed: bool                     # the step's vote is settled and lets the case move on
    awaiting_head: tuple[str, ...] = ()   # candidates exactly at the threshold, head must decide
    going_on: tuple[str, ...] = ()        # who carries forward (passed / selected / top two)


def judge_each(votes: Mapping[str, int], base: int, op: str, fraction: Fraction,
               at_threshold: str = "fail",
               head: Mapping[str, bool] | None = None) -> VoteOutcome:
    """Every candidate on its own. Exactly at the threshold with `at_threshold='head_decides'`
    the candidate waits for the head's decision (`head[name]` True accepts, False rejects).
    The step passes when nobody is waiting and at least one candidate passed."""
    head = head or {}
    out, waiting, going = [], [], []
    for name, n in votes.items():
        if meets(n, base, op, fraction):
            status = PASSED
        elif op == "gt" and at_threshold == "head_decides" and exactly_at(n, base, fraction):
            status = (PASSED if head[name] else FAILED) if name in head else AT_THRESHOLD
        else:
            status = FAILED
        if status == AT_THRESHOLD:
            waiting.append(name)
        if status == PASSED:
            going.append(name)
        out.append(Judgement(name, n, share(n, base), status))
    return VoteOutcome(tuple(out), passed=not waiting and bool(going),
                       awaiting_head=tuple(waiting), going_on=tuple(going))


def nominate(votes: Mapping[str, int], base: int, op: str, fraction: Fraction,
             no_pass: str = "fail", at_threshold: str = "fail",
             head: Mapping[str, bool] | None = None) -> VoteOutcome:
    """Nomination (one name per position): the candidate with the most votes is selected if
    they also pass the threshold. If nobody passes and `no_pass='top_two'`, the two with the
    most votes go on to the next conference (everyone tied at second place goes on too, so no
    one is cut by the order names were typed in). A tie for the most votes among those who
    pass, or a candidate exactly at the threshold under 'head_decides', waits for the head."""
    head = head or {}
    each = judge_each(votes, base, op, fraction, at_threshold, head)
    by_name = {j.name: j for j in each.judgements}
    passing = [j for j in each.judgements if j.status == PASSED]
    waiting = list(each.awaiting_head)
    if passing:
        top = max(j.votes for j in passing)
        tied = [j.name for j in passing if j.votes == top]
        if len(tied) > 1:
            accepted = [n for n in tied if head.get(n) is True]
            if len(accepted) == 1:
                tied = accepted
            else:
                waiting = sorted(set(waiting) | set(tied))
        selected = tied if len(tied) == 1 else []
        status = {j.name: (SELECTED if j.name in selected else
                           AT_THRESHOLD if j.name in waiting else NOT_SELECTED)
                  for j in each.judgements}
        going = selected
    elif waiting:
        status = {j.name: (AT_THRESHOLD if j.name in waiting else NOT_SELECTED)
                  for j in each.judgements}
        going = []
    elif no_pass == "top_two" and votes:
        # the second-placed candidate's count (not the second distinct count): a tie for first
        # place is already two people
        ranked = sorted((j.votes for j in each.judgements), reverse=True)
        cut = ranked[1] if len(ranked) > 1 else ranked[0]
        going = [j.name for j in each.judgements if j.votes >= cut and j.votes > 0]
        status = {j.name: (RUNOFF if j.name in going else NOT_SELECTED) for j in each.judgements}
    else:
        going, status = [], {j.name: NOT_SELECTED for j in each.judgements}
    judgements = tuple(Judgement(j.name, j.votes, j.share, status[j.name])
                       for j in by_name.values())
    return VoteOutcome(judgements, passed=not waiting and bool(going),
                       awaiting_head=tuple(waiting), going_on=tuple(going))


@dataclass(frozen=True)
class LevelRule:
    key: str
    measure: str      # high | confidence | low | agree | disagree
    op: str
    fraction: Fraction
    below: Fraction | None = None


def classify_levels(counts: Mapping[str, Mapping[str, int]], base: int,
                    rules: Iterable[LevelRule], default: str) -> VoteOutcome:
    """Three-level confidence poll: the first outcome rule that matches a candidate wins
    (e.g. low ≥ 2/3 → dismissal; low > 1/2 and below 2/3 → resignation considered)."""
    rules = tuple(rules)
    out = []
    for name, c in counts.items():
        outcome = default
        for r in rules:
            n = c.get(r.measure, 0)
            if meets(n, base, r.op, r.fraction) and (r.below is None or share(n, base) < r.below):
                outcome = r.key
                break
        low = c.get("low", 0)
        out.append(Judgement(name, low, share(low, base), PASSED, outcome))
    return VoteOutcome(tuple(out), passed=True, going_on=tuple(j.name for j in out))

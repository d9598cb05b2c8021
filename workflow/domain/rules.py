"""Vote rules as pure functions over integers and exact fractions: quorum, thresholds,
top-two, the head's decision at exactly the threshold. No floating point anywhere, so exactly
50% and exactly two thirds are decided the same way every time."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping

PASSED, FAILED, AT_THRESHOLD, SELECTED, RUNOFF, NOT_SELECTED, TIED = (
    "passed", "failed", "at_threshold", "selected", "runoff", "not_selected", "tied")
ALL_GO_ON, NEW_ROUND, HEAD_DECIDES = "all_go_on", "new_round", "head_decides"


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
    tied: tuple[str, ...] = ()            # tied at the cut, waiting for a new round among them
    remaining: int = 0                    # the places the new round (or the head) fills
    tie_status: str | None = None         # what the places are: SELECTED/PASSED seats, or RUNOFF places

    def status_of(self, name: str) -> str | None:
        return next((j.status for j in self.judgements if j.name == name), None)


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


# ---- seats and ties at the cut (the language's v2: `seats`, `tie_at_cut`) ----------------------------

@dataclass(frozen=True)
class Cut:
    """The top `n` of a ranking: `sure` are in; `tied` share the n-th place and are more than the
    `remaining` places left for them."""
    sure: tuple[str, ...]
    tied: tuple[str, ...]
    remaining: int


def cut(votes: Mapping[str, int], names: Iterable[str], n: int) -> Cut:
    """The top `n` of `names` by votes (most first); ties at the n-th place are reported, never broken
    by the order the names came in."""
    ranked = sorted(names, key=lambda x: -votes[x])
    if len(ranked) <= n:
        return Cut(tuple(ranked), (), 0)
    at = votes[ranked[n - 1]]
    sure = tuple(x for x in ranked if votes[x] > at)
    level = tuple(x for x in ranked if votes[x] == at)
    if len(sure) + len(level) == n:
        return Cut(sure + level, (), 0)
    return Cut(sure, level, n - len(sure))


def settle_tie(c: Cut, tie_at_cut: str, head: Mapping[str, bool]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(in, waiting for the head, tied for a new round) after the rule for a tie at the cut: all
    tied go on, a new round among them, or the head decides (each tied name accepted or not)."""
    if not c.tied or tie_at_cut == ALL_GO_ON:
        return c.sure + c.tied, (), ()
    if tie_at_cut == NEW_ROUND:
        return c.sure, (), c.tied
    waiting = tuple(x for x in c.tied if x not in head)
    return c.sure + tuple(x for x in c.tied if head.get(x)), waiting, ()


def _threshold_status(n: int, base: int, op: str, fraction: Fraction, at_threshold: str,
                      decided: bool | None) -> str:
    if meets(n, base, op, fraction):
        return PASSED
    if op == "gt" and at_threshold == HEAD_DECIDES and exactly_at(n, base, fraction):
        return AT_THRESHOLD if decided is None else (PASSED if decided else FAILED)
    return FAILED


def choose(votes: Mapping[str, int], base: int, op: str, fraction: Fraction, *, seats: int | None,
           nominate: bool, tie_at_cut: str, no_pass: str = "fail", at_threshold: str = "fail",
           head: Mapping[str, bool] | None = None) -> VoteOutcome:
    """Who is chosen, with seats and a rule for a tie at the cut. Each candidate is first judged
    against the threshold (exactly at it, the head may decide). Those who pass fill the seats, most
    votes first (`seats` None on a yes/no vote: every one who passes); a tie at the last seat follows
    `tie_at_cut`. On a nomination nobody passes and `no_pass='top_two'`: the 2 × seats with the most
    votes (more than none) go on to the next conference, a tie at their cut by the same rule."""
    head = dict(head or {})
    first = {x: _threshold_status(n, base, op, fraction, at_threshold, head.get(x)) for x, n in votes.items()}
    waiting = tuple(x for x, st in first.items() if st == AT_THRESHOLD)
    passers = [x for x, st in first.items() if st == PASSED]
    n_seats = seats or (1 if nominate else len(passers))
    if waiting:
        status, going, tied, remaining, kind = dict(first), (), (), 0, None
    elif passers:
        kind = SELECTED if nominate else PASSED
        c = cut(votes, passers, n_seats)
        going, waiting, tied = settle_tie(c, tie_at_cut, head)
        remaining = c.remaining
        status = {x: kind if x in going else TIED if x in tied else AT_THRESHOLD if x in waiting else
                  (NOT_SELECTED if x in passers or nominate else FAILED) for x in votes}
    elif nominate and no_pass == "top_two":
        kind = RUNOFF
        c = cut(votes, [x for x, n in votes.items() if n > 0], 2 * n_seats)
        going, waiting, tied = settle_tie(c, tie_at_cut, head)
        remaining = c.remaining
        status = {x: RUNOFF if x in going else TIED if x in tied else AT_THRESHOLD if x in waiting else NOT_SELECTED
                  for x in votes}
    else:
        status, going, tied, remaining, kind = {x: NOT_SELECTED if nominate else FAILED for x in votes}, (), (), 0, None
    judgements = tuple(Judgement(x, votes[x], share(votes[x], base), status[x]) for x in votes)
    return VoteOutcome(judgements, passed=not waiting and not tied and bool(going), awaiting_head=tuple(waiting),
                       going_on=tuple(going), tied=tuple(tied), remaining=remaining if tied or waiting else 0,
                       tie_status=kind if tied or waiting else None)


def new_round(votes: Mapping[str, int], base: int, places: int, kind: str, tie_at_cut: str,
              head: Mapping[str, bool] | None = None) -> VoteOutcome:
    """A new round among those tied at the cut, for the `places` left: the most votes take them (no
    threshold again); a tie at the cut again is settled by the same rule (another round, or …)."""
    c = cut(votes, list(votes), places)
    going, waiting, tied = settle_tie(c, tie_at_cut, dict(head or {}))
    status = {x: kind if x in going else TIED if x in tied else AT_THRESHOLD if x in waiting else NOT_SELECTED
              for x in votes}
    judgements = tuple(Judgement(x, votes[x], share(votes[x], base), status[x]) for x in votes)
    return VoteOutcome(judgements, passed=not waiting and not tied and bool(going), awaiting_head=tuple(waiting),
                       going_on=tuple(going), tied=tuple(tied), remaining=c.remaining if tied or waiting else 0,
                       tie_status=kind if tied or waiting else None)

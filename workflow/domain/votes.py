"""A step's vote as a whole: its live tallies — one, or one per body (conference, organisation,
block, group), or rounds 2, 3 … among those tied at the cut — judged and combined into the
step's result: who passed, who goes on, who waits for the head or for a new round, and whether
the result blocks leaving the step (a gate) or is only recorded."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from . import rules as R
from .definition import Step, VoteRule
from .tally import Tally, TallyResult, evaluate

GOES = (R.PASSED, R.SELECTED, R.RUNOFF)
WORDS = {R.PASSED: "passed", R.SELECTED: "passed", R.FAILED: "failed", R.NOT_SELECTED: "failed",
         R.AT_THRESHOLD: "head_decides", R.RUNOFF: "goes_on", R.TIED: "tied"}


@dataclass(frozen=True)
class StepVote:
    """The step's result from its live tallies (`parts`: bodies, or rounds in order)."""
    rule: VoteRule
    parts: tuple[TallyResult, ...]
    outcome: R.VoteOutcome
    combine: str | None = None         # each | all | record_only (several tallies), else None

    @property
    def latest(self) -> TallyResult:
        return self.parts[-1]

    # the latest tally's figures, for the pages that show one tally
    @property
    def tally(self) -> Tally:
        return self.latest.tally

    @property
    def quorum(self):
        return self.latest.quorum

    @property
    def base(self) -> int:
        return self.latest.base

    @property
    def needed(self) -> int | None:
        return self.latest.needed

    @property
    def gate(self) -> bool:
        return self.rule.gate and self.combine != "record_only"

    @property
    def settled(self) -> bool:
        """Nobody waits for the head's decision or for a new round."""
        return not self.outcome.awaiting_head and not self.outcome.tied

    @property
    def failed_gate(self) -> bool:
        """The result is in and it blocks the step: a gate that did not pass."""
        return self.gate and self.settled and not self.outcome.passed

    @property
    def round(self) -> int:
        return self.latest.tally.round

    def word(self, name: str) -> str | None:
        """A candidate's result in the scenario runner's words: passed, failed, head_decides,
        goes_on, tied, or a three-level poll's outcome key."""
        j = next((j for j in self.outcome.judgements if j.name == name), None)
        if j is None:
            return None
        return j.outcome if self.rule.mode == "levels" else WORDS.get(j.status, j.status)

    def words(self) -> dict[str, str]:
        return {j.name: self.word(j.name) for j in self.outcome.judgements}


def _merge_rounds(parts: list[TallyResult]) -> R.VoteOutcome:
    """Rounds: each name's latest judgement; who goes on from every round; the last round's waits."""
    by: dict[str, R.Judgement] = {}
    going: list[str] = []
    for p in parts:
        for j in p.outcome.judgements:
            by[j.name] = j
        going += [x for x in p.outcome.going_on if x not in going]
    last = parts[-1].outcome
    return R.VoteOutcome(tuple(by.values()), passed=last.passed or (bool(going) and not last.tied
                                                                    and not last.awaiting_head),
                         awaiting_head=last.awaiting_head, going_on=tuple(going), tied=last.tied,
                         remaining=last.remaining, tie_status=last.tie_status)


def _combine(parts: list[TallyResult], how: str) -> R.VoteOutcome:
    """Several bodies' tallies: each judged alone (the step passes when each does), all must pass
    (a name passes only where every body passed it), or recorded only."""
    waiting = tuple(dict.fromkeys(x for p in parts for x in p.outcome.awaiting_head))
    if how == "all":
        names = list(dict.fromkeys(j.name for p in parts for j in p.outcome.judgements))
        judged = []
        for x in names:
            sts = [p.outcome.status_of(x) for p in parts]
            st = (R.AT_THRESHOLD if R.AT_THRESHOLD in sts else R.PASSED if all(s in GOES for s in sts) else R.FAILED)
            last = next(j for p in reversed(parts) for j in p.outcome.judgements if j.name == x)
            judged.append(R.Judgement(x, last.votes, last.share, st, last.outcome))
        going = tuple(j.name for j in judged if j.status == R.PASSED)
        return R.VoteOutcome(tuple(judged), passed=not waiting and bool(going), awaiting_head=waiting,
                             going_on=going)
    by: dict[str, R.Judgement] = {}
    for p in parts:
        for j in p.outcome.judgements:
            by[j.name] = j
    going = tuple(dict.fromkeys(x for p in parts for x in p.outcome.going_on))
    passed = how == "record_only" or (not waiting and all(p.outcome.passed for p in parts))
    return R.VoteOutcome(tuple(by.values()), passed=passed, awaiting_head=waiting, going_on=going)


def seats_for(rule: VoteRule, form_of) -> int | None:
    """The seats a rule fills: its number, or the recorded form field it names (None: not recorded
    yet, or v1). `form_of(step_key)` is what that step's form holds."""
    if rule.seats is not None:
        return rule.seats
    if rule.seats_field is not None:
        v = form_of(rule.seats_field.step).get(rule.seats_field.field)
        return v if isinstance(v, int) and v > 0 else None
    return None


def judge_step(step: Step, tallies: Iterable[Tally], head: Mapping[str, bool] | None = None,
               seats: int | None = None) -> StepVote | None:
    """The step's result from its live tallies (None when there are none)."""
    tallies = list(tallies)
    if not tallies or step.vote is None:
        return None
    rule = step.vote
    if step.tallies is not None:
        parts = [evaluate(t, rule, head, seats=seats) for t in tallies]
        return StepVote(rule, tuple(parts), _combine(parts, step.tallies.combine), step.tallies.combine)
    parts: list[TallyResult] = []
    for t in sorted(tallies, key=lambda t: t.round):
        tie = None
        if parts and parts[-1].outcome.tied:
            tie = (parts[-1].outcome.remaining, parts[-1].outcome.tie_status)
        parts.append(evaluate(t, rule, head, seats=seats, tie=tie))
    outcome = parts[0].outcome if len(parts) == 1 else _merge_rounds(parts)
    return StepVote(rule, tuple(parts), outcome)

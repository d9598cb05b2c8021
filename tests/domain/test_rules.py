"""workflow/rules.py at every boundary: thresholds (exactly 1/2, exactly 2/3), quorum, the head's
decision at exactly the threshold, nomination with top two, and the three-level confidence poll
(with the outcome rules of the shipped confidence-vote definition)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.domain import rules as R
from workflow.adapters.definitions import load_file
from workflow.domain.rules import (AT_THRESHOLD, FAILED, NOT_SELECTED, PASSED, RUNOFF, SELECTED, classify_levels,
                            exactly_at, judge_each, meets, minimum_votes, nominate, parse_fraction, quorum_met)

HALF, TWO_THIRDS = Fraction(1, 2), Fraction(2, 3)
DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"

counts = st.integers(min_value=0, max_value=1_000_000)
bases = st.integers(min_value=1, max_value=1_000_000)
ops = st.sampled_from(["gt", "ge"])


@st.composite
def fractions(draw, max_den: int = 1000) -> Fraction:
    den = draw(st.integers(min_value=1, max_value=max_den))
    return Fraction(draw(st.integers(min_value=1, max_value=den)), den)


def exact(votes: int, base: int, op: str, f: Fraction) -> bool:
    share = Fraction(votes, base)
    return share > f if op == "gt" else share >= f


# ---- parse_fraction --------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("1/2", HALF), ("2/3", TWO_THIRDS), ("2/4", HALF), ("1/1", Fraction(1)),
                                         ("1", Fraction(1))])
def test_parse_fraction_reads_exact_fractions(text, value):
    assert parse_fraction(text) == value


@pytest.mark.parametrize("text", ["3/2", "0/3", "0", "abc", "1/x", "2"])
def test_parse_fraction_refuses_values_outside_zero_to_one_and_non_numbers(text):
    with pytest.raises(ValueError):
        parse_fraction(text)


# ---- meets: exactly 1/2 and exactly 2/3 --------------------------------------------------------

def test_exactly_half_fails_more_than_half_and_passes_at_least_half():
    assert meets(5, 10, "gt", HALF) is False
    assert meets(5, 10, "ge", HALF) is True
    assert meets(6, 10, "gt", HALF) is True
    assert meets(4, 10, "ge", HALF) is False


def test_exactly_two_thirds_fails_more_than_and_passes_at_least():
    assert meets(10, 15, "gt", TWO_THIRDS) is False
    assert meets(10, 15, "ge", TWO_THIRDS) is True
    assert meets(2, 3, "ge", TWO_THIRDS) is True
    assert meets(9, 15, "ge", TWO_THIRDS) is False
    assert meets(11, 15, "gt", TWO_THIRDS) is True


def test_two_thirds_is_compared_exactly_not_as_a_rounded_decimal():
    # 666 666 of 1 000 000 is 0.666666: below 2/3 although it rounds to 0.6667
    assert meets(666_666, 1_000_000, "ge", TWO_THIRDS) is False
    assert meets(666_667, 1_000_000, "ge", TWO_THIRDS) is True
    assert meets(200_000, 300_000, "ge", TWO_THIRDS) is True       # exactly 2/3
    assert meets(200_000, 300_000, "gt", TWO_THIRDS) is False
    assert meets(199_999, 300_000, "gt", Fraction(666, 1000)) is True   # 0.66666… > 0.666


def test_meets_is_false_on_an_empty_base():
    assert meets(0, 0, "ge", HALF) is False
    assert meets(5, 0, "gt", HALF) is False
    assert meets(1, -1, "ge", HALF) is False


def test_meets_refuses_an_unknown_operator():
    with pytest.raises(ValueError):
        meets(1, 2, "eq", HALF)


@given(votes=counts, base=bases, op=ops, f=fractions())
def test_meets_agrees_with_exact_fraction_arithmetic(votes, base, op, f):
    assert meets(votes, base, op, f) == exact(votes, base, op, f)


@given(votes=counts, base=bases, f=fractions())
def test_exactly_at_is_the_gap_between_more_than_and_at_least(votes, base, f):
    assert exactly_at(votes, base, f) == (meets(votes, base, "ge", f) and not meets(votes, base, "gt", f))
    assert exactly_at(votes, base, f) == (Fraction(votes, base) == f)


# ---- minimum_votes ---------------------------------------------------------------------------

@pytest.mark.parametrize("base, op, f, needed", [
    (10, "gt", HALF, 6), (10, "ge", HALF, 5), (9, "gt", HALF, 5), (9, "ge", HALF, 5),
    (15, "ge", TWO_THIRDS, 10), (15, "gt", TWO_THIRDS, 11), (3, "ge", TWO_THIRDS, 2), (14, "ge", TWO_THIRDS, 10),
    (1, "gt", HALF, 1), (1, "ge", Fraction(1), 1)])
def test_minimum_votes_at_known_boundaries(base, op, f, needed):
    assert minimum_votes(base, op, f) == needed


@given(base=bases, op=ops, f=fractions())
def test_minimum_votes_is_the_least_count_that_meets_the_threshold(base, op, f):
    m = minimum_votes(base, op, f)
    assert m >= 1
    assert meets(m, base, op, f)
    assert not meets(m - 1, base, op, f)


def test_minimum_votes_stays_exact_on_huge_bases():
    base, f = 3 * 2 ** 53 + 1, Fraction(1, 3)
    m = minimum_votes(base, "ge", f)
    assert meets(m, base, "ge", f) and not meets(m - 1, base, "ge", f)


# ---- quorum ----------------------------------------------------------------------------------

@pytest.mark.parametrize("present, of, met", [(10, 15, True), (9, 15, False), (15, 15, True), (2, 3, True),
                                              (1, 3, False), (6, 9, True), (5, 9, False), (0, 1, False)])
def test_quorum_is_at_least_two_thirds_present(present, of, met):
    assert quorum_met(present, of, TWO_THIRDS) is met


def test_quorum_of_nobody_summoned_is_never_met():
    assert quorum_met(0, 0, TWO_THIRDS) is False


@given(present=counts, of=st.integers(min_value=0, max_value=1_000_000), f=fractions())
def test_quorum_agrees_with_exact_fraction_arithmetic(present, of, f):
    assert quorum_met(present, of, f) == (of > 0 and Fraction(present, of) >= f)


# ---- judge_each ------------------------------------------------------------------------------

def status(outcome: R.VoteOutcome) -> dict[str, str]:
    return {j.name: j.status for j in outcome.judgements}


def test_judge_each_exactly_half_waits_for_the_head_when_head_decides():
    out = judge_each({"A": 5, "B": 6}, 10, "gt", HALF, "head_decides")
    assert status(out) == {"A": AT_THRESHOLD, "B": PASSED}
    assert out.awaiting_head == ("A",)
    assert out.passed is False          # B passed, but A still waits
    assert out.going_on == ("B",)


def test_judge_each_head_accepting_passes_the_candidate_at_the_threshold():
    out = judge_each({"A": 5}, 10, "gt", HALF, "head_decides", head={"A": True})
    assert status(out) == {"A": PASSED}
    assert out.passed is True and out.awaiting_head == () and out.going_on == ("A",)


def test_judge_each_head_rejecting_fails_the_candidate_at_the_threshold():
    out = judge_each({"A": 5}, 10, "gt", HALF, "head_decides", head={"A": False})
    assert status(out) == {"A": FAILED}
    assert out.passed is False and out.awaiting_head == () and out.going_on == ()


def test_judge_each_head_rejecting_one_still_passes_the_step_when_another_passed():
    out = judge_each({"A": 5, "B": 7}, 10, "gt", HALF, "head_decides", head={"A": False})
    assert status(out) == {"A": FAILED, "B": PASSED}
    assert out.passed is True and out.going_on == ("B",)


def test_judge_each_exactly_half_fails_when_the_rule_says_fail():
    out = judge_each({"A": 5}, 10, "gt", HALF, "fail")
    assert status(out) == {"A": FAILED} and out.awaiting_head == () and out.passed is False


def test_judge_each_head_cannot_rescue_a_candidate_below_the_threshold():
    out = judge_each({"A": 4}, 10, "gt", HALF, "head_decides", head={"A": True})
    assert status(out) == {"A": FAILED} and out.passed is False


def test_judge_each_head_cannot_fail_a_candidate_above_the_threshold():
    out = judge_each({"A": 6}, 10, "gt", HALF, "head_decides", head={"A": False})
    assert status(out) == {"A": PASSED} and out.passed is True


def test_judge_each_at_least_passes_exactly_at_the_threshold_without_the_head():
    out = judge_each({"A": 6, "B": 5}, 9, "ge", TWO_THIRDS, "head_decides")
    assert status(out) == {"A": PASSED, "B": FAILED} and out.awaiting_head == ()


def test_judge_each_step_fails_when_nobody_passes():
    out = judge_each({"A": 3, "B": 2}, 10, "gt", HALF)
    assert out.passed is False and out.going_on == ()


def test_judge_each_reports_each_share_exactly():
    out = judge_each({"A": 2}, 3, "ge", TWO_THIRDS)
    assert out.judgements[0].share == TWO_THIRDS and out.judgements[0].votes == 2


@given(votes=st.dictionaries(st.sampled_from("ABCDEF"), st.integers(0, 40), min_size=1),
       base=st.integers(1, 40), op=ops, f=fractions(12), at=st.sampled_from(["fail", "head_decides"]),
       head=st.dictionaries(st.sampled_from("ABCDEF"), st.booleans()))
def test_judge_each_matches_the_rule_for_every_candidate(votes, base, op, f, at, head):
    out = judge_each(votes, base, op, f, at, head)
    for j in out.judgements:
        share = Fraction(j.votes, base)
        if exact(j.votes, base, op, f):
            assert j.status == PASSED
        elif op == "gt" and at == "head_decides" and share == f:
            assert j.status == ({True: PASSED, False: FAILED}[head[j.name]] if j.name in head else AT_THRESHOLD)
        else:
            assert j.status == FAILED
    assert set(out.awaiting_head) == {j.name for j in out.judgements if j.status == AT_THRESHOLD}
    assert set(out.going_on) == {j.name for j in out.judgements if j.status == PASSED}
    assert out.passed == (not out.awaiting_head and bool(out.going_on))


# ---- nominate --------------------------------------------------------------------------------

def test_nominate_selects_the_single_candidate_over_half_of_those_summoned():
    out = nominate({"A": 8, "B": 5, "C": 1}, 15, "gt", HALF, "top_two")
    assert status(out) == {"A": SELECTED, "B": NOT_SELECTED, "C": NOT_SELECTED}
    assert out.passed is True and out.going_on == ("A",)


def test_nominate_selects_only_the_top_passer_when_several_pass():
    out = nominate({"A": 5, "B": 4, "C": 0}, 9, "gt", Fraction(1, 3), "top_two")
    assert status(out) == {"A": SELECTED, "B": NOT_SELECTED, "C": NOT_SELECTED}
    assert out.going_on == ("A",)


def test_nominate_exactly_half_is_not_over_half_so_top_two_go_on():
    out = nominate({"A": 7, "B": 5, "C": 2}, 14, "gt", HALF, "top_two")
    assert status(out) == {"A": RUNOFF, "B": RUNOFF, "C": NOT_SELECTED}
    assert out.passed is True and set(out.going_on) == {"A", "B"}


def test_nominate_everyone_tied_at_second_place_goes_on():
    out = nominate({"A": 9, "B": 6, "C": 6, "D": 3}, 20, "gt", HALF, "top_two")
    assert status(out) == {"A": RUNOFF, "B": RUNOFF, "C": RUNOFF, "D": NOT_SELECTED}
    assert set(out.going_on) == {"A", "B", "C"}


def test_nominate_zero_vote_candidates_never_go_on():
    out = nominate({"A": 5, "B": 0, "C": 0}, 20, "gt", HALF, "top_two")
    assert status(out) == {"A": RUNOFF, "B": NOT_SELECTED, "C": NOT_SELECTED}
    assert out.going_on == ("A",)


def test_nominate_nobody_goes_on_when_nobody_got_a_vote():
    out = nominate({"A": 0, "B": 0}, 20, "gt", HALF, "top_two")
    assert out.going_on == () and out.passed is False


def test_nominate_without_top_two_fails_when_nobody_is_over_half():
    out = nominate({"A": 7, "B": 5}, 15, "gt", HALF, "fail")
    assert status(out) == {"A": NOT_SELECTED, "B": NOT_SELECTED}
    assert out.passed is False and out.going_on == ()


def test_nominate_tie_for_most_votes_among_passers_waits_for_the_head():
    out = nominate({"A": 4, "B": 4, "C": 1}, 9, "gt", Fraction(1, 3), "top_two")
    assert status(out) == {"A": AT_THRESHOLD, "B": AT_THRESHOLD, "C": NOT_SELECTED}
    assert set(out.awaiting_head) == {"A", "B"}
    assert out.passed is False and out.going_on == ()


def test_nominate_tie_among_passers_is_settled_by_the_head_accepting_one():
    out = nominate({"A": 4, "B": 4, "C": 1}, 9, "gt", Fraction(1, 3), "top_two", head={"B": True})
    assert status(out) == {"A": NOT_SELECTED, "B": SELECTED, "C": NOT_SELECTED}
    assert out.passed is True and out.going_on == ("B",) and out.awaiting_head == ()


def test_nominate_head_accepting_both_tied_candidates_settles_nothing():
    out = nominate({"A": 4, "B": 4}, 9, "gt", Fraction(1, 3), "top_two", head={"A": True, "B": True})
    assert out.passed is False and set(out.awaiting_head) == {"A", "B"}


def test_nominate_candidate_exactly_at_threshold_waits_for_the_head_under_head_decides():
    out = nominate({"A": 5, "B": 3}, 10, "gt", HALF, "top_two", "head_decides")
    assert out.awaiting_head == ("A",) and out.passed is False
    decided = nominate({"A": 5, "B": 3}, 10, "gt", HALF, "top_two", "head_decides", head={"A": True})
    assert status(decided) == {"A": SELECTED, "B": NOT_SELECTED} and decided.passed is True


def test_nominate_tie_at_first_place_sends_only_the_tied_two_on():
    out = nominate({"A": 5, "B": 5, "C": 3}, 20, "gt", HALF, "top_two")
    assert set(out.going_on) == {"A", "B"}
    assert status(out)["C"] == NOT_SELECTED


@given(votes=st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(0, 30), min_size=1), extra=st.integers(0, 30))
def test_nominate_top_two_takes_the_highest_counts_and_never_zero(votes, extra):
    base = 2 * sum(votes.values()) + extra + 2    # nobody can be over half: top two decides
    out = nominate(votes, base, "gt", HALF, "top_two")
    going = set(out.going_on)
    assert all(votes[n] > 0 for n in going)
    # upward closed: anyone with more votes than someone who goes on goes on too
    for n in going:
        assert all(m in going for m in votes if votes[m] > votes[n])
    top = max(votes.values())
    if top > 0:
        assert {n for n in votes if votes[n] == top} <= going
        if sum(1 for v in votes.values() if v == top) == 1:
            second = max((v for v in votes.values() if v < top), default=0)
            if second > 0:
                assert {n for n in votes if votes[n] == second} <= going
    assert out.passed == bool(going)
    assert {j.name for j in out.judgements if j.status == RUNOFF} == going


@given(votes=st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(0, 30), min_size=1),
       base=st.integers(1, 60), f=fractions(6))
def test_nominate_selects_at_most_one_and_only_a_unique_top_passer(votes, base, f):
    out = nominate(votes, base, "gt", f, "top_two")
    selected = [j.name for j in out.judgements if j.status == SELECTED]
    assert len(selected) <= 1
    passers = [n for n, v in votes.items() if meets(v, base, "gt", f)]
    if passers:
        top = max(votes[n] for n in passers)
        winners = [n for n in passers if votes[n] == top]
        assert selected == (winners if len(winners) == 1 else [])
        assert set(out.awaiting_head) == (set() if len(winners) == 1 else set(winners))
    else:
        assert selected == [] and out.awaiting_head == ()


# ---- classify_levels (the confidence-vote definition's own outcome rules) ---------------------

@pytest.fixture(scope="module")
def confidence_rule():
    d = load_file(DEFINITIONS / "confidence-vote.v1.yaml")
    rule = d.step("poll").vote
    return [o.rule for o in rule.outcomes], rule.default_outcome


def classify(rule, low: int, base: int, high: int = 0) -> str:
    rules, default = rule
    out = classify_levels({"X": {"high": high, "confidence": max(0, base - high - low), "low": low}},
                          base, rules, default)
    return out.judgements[0].outcome


SEVERITY = {"retained": 0, "resignation-considered": 1, "dismissal": 2}


def test_confidence_definition_has_the_two_outcomes_and_a_default(confidence_rule):
    rules, default = confidence_rule
    assert [r.key for r in rules] == ["dismissal", "resignation-considered"]
    assert default == "retained"


@pytest.mark.parametrize("low, base, outcome", [
    (20, 30, "dismissal"),               # exactly 2/3
    (2, 3, "dismissal"),                 # exactly 2/3
    (30, 30, "dismissal"),
    (21, 30, "dismissal"),
    (19, 30, "resignation-considered"),  # 1/2 < 19/30 < 2/3
    (16, 30, "resignation-considered"),
    (15, 30, "retained"),                # exactly 1/2
    (1, 2, "retained"),                  # exactly 1/2
    (14, 30, "retained"),
    (0, 30, "retained"),
    (0, 0, "retained"),                  # no valid ballots: nothing is exceeded
])
def test_confidence_levels_at_the_edges(confidence_rule, low, base, outcome):
    assert classify(confidence_rule, low, base) == outcome


def test_confidence_levels_judge_every_candidate_on_its_own(confidence_rule):
    rules, default = confidence_rule
    out = classify_levels({"A": {"high": 10, "confidence": 10, "low": 10}, "B": {"low": 20},
                           "C": {"high": 1, "low": 16}}, 30, rules, default)
    assert {j.name: j.outcome for j in out.judgements} == {"A": "retained", "B": "dismissal",
                                                            "C": "resignation-considered"}
    assert {j.name: j.votes for j in out.judgements} == {"A": 10, "B": 20, "C": 16}
    assert out.passed is True and set(out.going_on) == {"A", "B", "C"}


def test_confidence_high_votes_do_not_change_the_outcome(confidence_rule):
    assert classify(confidence_rule, 16, 30, high=14) == classify(confidence_rule, 16, 30, high=0)


@given(low=st.integers(0, 500), base=st.integers(1, 500))
def test_confidence_outcome_agrees_with_exact_fractions(confidence_rule, low, base):
    low = min(low, base)
    share = Fraction(low, base)
    expected = ("dismissal" if share >= TWO_THIRDS else
                "resignation-considered" if share > HALF else "retained")
    assert classify(confidence_rule, low, base) == expected


@settings(max_examples=200)
@given(a=st.integers(0, 500), b=st.integers(0, 500), base=st.integers(1, 500))
def test_confidence_outcome_is_monotone_in_low(confidence_rule, a, b, base):
    lo, hi = sorted((min(a, base), min(b, base)))
    assert SEVERITY[classify(confidence_rule, lo, base)] <= SEVERITY[classify(confidence_rule, hi, base)]

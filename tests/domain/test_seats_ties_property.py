"""Seats and ties at the cut (rules.choose, rules.new_round) against an independent model.

The model does not sort and cut: a candidate who passed is *in* when at most `seats` passed with at
least as many votes as they had, *out* when `seats` or more passed with strictly more, and *tied*
otherwise. Exact fractions decide the threshold (Fraction comparison here, cross-multiplication in
the rules). Then each tie rule: all tied go on; a new round among the tied for the places left; the
head decides each tied name. Hypothesis draws the tallies; the boundary cases (exact halves, a tie at
exactly the last seat) are drawn often because vote counts come from a small range."""
from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.domain import rules as R

NAMES = [f"C{i}" for i in range(8)]


def passes(v: int, base: int, op: str, f: Fraction) -> bool:
    share = Fraction(v, base)
    return share > f if op == "gt" else share >= f


def model_cut(votes: dict[str, int], names: list[str], n: int) -> tuple[set, set, int]:
    """(in, tied, places left for the tied) by counting, not sorting."""
    sure, tied = set(), set()
    for x in names:
        above = sum(1 for p in names if votes[p] > votes[x])
        at_least = sum(1 for p in names if votes[p] >= votes[x])
        if at_least <= n:
            sure.add(x)
        elif above < n:
            tied.add(x)
    return sure, tied, (n - len(sure)) if tied else 0


def model(votes, base, op, f, seats, nominate, tie, no_pass, head):
    passers = [x for x in votes if passes(votes[x], base, op, f)]
    n = seats or (1 if nominate else len(passers))
    if passers:
        pool = passers
    elif nominate and no_pass == "top_two":
        pool, n = [x for x in votes if votes[x] > 0], 2 * n
    else:
        return set(), set(), set()
    sure, tied, _ = model_cut(votes, pool, n)
    if tie == R.ALL_GO_ON:
        return sure | tied, set(), set()
    if tie == R.NEW_ROUND:
        return sure, tied, set()
    accepted = {x for x in tied if head.get(x)}
    return sure | accepted, set(), {x for x in tied if x not in head}


tallies = st.integers(min_value=1, max_value=8).flatmap(lambda k: st.tuples(
    st.dictionaries(st.sampled_from(NAMES[:k]), st.integers(min_value=0, max_value=12), min_size=1),
    st.integers(min_value=1, max_value=24)))


@settings(max_examples=600, deadline=None)
@given(tallies, st.sampled_from(["gt", "ge"]), st.sampled_from([Fraction(1, 2), Fraction(2, 3), Fraction(1, 3)]),
       st.one_of(st.none(), st.integers(min_value=1, max_value=4)), st.booleans(),
       st.sampled_from([R.ALL_GO_ON, R.NEW_ROUND, R.HEAD_DECIDES]), st.sampled_from(["fail", "top_two"]),
       st.dictionaries(st.sampled_from(NAMES), st.booleans()))
def test_who_is_chosen_matches_the_model_for_any_seats_and_tie_rule(t, op, f, seats, nominate, tie, no_pass, head):
    votes, base = t
    out = R.choose(votes, base, op, f, seats=seats, nominate=nominate, tie_at_cut=tie,
                   no_pass=no_pass if nominate else "fail", head=head)
    going, tied, waiting = model(votes, base, op, f, seats, nominate, tie, no_pass if nominate else "fail", head)
    assert set(out.going_on) == going
    assert set(out.tied) == tied
    assert set(out.awaiting_head) == waiting
    assert out.passed == (bool(going) and not tied and not waiting)
    # a tie never lets more through than the seats, except where the rule says all tied go on
    n = seats or (1 if nominate else len(votes))
    if tie != R.ALL_GO_ON and not (nominate and no_pass == "top_two" and not any(
            passes(v, base, op, f) for v in votes.values())):
        assert len([x for x in out.going_on if x not in head or not head[x]]) <= n


@settings(max_examples=300, deadline=None)
@given(tallies, st.integers(min_value=1, max_value=4), st.permutations(range(8)))
def test_the_order_names_are_typed_in_changes_nothing(t, seats, order):
    votes, base = t
    names = list(votes)
    shuffled = {names[i]: votes[names[i]] for i in sorted(range(len(names)), key=lambda i: order[i % 8])}
    a = R.choose(votes, base, "gt", Fraction(1, 2), seats=seats, nominate=True, tie_at_cut=R.NEW_ROUND,
                 no_pass="top_two")
    b = R.choose(shuffled, base, "gt", Fraction(1, 2), seats=seats, nominate=True, tie_at_cut=R.NEW_ROUND,
                 no_pass="top_two")
    assert (set(a.going_on), set(a.tied), a.remaining) == (set(b.going_on), set(b.tied), b.remaining)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(NAMES), st.integers(min_value=0, max_value=10), min_size=2),
       st.integers(min_value=1, max_value=3))
def test_a_new_round_fills_exactly_the_places_left_or_ties_again(votes, places):
    places = min(places, len(votes) - 1)
    out = R.new_round(votes, max(1, sum(votes.values())), places, R.SELECTED, R.NEW_ROUND)
    sure, tied, left = model_cut(votes, list(votes), places)
    assert set(out.going_on) == sure and set(out.tied) == tied and out.remaining == left
    assert len(out.going_on) + (left if tied else 0) == places


def test_two_seats_seventeen_names_on_fifteen_ballots_is_a_lawful_count():
    # the nomination cap is seats × valid ballots (tally.parse_tally); the choice itself: 9 of 15 passes
    out = R.choose({"A": 9, "B": 6, "C": 2}, 15, "gt", Fraction(1, 2), seats=2, nominate=True,
                   tie_at_cut=R.NEW_ROUND)
    assert out.going_on == ("A",) and out.passed and not out.tied


def test_a_tie_exactly_at_the_last_seat_is_a_tie_and_one_vote_either_way_is_not():
    tie = R.choose({"A": 15, "B": 11, "C": 11}, 20, "gt", Fraction(1, 2), seats=2, nominate=True,
                   tie_at_cut=R.NEW_ROUND)
    assert tie.going_on == ("A",) and set(tie.tied) == {"B", "C"} and tie.remaining == 1
    for b, c, winner in ((12, 11, "B"), (11, 12, "C")):
        out = R.choose({"A": 15, "B": b, "C": c}, 20, "gt", Fraction(1, 2), seats=2, nominate=True,
                       tie_at_cut=R.NEW_ROUND)
        assert set(out.going_on) == {"A", winner} and not out.tied

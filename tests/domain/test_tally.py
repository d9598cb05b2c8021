"""records.parse_tally / evaluate: the consistency rules of a vote count (valid + invalid = collected
≤ issued ≤ present ≤ summoned; per-candidate votes ≤ valid; nominations ≤ valid), the refusal of
bad numbers, nominees outside the list, the members of a collective, and the evaluation against
the rule's base. Rules come from the shipped definitions."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.adapters.definitions import load_file
from workflow.domain.errors import InvalidTally
from workflow.domain.tally import MAX_COUNT, base_value, evaluate, parse_tally, quorum
from workflow.domain.rules import AT_THRESHOLD, PASSED, RUNOFF, SELECTED

DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"
_internal = load_file(DEFINITIONS / "appointment-internal.v1.yaml")
_confidence = load_file(DEFINITIONS / "confidence-vote.v1.yaml")
_admission = load_file(DEFINITIONS / "party-admission.v1.yaml")

NOMINATE = _internal.step("expanded-meeting").vote          # nominate, base summoned, top two
EACH = _internal.step("key-cadres").vote                     # each, base summoned, > 1/2
COLLECTIVE = _internal.step("collective-3").vote             # each, base members, head decides
LEVELS = _confidence.step("poll").vote                       # three levels, base valid
CELL = _admission.step("cell-vote").vote                     # quorum of members, ≥ 2/3 of members
LIST = ["Nguyễn Văn An", "Trần Thị Bình"]


def tally(**over):
    t = {"summoned": 15, "present": 14, "issued": 14, "collected": 13, "valid": 12, "invalid": 1,
         "candidates": {"Nguyễn Văn An": {"agree": 9, "disagree": 3}}}
    t.update(over)
    return t


def refused(raw, rule=EACH, known=LIST, nominees=False) -> InvalidTally:
    with pytest.raises(InvalidTally) as e:
        parse_tally(raw, rule, known, nominees)
    return e.value


# ---- a good tally ----------------------------------------------------------------------------

def test_consistent_tally_is_accepted_with_its_counts():
    t = parse_tally(tally(held_on="2026-01-10", place="Hội trường"), EACH, LIST, False)
    assert (t.summoned, t.present, t.issued, t.collected, t.valid, t.invalid) == (15, 14, 14, 13, 12, 1)
    assert t.counts("Nguyễn Văn An") == {"agree": 9, "disagree": 3}
    assert t.nominees == () and t.held_on == "2026-01-10" and t.place == "Hội trường"


def test_everything_equal_at_the_top_of_the_chain_is_accepted():
    t = parse_tally(tally(summoned=9, present=9, issued=9, collected=9, valid=9, invalid=0,
                          candidates={"Nguyễn Văn An": {"agree": 9, "disagree": 0}}), EACH, LIST, False)
    assert t.valid == 9


def test_counts_given_as_digit_strings_are_read_as_numbers():
    t = parse_tally(tally(summoned="15", present=" 14 "), EACH, LIST, False)
    assert t.summoned == 15 and t.present == 14


def test_missing_disagree_count_is_zero():
    t = parse_tally(tally(candidates={"Nguyễn Văn An": {"agree": 9}}), EACH, LIST, False)
    assert t.counts("Nguyễn Văn An") == {"agree": 9, "disagree": 0}


def test_payload_round_trips():
    t = parse_tally(tally(), EACH, LIST, False)
    from workflow.domain.tally import Tally
    assert Tally.from_payload(t.to_payload()) == t


# ---- each consistency rule ------------------------------------------------------------------

@pytest.mark.parametrize("over, field", [
    ({"present": 16}, "present"),                                   # present > summoned
    ({"issued": 15, "present": 14}, "issued"),                      # issued > present
    ({"collected": 15}, "collected"),                               # collected > issued
    ({"valid": 12, "invalid": 2}, "invalid"),                       # valid + invalid > collected
    ({"valid": 11, "invalid": 1}, "invalid"),                       # valid + invalid < collected
    ({"summoned": 0, "present": 0, "issued": 0, "collected": 0, "valid": 0, "invalid": 0}, "summoned"),
])
def test_each_chain_relation_is_enforced_and_names_the_field(over, field):
    e = refused(tally(**over))
    assert field in e.fields
    assert e.message.startswith("the tally is inconsistent:")


def test_candidate_votes_above_the_valid_ballots_are_refused():
    e = refused(tally(candidates={"Nguyễn Văn An": {"agree": 10, "disagree": 3}}))
    assert "candidates.Nguyễn Văn An" in e.fields
    assert "exceeds the valid ballots (12)" in e.fields["candidates.Nguyễn Văn An"]


def test_candidate_votes_exactly_the_valid_ballots_are_accepted():
    t = parse_tally(tally(candidates={"Nguyễn Văn An": {"agree": 9, "disagree": 3}}), EACH, LIST, False)
    assert sum(t.counts("Nguyễn Văn An").values()) == t.valid


def test_three_level_votes_above_the_valid_ballots_are_refused():
    e = refused(tally(candidates={"Nguyễn Văn An": {"high": 5, "confidence": 5, "low": 3}}), LEVELS)
    assert "candidates.Nguyễn Văn An" in e.fields


def test_nominations_adding_up_to_more_than_the_valid_ballots_are_refused():
    e = refused(tally(candidates={"Nguyễn Văn An": {"agree": 7}, "Trần Thị Bình": {"agree": 6}}), NOMINATE)
    assert "candidates" in e.fields and "nominations (13) exceed the valid ballots (12)" in e.fields["candidates"]


def test_nominations_adding_up_to_the_valid_ballots_are_accepted():
    t = parse_tally(tally(candidates={"Nguyễn Văn An": {"agree": 7}, "Trần Thị Bình": {"agree": 5}}),
                    NOMINATE, LIST, True)
    assert [t.counts(n)["agree"] for n in t.names] == [7, 5]


def test_each_mode_does_not_add_up_agree_counts_across_candidates():
    # every ballot can agree with every candidate in 'each' mode
    t = parse_tally(tally(candidates={"Nguyễn Văn An": {"agree": 9}, "Trần Thị Bình": {"agree": 9}}), EACH, LIST, False)
    assert len(t.names) == 2


# ---- bad numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize("value", [-1, 1.5, 14.0, "abc", "1e3", "-3", True, False, [], {}, MAX_COUNT + 1,
                                   10 ** 30, "12345678"])
def test_bad_counts_are_refused_naming_the_field(value):
    e = refused(tally(present=value))
    assert "present" in e.fields
    assert e.fields["present"] in ("must be a whole number", f"must be between 0 and {MAX_COUNT}")


@pytest.mark.parametrize("value", [-1, 2.5, True, "x", MAX_COUNT + 1])
def test_bad_candidate_counts_are_refused_naming_the_candidate(value):
    e = refused(tally(candidates={"Nguyễn Văn An": {"agree": value}}))
    assert "agree" in e.fields["candidates.Nguyễn Văn An"]


def test_missing_count_is_required():
    raw = tally()
    del raw["issued"]
    assert refused(raw).fields["issued"] == "required"


def test_every_bad_field_is_named_at_once():
    e = refused(tally(summoned=-1, valid="x", candidates={"Nguyễn Văn An": {"agree": True}}))
    assert {"summoned", "valid", "candidates.Nguyễn Văn An"} <= set(e.fields)


def test_largest_allowed_count_is_accepted():
    big = MAX_COUNT
    t = parse_tally(tally(summoned=big, present=big, issued=big, collected=big, valid=big, invalid=0),
                    EACH, LIST, False)
    assert t.summoned == MAX_COUNT


@pytest.mark.parametrize("cands, field", [
    (None, "candidates"), ({}, "candidates"), ([], "candidates"),
    ({"Nguyễn Văn An": 9}, "candidates.Nguyễn Văn An"),
    ({"Nguyễn Văn An": {"agree": 9, "abstain": 1}}, "candidates.Nguyễn Văn An"),
    ({"Nguyễn Văn An": {"disagree": 1}}, "candidates.Nguyễn Văn An"),     # agree is required
    ({"  ": {"agree": 1}}, "candidates"),
    ({"Nguyễn Văn An": {"agree": 1}, "Nguyễn  Văn   An": {"agree": 1}}, "candidates.Nguyễn Văn An"),
    ({"A" * 201: {"agree": 1}}, "candidates." + "A" * 201),
])
def test_bad_candidate_entries_are_refused(cands, field):
    e = refused(tally(candidates=cands), known=[])
    assert field in e.fields


def test_three_level_rule_refuses_agree_counts():
    e = refused(tally(candidates={"Nguyễn Văn An": {"agree": 5}}), LEVELS)
    assert "high / confidence / low" in e.fields["candidates.Nguyễn Văn An"]


def test_a_tally_must_be_a_mapping():
    e = refused(["not", "a", "mapping"])
    assert e.fields == {"tally": "must be a mapping"}


def test_bad_date_and_place_are_refused():
    e = refused(tally(held_on="2026-02-30", place="x" * 301))
    assert set(e.fields) >= {"held_on", "place"}


# ---- nominees --------------------------------------------------------------------------------

def test_names_outside_the_list_are_refused_when_the_conference_cannot_add_nominees():
    e = refused(tally(candidates={"Lê Văn Cường": {"agree": 9}}), EACH, LIST, nominees=False)
    assert "not on the candidate list" in e.fields["candidates.Lê Văn Cường"]


def test_names_outside_the_list_are_accepted_and_marked_when_nominees_are_allowed():
    t = parse_tally(tally(candidates={"Nguyễn Văn An": {"agree": 6}, "Lê Văn Cường": {"agree": 5}}),
                    NOMINATE, LIST, True)
    assert t.names == ["Nguyễn Văn An", "Lê Văn Cường"]
    assert t.nominees == ("Lê Văn Cường",)


def test_names_are_normalised_before_matching_the_list():
    t = parse_tally(tally(candidates={"  Nguyễn   Văn An ": {"agree": 9}}), EACH, LIST, False)
    assert t.names == ["Nguyễn Văn An"] and t.nominees == ()


def test_without_a_candidate_list_nobody_is_marked_as_nominee():
    t = parse_tally(tally(candidates={"Lê Văn Cường": {"agree": 9}}), EACH, [], False)
    assert t.names == ["Lê Văn Cường"] and t.nominees == ()


# ---- members ---------------------------------------------------------------------------------

def test_members_default_to_summoned_when_the_base_is_members():
    t = parse_tally(tally(), COLLECTIVE, LIST, False)
    assert t.members == 15 and base_value(t, COLLECTIVE) == 15


def test_members_default_to_summoned_when_the_quorum_counts_members():
    t = parse_tally(tally(), CELL, LIST, False)
    assert t.members == 15 and quorum(t, CELL).of == 15


def test_members_stay_unset_when_the_rule_does_not_count_members():
    assert parse_tally(tally(), EACH, LIST, False).members is None


def test_members_given_are_the_base_of_the_collective_vote():
    t = parse_tally(tally(members=18), COLLECTIVE, LIST, False)
    assert t.members == 18
    r = evaluate(t, COLLECTIVE)
    assert r.base == 18 and r.needed == 10
    assert r.outcome.judgements[0].status == AT_THRESHOLD     # 9 of 18 members: exactly half, head decides


@pytest.mark.parametrize("members", [0, -2, "x", True])
def test_bad_members_are_refused(members):
    assert "members" in refused(tally(members=members), COLLECTIVE).fields


# ---- evaluate --------------------------------------------------------------------------------

def test_evaluate_reports_quorum_and_votes_needed_against_the_base():
    r = evaluate(parse_tally(tally(), EACH, LIST, False), EACH)
    assert r.quorum.met is True and r.quorum.needed == 10 and r.quorum.of == 15
    assert r.base == 15 and r.needed == 8
    assert r.outcome.passed is True and r.outcome.judgements[0].status == PASSED


def test_evaluate_without_quorum_says_so():
    t = parse_tally(tally(present=9, issued=9, collected=9, valid=9, invalid=0,
                          candidates={"Nguyễn Văn An": {"agree": 9}}), EACH, LIST, False)
    q = evaluate(t, EACH).quorum
    assert q.met is False and q.present == 9 and q.needed == 10


def test_evaluate_nomination_selects_over_half_of_summoned_else_top_two():
    win = evaluate(parse_tally(tally(candidates={"Nguyễn Văn An": {"agree": 8}, "Trần Thị Bình": {"agree": 4}}),
                               NOMINATE, LIST, True), NOMINATE)
    assert [j.status for j in win.outcome.judgements] == [SELECTED, "not_selected"]
    runoff = evaluate(parse_tally(tally(candidates={"Nguyễn Văn An": {"agree": 7}, "Trần Thị Bình": {"agree": 5}}),
                                  NOMINATE, LIST, True), NOMINATE)
    assert [j.status for j in runoff.outcome.judgements] == [RUNOFF, RUNOFF] and runoff.outcome.passed


def test_evaluate_levels_uses_valid_ballots_as_base_and_gives_outcomes():
    t = parse_tally(tally(candidates={"Nguyễn Văn An": {"high": 0, "confidence": 4, "low": 8},
                                      "Trần Thị Bình": {"high": 2, "confidence": 3, "low": 7}}), LEVELS, LIST, False)
    r = evaluate(t, LEVELS)
    assert r.base == 12 and r.needed is None
    assert {j.name: j.outcome for j in r.outcome.judgements} == {"Nguyễn Văn An": "dismissal",
                                                                "Trần Thị Bình": "resignation-considered"}


def test_evaluate_passes_the_head_decision_through():
    t = parse_tally(tally(candidates={"Nguyễn Văn An": {"agree": 7, "disagree": 5}}, summoned=14, members=14),
                    COLLECTIVE, LIST, False)
    assert evaluate(t, COLLECTIVE).outcome.awaiting_head == ("Nguyễn Văn An",)
    assert evaluate(t, COLLECTIVE, {"Nguyễn Văn An": True}).outcome.passed is True
    assert evaluate(t, COLLECTIVE, {"Nguyễn Văn An": False}).outcome.passed is False


# ---- properties ------------------------------------------------------------------------------

@st.composite
def consistent(draw, nominate: bool = False):
    summoned = draw(st.integers(1, 500))
    present = draw(st.integers(0, summoned))
    issued = draw(st.integers(0, present))
    collected = draw(st.integers(0, issued))
    valid = draw(st.integers(0, collected))
    names = draw(st.lists(st.sampled_from(["An", "Bình", "Cường", "Dũng"]), min_size=1, max_size=4, unique=True))
    cands, left = {}, valid
    for n in names:
        if nominate:
            agree = draw(st.integers(0, left))
            left -= agree
            cands[n] = {"agree": agree}
        else:
            agree = draw(st.integers(0, valid))
            cands[n] = {"agree": agree, "disagree": draw(st.integers(0, valid - agree))}
    return {"summoned": summoned, "present": present, "issued": issued, "collected": collected,
            "valid": valid, "invalid": collected - valid, "candidates": cands}


NAMES = ["An", "Bình", "Cường", "Dũng"]


@given(raw=consistent())
def test_any_consistently_built_tally_is_accepted(raw):
    t = parse_tally(raw, EACH, NAMES, False)
    assert t.valid + t.invalid == t.collected <= t.issued <= t.present <= t.summoned
    assert evaluate(t, EACH).quorum.met == (3 * t.present >= 2 * t.summoned)


@given(raw=consistent(nominate=True))
def test_any_consistently_built_nomination_is_accepted(raw):
    t = parse_tally(raw, NOMINATE, NAMES, True)
    assert sum(t.counts(n)["agree"] for n in t.names) <= t.valid


BREAKS = ["present", "issued", "collected", "valid", "invalid_up", "invalid_down", "candidate"]


@given(raw=consistent(), which=st.sampled_from(BREAKS), k=st.integers(1, 50))
def test_breaking_any_one_chain_relation_is_refused(raw, which, k):
    raw = {**raw, "candidates": {n: dict(c) for n, c in raw["candidates"].items()}}
    if which == "present":
        raw["present"] = raw["summoned"] + k
        field = "present"
    elif which == "issued":
        raw["issued"] = raw["present"] + k
        field = "issued"
    elif which == "collected":
        raw["collected"] = raw["issued"] + k
        field = "collected"
    elif which == "valid":
        raw["valid"] += k
        field = "invalid"
    elif which == "invalid_up":
        raw["invalid"] += k
        field = "invalid"
    elif which == "invalid_down":
        raw["invalid"] -= k          # negative or below: either way inconsistent
        field = "invalid"
    else:
        name = next(iter(raw["candidates"]))
        raw["candidates"][name]["agree"] = raw["valid"] + k
        raw["candidates"][name]["disagree"] = 0
        field = f"candidates.{name}"
    with pytest.raises(InvalidTally) as e:
        parse_tally(raw, EACH, NAMES, False)
    assert field in e.value.fields


def test_votes_above_the_members_of_the_collective_are_refused():
    e = refused(tally(members=5), COLLECTIVE)
    assert "members" in e.fields or "candidates.Nguyễn Văn An" in e.fields

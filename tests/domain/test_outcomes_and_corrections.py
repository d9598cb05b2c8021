"""Outcomes, the supervisor's decision after a failed gate, and corrections — on plain objects (no
database): what settle() makes the case wait for, the lawful next actions, the four eyes on a
corrected tally, and the decision record an outcome needs."""
from __future__ import annotations

import copy
import datetime as dt

import pytest

from tests.domain.test_language import SCHEMA, T, base
from workflow.domain.actions import ACTIONS, Limits, settle
from workflow.domain.case import AWAIT_CORRECTION, AWAIT_DECISION, Case, CaseRow, Record
from workflow.domain.errors import FourEyes, GuardFailed, NotAllowed
from workflow.domain.language import parse
from workflow.domain.leaving import lawful_next
from workflow.domain.people import User

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)
STAFF = User(1, "staff", "Staff", "staff", 2, "/1/2/", "Huyện", True)
LEAD = User(3, "lead", "Lead", "supervisor", 2, "/1/2/", "Huyện", True)
LEAD2 = User(4, "lead2", "Lead 2", "supervisor", 2, "/1/2/", "Huyện", True)
TALLY = {"summoned": 10, "present": 10, "issued": 10, "collected": 10, "valid": 10, "invalid": 0}


def definition():
    """Step a: a supervisor records the collective's vote (a gate; failed: end 'no'); step b: the end."""
    data = copy.deepcopy(base())
    data["vote_rules"]["v"] = {"title": T, "scale": "two_level", "mode": "each", "base": "summoned",
                               "quorum": {"fraction": "2/3", "of": "summoned"}, "pass": {"op": "gt", "fraction": "1/2"},
                               "outside_names": "count", "cite": "Art. 3"}
    data["steps"] = [{"key": "a", "title": T, "acted_by": T, "role": "supervisor", "vote": "v"},
                     {"key": "b", "title": T, "acted_by": T, "role": "staff"}]
    data["transitions"] = [{"trigger": "advance", "source": "a", "dest": "b"},
                           {"trigger": "advance", "source": "a", "when": "failed", "end": "no"},
                           {"trigger": "advance", "source": "b", "end": "yes"},
                           {"trigger": "return", "source": "b", "dest": "a"}]
    return parse(data, "t.v1.yaml", schema=SCHEMA)


D = definition()


def case(records=(), **row) -> Case:
    values = dict(id=7, definition_key="t", definition_version=1, title="T", unit_id=2, state="a", status="open",
                  version=3, step_started_at=NOW, step_due=None, awaiting=None, approval_requested_by=None, opened_by=1,
                  opened_at=NOW, updated_at=NOW, unit_path="/1/2/")
    values.update(row)
    return Case(CaseRow(**values), D, lambda: list(records), today_of=NOW.date())


def decide(c, user, action, input=None):
    return ACTIONS[action].decide(c, user, input or {}, NOW, Limits())


def tally_record(agree: int, rid: int = 1, actor: int = LEAD.id) -> Record:
    return Record("a", "tally", {**TALLY, "members": None, "candidates": {"An": {"agree": agree, "disagree": 0}},
                                 "nominees": ["An"], "held_on": None, "place": None}, NOW, actor, rid)


def test_a_failed_gate_makes_the_case_wait_for_a_supervisors_decision_and_a_pass_does_not():
    c = case()
    failed = decide(c, LEAD, "tally", {"tally": {**TALLY, "candidates": {"An": {"agree": 5}}}})
    assert settle(c, failed, NOW)["awaiting"] == AWAIT_DECISION
    passed = decide(c, LEAD, "tally", {"tally": {**TALLY, "candidates": {"An": {"agree": 6}}}})
    assert settle(c, passed, NOW).get("awaiting") is None       # nothing awaited: unchanged, not written


def test_the_lawful_next_actions_after_a_failed_gate_are_the_failed_branches_and_the_returns():
    at_a = case([tally_record(5)], awaiting=AWAIT_DECISION)
    assert [n.to_dict() for n in lawful_next(at_a)] == [{"kind": "end", "target": "no"}]
    at_b = case(state="b")
    assert [n.to_dict() for n in lawful_next(at_b)] == [{"kind": "return", "target": "a"}]


def test_deciding_to_end_needs_the_outcomes_decision_record_and_an_outcome_the_branch_names():
    c = case([tally_record(5)], awaiting=AWAIT_DECISION)
    with pytest.raises(NotAllowed):
        decide(c, LEAD2, "decide", {"outcome": "yes", "reason": "x"})
    ch = decide(c, LEAD2, "decide", {"outcome": "no", "reason": "không đạt"})      # 'no' needs no decision record
    assert ch.to_state == "completed" and ch.values["outcome"] == "no" and "decision" not in ch.payload
    assert settle(c, ch, NOW)["status"] == "completed"


def test_the_last_steps_advance_ends_with_its_outcome_and_its_decision_record():
    c = case(state="b")
    with pytest.raises(GuardFailed) as e:
        decide(c, STAFF, "advance")
    assert e.value.key == "guard.decision_record" and set(e.value.fields) == {"decision_no", "decision_date", "signer"}
    ch = decide(c, STAFF, "advance", {"decision_no": "12-QĐ", "decision_date": "2026-03-02", "signer": "Bí thư"})
    assert ch.kind == "completed" and ch.values["outcome"] == "yes"
    assert ch.add == [("b", "decision", {"outcome": "yes", "decision_no": "12-QĐ", "decision_date": "2026-03-02",
                                         "signer": "Bí thư"})]


def test_a_corrected_tally_entered_by_a_supervisor_is_approved_by_another_never_by_them():
    live = tally_record(5, rid=1)
    c = case([live])
    ch = decide(c, LEAD, "tally", {"tally": {**TALLY, "candidates": {"An": {"agree": 7}}}, "reason": "đếm lại"})
    assert ch.kind == "correction_requested" and [k for _, k, _ in ch.add] == ["correction"]
    assert settle(c, ch, NOW)["awaiting"] == AWAIT_CORRECTION
    pending = Record("a", "correction", ch.add[0][2], NOW, LEAD.id, 2)
    waiting = case([live, pending], awaiting=AWAIT_CORRECTION)
    with pytest.raises(FourEyes):
        decide(waiting, LEAD, "approve_correction")
    ok = decide(waiting, LEAD2, "approve_correction")
    assert ok.supersede_ids == [2, 1]
    (_, kind, tally), = ok.add
    assert kind == "tally" and tally["candidates"]["An"]["agree"] == 7
    assert tally["correction"]["previous"]["candidates"]["An"]["agree"] == 5
    assert tally["correction"]["reason"] == "đếm lại" and tally["correction"]["approved_by"] == LEAD2.id
    assert settle(waiting, ok, NOW)["awaiting"] is None

"""The domain without a database: who may take which action on a case (the one table, its checks
in their fixed order), what each decide() returns, what settle() makes of it, and the actions a
page offers — on plain objects (a CaseRow, records in a list, the shipped definitions)."""
from __future__ import annotations

import datetime as dt

import pytest

from workflow.domain.actions import ACTIONS, Change, Limits, available, settle
from workflow.domain.case import AWAIT_APPROVAL, AWAIT_HEAD, Case, CaseRow, Record
from workflow.domain.errors import FourEyes, Forbidden, NotAllowed, QuorumNotMet, Validation
from workflow.domain.people import User
from workflow.domain.permissions import CASE_ACTIONS, permit
from workflow.domain.search import search_text

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)
STAFF = User(1, "staff", "Staff", "staff", 2, "/1/2/", "Huyện", True)
STAFF2 = User(2, "staff2", "Staff 2", "staff", 2, "/1/2/", "Huyện", True)
LEAD = User(3, "lead", "Lead", "supervisor", 2, "/1/2/", "Huyện", True)
LEAD2 = User(4, "lead2", "Lead 2", "supervisor", 2, "/1/2/", "Huyện", True)
AUDIT = User(5, "audit", "Audit", "auditor", 2, "/1/2/", "Huyện", True)
ADMIN = User(6, "admin", "Admin", "admin", 2, "/1/2/", "Huyện", True)


def case(registry, procedure="committee-personnel", state=None, records=(), **row) -> Case:
    d = registry.get(procedure, 1)
    values = dict(id=7, definition_key=d.key, definition_version=1, title="Kiện toàn", unit_id=2,
                  state=state or d.first.key, status="open", version=3, step_started_at=NOW, step_due=None,
                  awaiting=None, approval_requested_by=None, opened_by=1, opened_at=NOW, updated_at=NOW,
                  unit_path="/1/2/", search=search_text("Kiện toàn"))
    values.update(row)
    return Case(CaseRow(**values), d, lambda: list(records))


def decide(c: Case, user: User, action: str, input=None):
    return ACTIONS[action].decide(c, user, input or {}, NOW, Limits())


def code(call) -> str | None:
    try:
        call()
    except (Forbidden, NotAllowed, FourEyes) as e:
        return e.code
    return None


def test_the_action_table_and_the_permission_table_name_the_same_actions():
    assert list(ACTIONS) == list(CASE_ACTIONS)


@pytest.mark.parametrize("action", list(CASE_ACTIONS))
def test_readers_change_nothing_and_only_supervisors_take_a_supervisors_action(registry, action):
    c = case(registry)
    for reader in (AUDIT, ADMIN):
        assert code(lambda: permit(c, reader, action)) == "forbidden"
    # a supervisor's and the head's actions, and an opinion-only body's, are not staff's
    not_staffs = CASE_ACTIONS[action].by != "step"
    staff_refused = code(lambda: permit(c, STAFF, action)) == "forbidden"
    assert staff_refused == not_staffs


def test_the_checks_run_in_their_order_role_then_state_then_step_then_what_is_awaited(registry):
    closed = case(registry, status="completed", state="completed")
    assert code(lambda: permit(closed, AUDIT, "record")) == "forbidden"         # a reader, before anything
    assert code(lambda: permit(closed, STAFF, "approve")) == "forbidden"        # a supervisor's action
    assert code(lambda: permit(closed, STAFF, "record")) == "not_allowed"       # then the case's state
    at_step = case(registry)
    assert code(lambda: permit(at_step, LEAD, "record")) == "forbidden"         # the step is staff's
    awaiting = case(registry, awaiting=AWAIT_APPROVAL, approval_requested_by=LEAD.id)
    for action in ("record", "tally", "attach", "announce", "advance", "request_approval"):
        assert code(lambda: permit(awaiting, STAFF, action)) == "not_allowed", action
    assert code(lambda: permit(at_step, LEAD, "approve")) == "not_allowed"      # nothing asked
    assert code(lambda: permit(at_step, LEAD, "head_decision")) == "not_allowed"
    assert permit(case(registry, awaiting=AWAIT_HEAD), LEAD, "head_decision").key == at_step.row.state


def test_four_eyes_the_one_who_asked_may_not_approve_another_supervisor_may(registry):
    c = case(registry, state="decision", awaiting=AWAIT_APPROVAL, approval_requested_by=LEAD.id)
    with pytest.raises(FourEyes):
        decide(c, LEAD, "approve")
    assert "approve" not in available(c, LEAD) and "approve" in available(c, LEAD2)


def test_a_record_merges_into_the_steps_form_and_a_field_sent_empty_is_cleared_as_a_correction(registry):
    before = Record("criteria", "form", {"criteria": "HD 38", "seats": 9}, NOW)
    c = case(registry, records=[before])
    ch = decide(c, STAFF, "record", {"fields": {"structure": "9 đồng chí", "seats": ""}, "reason": "chưa chốt"})
    assert ch.add == [("criteria", "form", {"criteria": "HD 38", "structure": "9 đồng chí"})]
    assert ch.supersede == [(["criteria"], ["form"])]
    assert ch.payload == {"step": "criteria", "fields": {"structure": "9 đồng chí"}, "cleared": ["seats"],
                          "corrected": {"seats": {"from": 9, "to": None}}, "reason": "chưa chốt"}


def test_a_saved_value_changed_without_a_reason_is_refused_and_a_new_field_needs_none(registry):
    c = case(registry, records=[Record("criteria", "form", {"criteria": "HD 38", "seats": 9}, NOW)])
    with pytest.raises(Validation) as e:
        decide(c, STAFF, "record", {"fields": {"seats": 7}})
    assert e.value.key == "reason.correction" and e.value.fields == {"reason": "required"}
    added = decide(c, STAFF, "record", {"fields": {"structure": "9 đồng chí"}})
    assert [k for _, k, _ in added.add] == ["form"] and "corrected" not in added.payload


def test_a_form_saved_unchanged_records_nothing(registry):
    c = case(registry, records=[Record("criteria", "form", {"criteria": "HD 38", "seats": 9}, NOW)])
    ch = decide(c, STAFF, "record", {"fields": {"criteria": "HD 38", "seats": "9"}})
    assert ch.noop and ch.add == [] and ch.supersede == []


def test_a_tally_without_quorum_is_refused_with_the_field_to_fix(registry):
    c = case(registry, state="members-conference",
             records=[Record("criteria", "form", {"candidates": ["Nguyễn Văn A"]}, NOW)])
    with pytest.raises(QuorumNotMet) as e:
        decide(c, STAFF, "tally", {"tally": {"summoned": 30, "present": 19, "issued": 19, "collected": 19,
                                             "valid": 19, "invalid": 0, "candidates": {"Nguyễn Văn A": {"agree": 19}}}})
    assert e.value.params["needed"] == 20 and "present" in e.value.fields
    assert e.value.key == "quorum.not_met" and e.value.message == "no quorum: 19 of 30 present, at least 20 needed"


def test_settle_moves_the_version_starts_the_next_step_and_closes_the_case(registry):
    d = registry.get("committee-personnel", 1)
    c = case(registry)
    moved = settle(c, Change("advanced", to_state=d.steps[1].key), NOW)
    assert moved["version"] == 4 and moved["state"] == d.steps[1].key and moved["step_started_at"] == NOW
    done = settle(case(registry, state=d.steps[-1].key, awaiting=AWAIT_APPROVAL),
                  Change("completed", to_state="completed"), NOW)
    assert (done["status"], done["awaiting"], done["step_due"]) == ("completed", None, None)


def test_the_search_text_follows_the_candidate_list_and_nothing_else(registry):
    c = case(registry)
    named = settle(c, decide(c, STAFF, "record", {"fields": {"candidates": ["Lưu Đức Thịnh"]}}), NOW)
    assert named["search"] == search_text("Kiện toàn", ["Lưu Đức Thịnh"])
    unnamed = settle(c, decide(c, STAFF, "record", {"fields": {"criteria": "HD 38"}}), NOW)
    assert "search" not in unnamed


def test_a_reason_is_required_to_cancel_or_return(registry):
    for action in ("cancel", "return"):
        with pytest.raises(Validation) as e:
            decide(case(registry), LEAD, action, {"reason": "  "})
        assert e.value.fields == {"reason": "required"} and e.value.message == "give a reason"


def test_the_actions_offered_at_a_step_are_those_its_definition_has(registry):
    c = case(registry)                   # criteria: a form, no vote, no announcement, no approval
    assert available(c, STAFF) == ["record", "attach", "advance"]
    assert available(c, LEAD) == ["cancel"]
    assert available(c, AUDIT) == []
    assert available(case(registry, status="cancelled", state="cancelled"), LEAD) == []
    assert available(case(registry, state="members-conference"), STAFF) == ["tally", "attach", "advance"]

"""The behaviours users rely on, through the service layer, on SQLite and PostgreSQL: returns,
approvals declined, the head's decision at exactly 50%, nominations, refused input that leaves
nothing behind, deadlines in working days, work queues, sign-in lockout and API tokens."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from workflow.domain.errors import AuthFailed, WorkflowError
from workflow.usecases.engine import Workflow
from workflow.adapters.tables import blobs, cases, events, records, users
from tests.support import ANNOUNCEMENT, APPRAISAL, APPT_C1, APPT_C3, CRITERIA, DECISION, PASSWORD, code_of, tally

ICT = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """The `people` fixture hashes 14 passwords; a lower scrypt cost keeps these tests fast.
    Hashes stay real scrypt hashes, checked with the parameters stored in them."""
    monkeypatch.setattr("workflow.domain.credentials.SCRYPT_N", 2 ** 8)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: dt.datetime):
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at.astimezone(dt.timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 2, 13, 9, 0, tzinfo=ICT))     # Friday before Tết Bính Ngọ (17 Feb 2026)


@pytest.fixture
def cwf(wf, clock) -> Workflow:
    """The same store and definitions, with the hand-moved clock."""
    return Workflow(wf.store, wf.registry, clock=clock)




T = tally(30, {"Nguyễn Văn A": {"agree": 20, "disagree": 5}, "Trần Thị B": {"agree": 16}})




def snapshot(wf) -> dict:
    """Everything a refused action must leave as it was."""
    with wf.store.core() as c:
        return {"events": c.execute(select(func.count()).select_from(events)).scalar_one(),
                "records": c.execute(select(func.count()).select_from(records)).scalar_one(),
                "blobs": c.execute(select(func.count()).select_from(blobs)).scalar_one(),
                "cases": sorted(tuple(r) for r in c.execute(select(cases.c.id, cases.c.version, cases.c.state,
                                                                   cases.c.awaiting)))}


def committee(wf, people, until: str, title="Kiện toàn đảng bộ") -> int:
    s = people.staff
    cid = wf.cases.open_case(s, "committee-personnel", title).case["id"]
    plan = [("criteria", None),
            ("criteria-filled", lambda: wf.cases.record(s, cid, CRITERIA)),
            ("members-conference", lambda: wf.cases.advance(s, cid)),
            ("members-tallied", lambda: wf.cases.tally(s, cid, T)),
            ("block-conference", lambda: wf.cases.advance(s, cid)),
            ("block-tallied", lambda: wf.cases.tally(s, cid, tally(
                20, {"Nguyễn Văn A": {"agree": 15}, "Lê Văn E": {"agree": 12}}))),
            ("appraisal", lambda: wf.cases.advance(s, cid)),
            ("appraisal-filled", lambda: wf.cases.record(s, cid, APPRAISAL)),
            ("decision", lambda: wf.cases.advance(s, cid)),
            ("decision-filled", lambda: wf.cases.record(s, cid, DECISION)),
            ("awaiting-approval", lambda: wf.cases.advance(s, cid)),
            ("announcement", lambda: wf.cases.approve(people.supervisor, cid))]
    for name, step in plan:
        if step is not None:
            step()
        if name == until:
            return cid
    raise AssertionError(until)


def appointment(wf, people, until: str, title="Bổ nhiệm phó giám đốc") -> int:
    """An appointment-internal case; 'collective-3-ready' has the form and the required document."""
    s = people.staff
    cid = wf.cases.open_case(s, "appointment-internal", title).case["id"]
    plan = [("collective-1", None),
            ("expanded-meeting", lambda: (wf.cases.record(s, cid, APPT_C1), wf.cases.advance(s, cid))),
            ("collective-2", lambda: (wf.cases.tally(s, cid, tally(20, {"Lê Văn C": {"agree": 15}, "Phạm Thị D": {"agree": 5}})),
                                      wf.cases.advance(s, cid))),
            ("key-cadres", lambda: (wf.cases.tally(s, cid, tally(10, {"Lê Văn C": {"agree": 8}})), wf.cases.advance(s, cid))),
            ("collective-3", lambda: (wf.cases.tally(s, cid, tally(30, {"Lê Văn C": {"agree": 25, "disagree": 5}})),
                                      wf.cases.advance(s, cid))),
            ("collective-3-ready", lambda: (wf.cases.record(s, cid, APPT_C3),
                                            wf.cases.attach(s, cid, "nhan-xet.pdf", b"%PDF nx", doc_type="sc-assessment")))]
    for name, step in plan:
        if step is not None:
            step()
        if name == until:
            return cid
    raise AssertionError(until)


# ---- returns ------------------------------------------------------------------------------------

def test_return_to_an_earlier_step_sets_aside_its_and_later_records_and_guards_need_fresh_tallies(wf, people):
    s, lead = people.staff, people.supervisor
    cid = committee(wf, people, "appraisal-filled")
    assert "Lê Văn E" in wf.queries.get_case(s, cid).candidates            # a nominee of the block conference
    with wf.store.core() as c:
        rows_before = c.execute(select(func.count()).select_from(records).where(records.c.case_id == cid)).scalar_one()

    r = wf.cases.return_case(lead, cid, "biên bản kiểm phiếu sai", to="members-conference")
    assert r.case["state"] == "members-conference"
    d = wf.queries.get_case(s, cid)
    assert d.steps["criteria"].form == CRITERIA                          # before the target: kept
    assert d.steps["members-conference"].tally is None                   # the target and later: set aside
    assert d.steps["block-conference"].tally is None
    assert d.steps["appraisal"].form == {}
    assert d.candidates == CRITERIA["candidates"] and d.nominees == []
    with wf.store.core() as c:
        rows = c.execute(select(records.c.step_key, records.c.kind, records.c.superseded)
                         .where(records.c.case_id == cid)).all()
    assert len(rows) == rows_before                                      # nothing deleted
    assert {(k, kind) for k, kind, sup in rows if sup} == {
        ("members-conference", "tally"), ("block-conference", "tally"), ("appraisal", "form")}
    kinds = [e["kind"] for e in wf.queries.history(s, cid)]
    assert kinds.count("tally_recorded") == 2 and kinds[-1] == "returned"   # the history keeps the old ones

    assert code_of(lambda: wf.cases.advance(s, cid)) == "guard_failed"         # needs a fresh tally
    wf.cases.tally(s, cid, T)
    wf.cases.advance(s, cid)
    assert code_of(lambda: wf.cases.advance(s, cid)) == "guard_failed"         # and so does the next conference
    wf.cases.tally(s, cid, T)
    wf.cases.advance(s, cid)
    assert code_of(lambda: wf.cases.advance(s, cid)) == "guard_failed"         # appraisal form must be filled again
    assert wf.queries.get_case(s, cid).summary.state == "appraisal"


def test_return_needs_a_reason_and_a_declared_target(wf, people):
    lead = people.supervisor
    cid = committee(wf, people, "appraisal")
    before = snapshot(wf)
    assert code_of(lambda: wf.cases.return_case(lead, cid, "  ", to="members-conference")) == "validation"
    assert code_of(lambda: wf.cases.return_case(lead, cid, "lý do", to="criteria")) == "not_allowed"   # not declared
    assert code_of(lambda: wf.cases.return_case(lead, cid, "lý do", to="decision")) == "not_allowed"   # not earlier
    assert snapshot(wf) == before
    # without `to` and no pending approval: the latest declared target
    assert wf.cases.return_case(lead, cid, "lý do").case["state"] == "block-conference"


def test_return_without_to_while_approval_is_pending_declines_and_stays_on_the_step(wf, people):
    s, lead = people.staff, people.supervisor
    cid = committee(wf, people, "awaiting-approval")
    assert code_of(lambda: wf.cases.record(s, cid, {"decision_no": "46-QĐ/HU"})) == "not_allowed"   # frozen meanwhile
    r = wf.cases.return_case(lead, cid, "sai số quyết định")
    assert r.case["state"] == "decision" and r.case["awaiting"] is None
    d = wf.queries.get_case(s, cid)
    assert d.steps["decision"].form == DECISION                           # the step's work is kept
    assert d.steps["decision"].approval == {"approved": False, "reason": "sai số quyết định"}
    assert code_of(lambda: wf.cases.approve(people.supervisor2, cid)) == "not_allowed"   # nothing pending any more
    wf.cases.record(s, cid, {"decision_no": "46-QĐ/HU"}, reason="sai số quyết định")    # a correction: its reason
    assert wf.cases.advance(s, cid).case["awaiting"] == "approval"
    assert wf.cases.approve(people.supervisor2, cid).case["state"] == "announcement"


# ---- the head decides at exactly 50% --------------------------------------------------------------

def test_exactly_half_of_all_members_waits_for_the_head_who_accepts_and_the_case_moves_on(wf, people):
    s, lead = people.staff, people.supervisor
    cid = appointment(wf, people, "collective-3-ready")
    r = wf.cases.tally(s, cid, tally(8, {"Lê Văn C": {"agree": 5, "disagree": 3}}, members=10))  # 5 of 10 members
    assert r.case["awaiting"] == "head_decision"
    assert r.info["result"]["awaiting_head"] == ["Lê Văn C"] and r.info["result"]["base_value"] == 10
    assert wf.queries.get_case(s, cid).summary.awaiting == "head_decision"
    before = snapshot(wf)
    assert code_of(lambda: wf.cases.advance(s, cid)) == "guard_failed"
    assert code_of(lambda: wf.cases.head_decision(s, cid, "Lê Văn C", True)) == "forbidden"
    assert code_of(lambda: wf.cases.head_decision(lead, cid, "Người khác", True)) == "not_allowed"
    assert snapshot(wf) == before
    r = wf.cases.head_decision(lead, cid, "Lê Văn C", True, comment="Người đứng đầu quyết định")
    assert r.case["awaiting"] is None and r.info["result"]["passed"] is True
    assert wf.cases.advance(s, cid).case["state"] == "decision"


def test_exactly_half_and_the_head_rejects_the_vote_fails_and_waits_for_a_supervisors_decision(wf, people):
    s, lead = people.staff, people.supervisor
    cid = appointment(wf, people, "collective-3-ready")
    wf.cases.tally(s, cid, tally(10, {"Lê Văn C": {"agree": 5, "disagree": 5}}, members=10))
    r = wf.cases.head_decision(lead, cid, "Lê Văn C", False)
    assert r.case["awaiting"] == "decision" and r.info["result"]["passed"] is False
    with pytest.raises(WorkflowError) as e:
        wf.cases.advance(s, cid)
    assert e.value.code == "guard_failed" and "did not pass" in e.value.message
    assert wf.queries.get_case(s, cid).summary.state == "collective-3"


def test_one_vote_over_half_passes_without_the_head_and_one_under_fails(wf, people):
    s = people.staff
    cid = appointment(wf, people, "collective-3-ready")
    # one under half of the members: the gate fails and the case waits for a supervisor's decision
    assert wf.cases.tally(s, cid, tally(10, {"Lê Văn C": {"agree": 4}}, members=10)).case["awaiting"] == "decision"
    assert code_of(lambda: wf.cases.advance(s, cid)) == "guard_failed"
    # re-entered, it is a correction: it needs a reason and takes effect once another approves it
    assert code_of(lambda: wf.cases.tally(s, cid, tally(10, {"Lê Văn C": {"agree": 6}}, members=10))) == "validation"
    r = wf.cases.tally(s, cid, tally(10, {"Lê Văn C": {"agree": 6}}, members=10), reason="đếm lại")
    assert r.case["awaiting"] == "correction"
    assert code_of(lambda: wf.cases.advance(s, cid)) == "guard_failed"
    r = wf.cases.act(people.supervisor, cid, "approve_correction", {})
    assert r.case["awaiting"] is None
    assert wf.cases.advance(s, cid).case["state"] == "decision"


# ---- nominations and the candidate list -------------------------------------------------------

def test_nomination_where_nobody_passes_carries_the_top_two_to_the_next_conference(wf, people):
    s = people.staff
    cid = appointment(wf, people, "expanded-meeting")
    r = wf.cases.tally(s, cid, tally(20, {"Lê Văn C": {"agree": 8}, "Phạm Thị D": {"agree": 7}, "Võ Văn E": {"agree": 5}}))
    res = r.info["result"]
    assert res["passed"] is True and res["going_on"] == ["Lê Văn C", "Phạm Thị D"]
    assert {c["name"]: c["status"] for c in res["candidates"]} == {
        "Lê Văn C": "runoff", "Phạm Thị D": "runoff", "Võ Văn E": "not_selected"}
    assert wf.cases.advance(s, cid).case["state"] == "collective-2"
    kept = wf.queries.get_case(s, cid).steps["expanded-meeting"].tally_result.outcome.going_on
    assert kept == ("Lê Văn C", "Phạm Thị D")
    r = wf.cases.tally(s, cid, tally(10, {"Lê Văn C": {"agree": 6}, "Phạm Thị D": {"agree": 4}}))
    assert r.info["result"]["going_on"] == ["Lê Văn C"]


def test_after_a_nomination_only_those_it_sent_on_are_candidates_at_the_next_conference(wf, people):
    s = people.staff
    cid = appointment(wf, people, "expanded-meeting")
    wf.cases.tally(s, cid, tally(20, {"Lê Văn C": {"agree": 8}, "Phạm Thị D": {"agree": 7}, "Võ Văn E": {"agree": 5}}))
    assert wf.queries.get_case(s, cid).candidates == ["Lê Văn C", "Phạm Thị D"]          # nobody over half: top two
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally(10, {"Lê Văn C": {"agree": 6}, "Phạm Thị D": {"agree": 4}}))
    wf.cases.advance(s, cid)                                                     # key-cadres: no nominees allowed
    with pytest.raises(WorkflowError) as e:
        wf.cases.tally(s, cid, tally(30, {"Lê Văn C": {"agree": 25}, "Phạm Thị D": {"agree": 3}}))
    assert e.value.code == "invalid_tally" and "candidates.Phạm Thị D" in e.value.fields


def test_a_nominee_added_where_nominees_are_allowed_joins_the_candidate_list_for_later_steps(wf, people):
    s = people.staff
    cid = appointment(wf, people, "expanded-meeting")
    wf.cases.tally(s, cid, tally(20, {"Lê Văn C": {"agree": 5}, "Võ Văn E": {"agree": 15}}))
    d = wf.queries.get_case(s, cid)
    # the nominee won the nomination outright (15 of 20): only the person it sent on stays in the running
    assert d.nominees == ["Võ Văn E"] and d.candidates == ["Võ Văn E"]
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally(10, {"Võ Văn E": {"agree": 8}}))
    wf.cases.advance(s, cid)                                                     # key-cadres: no nominees allowed
    assert wf.cases.tally(s, cid, tally(30, {"Võ Văn E": {"agree": 25}})).case["state"] == "key-cadres"
    before = snapshot(wf)
    with pytest.raises(WorkflowError) as e:
        wf.cases.tally(s, cid, tally(30, {"Võ Văn E": {"agree": 25}, "Người Lạ": {"agree": 20}}))
    assert e.value.code == "invalid_tally" and "candidates.Người Lạ" in e.value.fields
    assert snapshot(wf) == before


def test_a_candidate_off_the_list_at_a_conference_without_nominees_is_an_invalid_tally(wf, people):
    cid = committee(wf, people, "members-conference")
    before = snapshot(wf)
    with pytest.raises(WorkflowError) as e:
        wf.cases.tally(people.staff, cid, tally(30, {"Nguyễn Văn A": {"agree": 20}, "Ngoài Danh Sách": {"agree": 20}}))
    assert e.value.code == "invalid_tally" and "candidates.Ngoài Danh Sách" in e.value.fields
    assert snapshot(wf) == before


def test_quorum_not_met_saves_nothing(wf, people):
    cid = committee(wf, people, "members-conference")
    before = snapshot(wf)
    with pytest.raises(WorkflowError) as e:                               # 19 of 30: two thirds is 20
        wf.cases.tally(people.staff, cid, tally(30, {"Nguyễn Văn A": {"agree": 19}}, present=19))
    assert e.value.code == "quorum_not_met" and e.value.params["needed"] == 20
    assert snapshot(wf) == before
    assert wf.cases.tally(people.staff, cid, tally(30, {"Nguyễn Văn A": {"agree": 19}}, present=20)).case["version"] == 4


# ---- refused input leaves nothing behind --------------------------------------------------------

def test_every_kind_of_invalid_input_is_refused_and_leaves_nothing_behind(wf, people):
    s, lead = people.staff, people.supervisor
    first = committee(wf, people, "criteria", "Bước 1")
    conf = committee(wf, people, "members-conference", "Bước 2")
    ann = committee(wf, people, "announcement", "Bước 6")
    wf = Workflow(wf.store, wf.registry, max_upload=64)
    bad = {
        "integer as text": (lambda: wf.cases.record(s, first, {"seats": "chín"}), "validation"),
        "integer as bool": (lambda: wf.cases.record(s, first, {"seats": True}), "validation"),
        "unknown field": (lambda: wf.cases.record(s, first, {"criteria": "ok", "secret": "x"}), "validation"),
        "candidates twice": (lambda: wf.cases.record(s, first, {"candidates": ["A", "A"]}), "validation"),
        "candidates not a list": (lambda: wf.cases.record(s, first, {"candidates": 5}), "validation"),
        "text too long": (lambda: wf.cases.record(s, first, {"criteria": "x" * 20_001}), "validation"),
        "form not a mapping": (lambda: wf.cases.record(s, first, ["criteria"]), "validation"),
        "form at a step that has none": (lambda: wf.cases.record(s, ann, {"x": 1}), "not_allowed"),
        "expected_version not a number": (lambda: wf.cases.record(s, first, CRITERIA, expected_version="1"), "validation"),
        "stale expected_version": (lambda: wf.cases.record(s, first, CRITERIA, expected_version=99), "version_conflict"),
        "empty upload": (lambda: wf.cases.attach(s, first, "a.pdf", b""), "validation"),
        "oversized upload": (lambda: wf.cases.attach(s, first, "a.pdf", b"x" * 65), "validation"),
        "forbidden type": (lambda: wf.cases.attach(s, first, "virus.exe", b"MZ"), "validation"),
        "no extension": (lambda: wf.cases.attach(s, first, "README", b"text"), "validation"),
        "unknown doc_type": (lambda: wf.cases.attach(s, first, "a.pdf", b"%PDF", doc_type="decision"), "validation"),
        "upload not bytes": (lambda: wf.cases.attach(s, first, "a.txt", "chữ"), "validation"),
        "tally present > summoned": (lambda: wf.cases.tally(s, conf, tally(10, {"Nguyễn Văn A": {"agree": 5}}, present=11)),
                                     "invalid_tally"),
        "tally votes > valid": (lambda: wf.cases.tally(s, conf, tally(30, {"Nguyễn Văn A": {"agree": 31}})), "invalid_tally"),
        "tally unknown measure": (lambda: wf.cases.tally(s, conf, tally(30, {"Nguyễn Văn A": {"high": 3}})), "invalid_tally"),
        "tally negative": (lambda: wf.cases.tally(s, conf, {**tally(30, {"Nguyễn Văn A": {"agree": 3}}), "invalid": -1}),
                           "invalid_tally"),
        "tally not a mapping": (lambda: wf.cases.tally(s, conf, [30, 30]), "invalid_tally"),
        "tally without candidates": (lambda: wf.cases.tally(s, conf, tally(30, {})), "invalid_tally"),
        "announcement missing signer": (lambda: wf.cases.announce(s, ann, {**ANNOUNCEMENT, "signer": ""}), "validation"),
        "announcement bad date": (lambda: wf.cases.announce(s, ann, {**ANNOUNCEMENT, "date": "15/01/2026"}), "validation"),
        "announcement not a mapping": (lambda: wf.cases.announce(s, ann, "Công bố"), "validation"),
        "announcement multi-line number": (lambda: wf.cases.announce(s, ann, {**ANNOUNCEMENT, "decision_no": "45\n46"}),
                                           "validation"),
        "cancel without reason": (lambda: wf.cases.cancel(lead, first, ""), "validation"),
        "return with a 2001-character reason": (lambda: wf.cases.return_case(lead, conf, "x" * 2001), "validation"),
        "open without title": (lambda: wf.cases.open_case(s, "committee-personnel", "  "), "validation"),
        "open unknown procedure": (lambda: wf.cases.open_case(s, "no-such-procedure", "x"), "not_found"),
        "open unknown unit": (lambda: wf.cases.open_case(s, "committee-personnel", "x", unit_id=99_999), "not_found"),
        "case id as text": (lambda: wf.cases.record(s, str(first), CRITERIA), "not_found"),
    }
    before = snapshot(wf)
    seen = {name: code_of(call) for name, (call, _) in bad.items()}
    assert seen == {name: code for name, (_, code) in bad.items()}
    assert snapshot(wf) == before
    # and the same actions with good input do go through
    wf.cases.record(s, first, CRITERIA)
    wf.cases.attach(s, first, "a.pdf", b"x" * 64)
    assert snapshot(wf)["events"] == before["events"] + 2


# ---- deadlines ----------------------------------------------------------------------------------

def test_step_due_counts_working_days_and_skips_the_tet_holidays(cwf, people, clock):
    r = cwf.cases.open_case(people.staff, "committee-personnel", "Mở trước Tết")
    # Fri 13 Feb 2026 + 10 working days: Mon 16 – Fri 20 Feb are Tết (not counted), then
    # 23–27 Feb (5) and 2–6 Mar (10). Counting weekends only would give Fri 27 Feb.
    assert r.case["step_due"] == "2026-03-06"
    cid = r.case["id"]
    cwf.cases.record(people.staff, cid, CRITERIA)
    clock.at = dt.datetime(2026, 4, 24, 10, 0, tzinfo=ICT)               # Fri 24 Apr 2026
    r = cwf.cases.advance(people.staff, cid)
    # the new step's 10 days start now: 27 Apr (Hùng Kings, observed), 30 Apr and 1 May are holidays
    assert r.case["step_due"] == "2026-05-13"
    assert cwf.queries.get_case(people.staff, cid).summary.step_due == dt.date(2026, 5, 13)


def test_overdue_filter_lists_open_cases_past_their_step_deadline_and_nothing_else(cwf, people, clock):
    s, lead = people.staff, people.supervisor
    late = cwf.cases.open_case(s, "committee-personnel", "Quá hạn").case["id"]                 # due 6 Mar
    cancelled = cwf.cases.open_case(s, "committee-personnel", "Đã hủy").case["id"]
    cwf.cases.cancel(lead, cancelled, "trùng")
    other_district = cwf.cases.open_case(people.staff_b, "committee-personnel", "Huyện B quá hạn").case["id"]
    clock.at = dt.datetime(2026, 3, 6, 16, 0, tzinfo=ICT)                                  # the due day itself
    fresh = cwf.cases.open_case(s, "committee-personnel", "Mới mở").case["id"]
    assert cwf.queries.list_cases(s, overdue=True).total == 0
    clock.at = dt.datetime(2026, 3, 7, 8, 0, tzinfo=ICT)                                   # the day after
    assert [c.id for c in cwf.queries.list_cases(s, overdue=True).items] == [late]
    assert {c.id for c in cwf.queries.list_cases(people.province_auditor, overdue=True).items} == {late, other_district}
    assert fresh not in {c.id for c in cwf.queries.list_cases(people.province_auditor, overdue=True).items}


def test_a_summarys_overdue_flag_agrees_with_the_overdue_filter(cwf, people, clock):
    cwf.cases.open_case(people.staff, "committee-personnel", "Đúng hạn")                        # due 6 Mar 2026
    clock.at = dt.datetime(2026, 3, 6, 16, 0, tzinfo=ICT)
    assert cwf.queries.list_cases(people.staff, overdue=True).total == 0
    summary = cwf.queries.list_cases(people.staff).items[0]
    assert summary.overdue is False


# ---- work queues --------------------------------------------------------------------------------

def test_work_queue_staff_see_cases_waiting_for_staff_supervisors_see_approvals_and_head_decisions(wf, people):
    at_staff = committee(wf, people, "criteria-filled", "Chờ chuyên viên")
    awaiting = committee(wf, people, "awaiting-approval", "Chờ phê duyệt")
    head = appointment(wf, people, "collective-3-ready", "Chờ người đứng đầu")
    wf.cases.tally(people.staff, head, tally(10, {"Lê Văn C": {"agree": 5}}, members=10))
    done = committee(wf, people, "criteria", "Đã hủy")
    wf.cases.cancel(people.supervisor, done, "trùng")
    elsewhere = wf.cases.open_case(people.staff_b, "committee-personnel", "Huyện B").case["id"]

    assert [c.id for c in wf.queries.work_queue(people.staff).items] == [at_staff]
    assert {c.id for c in wf.queries.work_queue(people.supervisor).items} == {awaiting, head}
    assert {c.awaiting for c in wf.queries.work_queue(people.supervisor2).items} == {"approval", "head_decision"}
    assert [c.id for c in wf.queries.work_queue(people.staff_b).items] == [elsewhere]
    assert wf.queries.work_queue(people.supervisor_b).items == []
    assert wf.queries.work_queue(people.auditor).items == [] and wf.queries.work_queue(people.admin).items == []
    wf.cases.approve(people.supervisor, awaiting)
    assert {c.id for c in wf.queries.work_queue(people.staff).items} == {at_staff, awaiting}
    assert [c.id for c in wf.queries.work_queue(people.supervisor).items] == [head]


def test_a_long_work_queue_shows_its_oldest_steps_and_says_how_many_wait(wf, people, monkeypatch):
    ids = [wf.cases.open_case(people.staff, "committee-personnel", f"Hồ sơ {i}").case["id"] for i in range(5)]
    q = wf.queries.work_queue(people.staff, limit=2)
    assert [c.id for c in q.items] == ids[:2] and (q.total, q.exact) == (5, True)
    q = wf.queries.work_queue(people.staff, limit=5)           # exactly full: still counted right
    assert len(q.items) == 5 and (q.total, q.exact) == (5, True)
    assert wf.queries.work_queue(people.staff_b).total == 0
    monkeypatch.setattr("workflow.adapters.queries.COUNT_WINDOW", 1)     # a huge queue: a lower bound, said so
    q = wf.queries.work_queue(people.staff, limit=2)
    assert len(q.items) == 2 and q.total >= 3 and q.exact is False


# ---- signing in ---------------------------------------------------------------------------------

def _sign_in_failures(wf) -> list[dict]:
    import json
    with wf.store.core() as c:
        return [json.loads(p) | {"actor": a} for a, p in c.execute(
            select(events.c.actor, events.c.payload).where(events.c.kind == "sign_in_failed").order_by(events.c.seq))]


def test_five_wrong_passwords_lock_the_account_for_five_minutes_even_with_the_right_password(cwf, people, clock):
    t0 = clock.at
    for i in range(5):
        with pytest.raises(AuthFailed) as e:
            cwf.people.authenticate("staff", f"wrong password {i}", source="10.0.0.1")
        assert e.value.params["reason"] == "bad_password"
        assert len(_sign_in_failures(cwf)) == i + 1
    clock.at = t0 + dt.timedelta(minutes=1)
    with pytest.raises(AuthFailed) as e:
        cwf.people.authenticate("staff", PASSWORD)
    assert e.value.params["reason"] == "locked"
    clock.at = t0 + dt.timedelta(minutes=4, seconds=59)
    with pytest.raises(AuthFailed):
        cwf.people.authenticate("staff", PASSWORD)
    assert [f["reason"] for f in _sign_in_failures(cwf)] == ["bad_password"] * 5 + ["locked"] * 2
    clock.at = t0 + dt.timedelta(minutes=5, seconds=1)
    assert cwf.people.authenticate("staff", PASSWORD).id == people.staff
    with cwf.store.core() as c:
        row = c.execute(select(users.c.failed_logins, users.c.locked_until).where(users.c.id == people.staff)).one()
    assert (row.failed_logins, row.locked_until) == (0, None)
    assert cwf.people.authenticate("staff2", PASSWORD).id == people.staff2          # others were never affected


def test_a_successful_sign_in_resets_the_count_of_failures(cwf, people):
    for _ in range(2):
        for _ in range(4):
            with pytest.raises(AuthFailed):
                cwf.people.authenticate("staff", "not the password")
        assert cwf.people.authenticate("staff", PASSWORD).id == people.staff     # 8 failures in all, never 5 in a row


def test_an_unknown_user_name_fails_like_a_wrong_password_and_is_recorded(cwf, people):
    with pytest.raises(AuthFailed) as unknown:
        cwf.people.authenticate("no-such-user", PASSWORD, source="10.0.0.9")
    with pytest.raises(AuthFailed) as wrong:
        cwf.people.authenticate("staff", "not the password")
    assert unknown.value.message == wrong.value.message
    failures = _sign_in_failures(cwf)
    assert [(f["actor"], f["reason"]) for f in failures] == [("no-such-user", "unknown_user"), ("staff", "bad_password")]
    assert failures[0]["source"] == "10.0.0.9"
    assert cwf.queries.verify().ok


# ---- API tokens ---------------------------------------------------------------------------------

def test_api_tokens_work_until_revoked_and_stop_at_once_when_the_user_is_deactivated(wf, people):
    tid, token = wf.people.create_token(people.staff, "Máy chủ báo cáo")
    assert wf.directory.user_for_token(token).id == people.staff
    assert [t["name"] for t in wf.directory.list_tokens(people.staff)] == ["Máy chủ báo cáo"]
    assert code_of(lambda: wf.people.revoke_token(people.staff2, tid)) == "not_found"        # not theirs
    wf.people.revoke_token(people.staff, tid)
    assert wf.directory.user_for_token(token) is None
    assert code_of(lambda: wf.people.revoke_token(people.staff, tid)) == "not_found"         # already revoked

    _, token2 = wf.people.create_token(people.staff, "Điện thoại")
    assert wf.directory.user_for_token(token2).id == people.staff
    wf.people.update_user(people.admin, people.staff, active=False)
    assert wf.directory.user_for_token(token2) is None
    wf.people.update_user(people.admin, people.staff, active=True)
    assert wf.directory.user_for_token(token2).id == people.staff
    for junk in ("", "cf_", "cf_" + "x" * 300, token2 + "x", token2.upper(), None, 42):
        assert wf.directory.user_for_token(junk) is None
    assert code_of(lambda: wf.people.create_token(people.staff, "   ")) == "validation"


def test_a_completed_or_cancelled_case_takes_no_more_actions(wf, people):
    s, lead = people.staff, people.supervisor
    cancelled = committee(wf, people, "criteria-filled", "Hủy")
    wf.cases.cancel(lead, cancelled, "không còn nhu cầu")
    before = snapshot(wf)
    calls = {"record": lambda: wf.cases.record(s, cancelled, CRITERIA), "advance": lambda: wf.cases.advance(s, cancelled),
             "attach": lambda: wf.cases.attach(s, cancelled, "a.pdf", b"%PDF"),
             "cancel": lambda: wf.cases.cancel(lead, cancelled, "lần nữa"),
             "return": lambda: wf.cases.return_case(lead, cancelled, "mở lại")}
    assert {k: code_of(c) for k, c in calls.items()} == {k: "not_allowed" for k in calls}
    assert snapshot(wf) == before
    d = wf.queries.get_case(s, cancelled)
    assert d.summary.status == "cancelled" and d.actions == [] and d.step is None and d.summary.step_due is None

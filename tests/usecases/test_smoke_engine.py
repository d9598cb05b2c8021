"""A committee-personnel case from opening to completion through the service layer."""
from workflow.domain.errors import GuardFailed


def test_committee_personnel_case_runs_all_seven_steps_and_the_record_verifies(wf, people):
    s, lead = people.staff, people.supervisor
    case = wf.cases.open_case(s, "committee-personnel", "Kiện toàn đảng bộ khối chính quyền").case
    cid = case["id"]
    wf.cases.record(s, cid, {"criteria": "Theo HD 38", "structure": "9", "seats": 9, "candidates": ["A", "B"]})
    wf.cases.advance(s, cid)
    tally = {"summoned": 30, "present": 25, "issued": 25, "collected": 25, "valid": 25, "invalid": 0,
             "candidates": {"A": {"agree": 20, "disagree": 5}, "B": {"agree": 16, "disagree": 9}}}
    wf.cases.tally(s, cid, tally)
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, {**tally, "candidates": {"A": {"agree": 20, "disagree": 5}, "C": {"agree": 18, "disagree": 7}}})
    wf.cases.advance(s, cid)
    wf.cases.record(s, cid, {"appraisal": "Đạt", "submission_no": "12-TTr/HU", "submission_date": "2026-01-10"})
    wf.cases.advance(s, cid)
    wf.cases.record(s, cid, {"decision_no": "45-QĐ/HU", "decision_date": "2026-01-12", "appointees": "A – bí thư"})
    r = wf.cases.advance(s, cid)
    assert r.case["awaiting"] == "approval" and r.case["state"] == "decision"
    try:
        wf.cases.approve(s, cid)
    except Exception as e:  # staff cannot approve at all
        assert e.code == "forbidden"
    r = wf.cases.approve(lead, cid)
    assert r.case["state"] == "announcement"
    try:
        wf.cases.advance(s, cid)
        raise AssertionError("left the announcement step without an announcement")
    except GuardFailed:
        pass
    wf.cases.announce(s, cid, {"decision_no": "45-QĐ/HU", "date": "2026-01-15", "signer": "Bí thư", "text": "Công bố"})
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, {**tally, "summoned": 9, "present": 9, "issued": 9, "collected": 9, "valid": 9,
                      "candidates": {"D": {"agree": 9}}})
    wf.cases.record(s, cid, {"assignments": "Phân công"})
    r = wf.cases.advance(s, cid)
    assert r.case["status"] == "completed" and r.case["step_no"] == 7
    v = wf.queries.verify(people.auditor)
    assert v.ok and v.events >= 14


"""Role × unit × endpoint for the API: allowed means the engine looked at the request (any answer
but 401/403/404); refused means 403 in one's own unit and 404 for another unit's case (its
existence is not leaked)."""
from __future__ import annotations

import pytest

ROLES = {"staff": ("staff", "staff_b"), "supervisor": ("supervisor", "supervisor_b"),
         "auditor": ("auditor", "auditor_b")}
CASE_POSTS = {
    "record": {"fields": {"criteria": "x"}}, "tally": {"tally": {}}, "advance": {}, "request-approval": {},
    "announce": {"decision_no": "1", "date": "2026-01-01", "signer": "x", "text": "x"},
    "approve": {}, "return": {"reason": "x"}, "head-decision": {"candidate": "A", "accept": True},
    "cancel": {"reason": "x"}}
STAFF_ACTIONS = {"record", "tally", "advance", "request-approval", "announce"}
SUPERVISOR_ACTIONS = {"approve", "return", "head-decision", "cancel"}


def allowed(role: str, action: str) -> bool:
    return (role == "staff" and action in STAFF_ACTIONS) or (role == "supervisor" and action in SUPERVISOR_ACTIONS)


@pytest.mark.parametrize("action", sorted(CASE_POSTS))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_case_actions_by_role_and_unit(api, role, action):
    cid = api("staff").post("/cases", {"procedure": "committee-personnel", "title": "Ma trận"}).get_json()["case"]["id"]
    own, other = ROLES[role]
    r = api(own).post(f"/cases/{cid}/{action}", {"expected_version": 1, **CASE_POSTS[action]})
    if allowed(role, action):
        assert r.status_code not in (401, 403, 404), (role, action, r.get_json())
    else:
        assert (r.status_code, r.get_json()["error"]) == (403, "forbidden"), (role, action, r.get_json())
    r = api(other).post(f"/cases/{cid}/{action}", {"expected_version": 1, **CASE_POSTS[action]})
    assert (r.status_code, r.get_json()["error"]) == (404, "not_found"), (role, action, r.get_json())


@pytest.mark.parametrize("who,own_ok", [("staff", True), ("supervisor", True), ("auditor", True), ("admin", True),
                                        ("staff_b", False), ("auditor_b", False), ("province_auditor", True)])
def test_reading_a_case_and_its_history(api, who, own_ok):
    cid = api("staff").post("/cases", {"procedure": "committee-personnel", "title": "Đọc"}).get_json()["case"]["id"]
    for path in (f"/cases/{cid}", f"/cases/{cid}/history"):
        assert api(who).get(path).status_code == (200 if own_ok else 404)


@pytest.mark.parametrize("who,status", [("staff", 201), ("supervisor", 403), ("auditor", 403), ("admin", 403)])
def test_who_may_open_a_case(api, who, status):
    r = api(who).post("/cases", {"procedure": "committee-personnel", "title": "Mở"})
    assert r.status_code == status


def test_opening_a_case_in_another_unit_is_not_found(api, people):
    r = api("staff").post("/cases", {"procedure": "committee-personnel", "title": "x", "unit_id": people.district_b})
    assert r.status_code == 404


@pytest.mark.parametrize("who,status", [("staff", 403), ("supervisor", 200), ("auditor", 200), ("admin", 200)])
def test_who_may_verify_and_search_the_record(api, who, status):
    assert api(who).get("/audit/verify").status_code == status
    assert api(who).get("/audit/events").status_code == status

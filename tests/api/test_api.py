"""The JSON API: the engine's use cases over HTTP, every answer checked against the OpenAPI document."""
from __future__ import annotations

from sqlalchemy import func, select

from workflow.adapters.tables import events
from tests.support import n_events

TALLY_OK = {"summoned": 30, "present": 25, "issued": 25, "collected": 25, "valid": 25, "invalid": 0,
            "candidates": {"A": {"agree": 20, "disagree": 5}}}




def open_case(api, who="staff", procedure="committee-personnel", title="Kiện toàn nhân sự"):
    r = api(who).post("/cases", {"procedure": procedure, "title": title})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["case"]


def test_openapi_document_is_public_and_describes_every_action(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.get_json()
    assert doc["openapi"].startswith("3.1")
    for action in ("tally", "request-approval", "approve", "return", "head-decision", "announce", "advance", "cancel"):
        op = doc["paths"][f"/cases/{{case_id}}/{action}"]["post"]
        assert "expected_version" in op["requestBody"]["content"]["application/json"]["schema"]["required"]
        assert any(p["name"] == "Idempotency-Key" for p in op["parameters"])


def test_requests_without_credentials_or_with_a_bad_token_get_401(api, client):
    assert api(None).get("/cases").status_code == 401
    r = client.get("/api/v1/cases", headers={"Authorization": "Bearer cf_nope"})
    assert r.status_code == 401 and r.get_json()["error"] == "auth_failed"
    r = client.get("/api/v1/cases", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_revoked_token_and_deactivated_user_stop_working_at_once(api, wf, people, client):
    tid, token = wf.people.create_token(people.staff2, "laptop")
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=h).status_code == 200
    wf.people.revoke_token(people.staff2, tid)
    assert client.get("/api/v1/me", headers=h).status_code == 401
    _, token2 = wf.people.create_token(people.staff, "phone")
    h2 = {"Authorization": f"Bearer {token2}"}
    assert client.get("/api/v1/me", headers=h2).get_json()["username"] == "staff"
    wf.people.update_user(people.admin, people.staff, active=False)
    assert client.get("/api/v1/me", headers=h2).status_code == 401


def test_procedures_are_listed_and_each_version_is_readable(api):
    r = api("staff").get("/procedures")
    keys = {p["key"] for p in r.get_json()["items"]}
    assert {"committee-personnel", "appointment-internal", "confidence-vote", "party-admission"} <= keys
    full = api("staff").get("/procedures/committee-personnel").get_json()
    assert len(full["steps"]) == 7 and full["versions"] == [1]
    assert api("staff").get("/procedures/committee-personnel/versions/1").status_code == 200
    assert api("staff").get("/procedures/committee-personnel/versions/9").status_code == 404
    assert api("staff").get("/procedures/nope").status_code == 404


def test_a_case_moves_through_the_api_with_expected_versions(api, wf):
    case = open_case(api)
    cid, v = case["id"], case["version"]
    r = api("staff").post(f"/cases/{cid}/record", {"expected_version": v, "fields": {
        "criteria": "Theo HD 38", "structure": "9 ủy viên", "seats": 9, "candidates": ["A", "B"]}})
    assert r.status_code == 200, r.get_json()
    v = r.get_json()["case"]["version"]
    r = api("staff").post(f"/cases/{cid}/advance", {"expected_version": v})
    assert r.get_json()["case"]["state"] == "members-conference"
    v = r.get_json()["case"]["version"]
    r = api("staff").post(f"/cases/{cid}/tally", {"expected_version": v, "tally": TALLY_OK})
    assert r.status_code == 200 and r.get_json()["result"]["passed"] is True
    detail = api("staff").get(f"/cases/{cid}").get_json()
    assert detail["case"]["version"] == v + 1 and "advance" in detail["actions"]
    assert detail["steps"]["members-conference"]["tally"]["candidates"]["A"]["agree"] == 20
    hist = api("auditor").get(f"/cases/{cid}/history").get_json()["items"]
    assert [e["kind"] for e in hist] == ["case_opened", "form_recorded", "advanced", "tally_recorded"]


def test_stale_expected_version_gets_409_and_changes_nothing(api, wf):
    cid = open_case(api)["id"]
    before = n_events(wf)
    r = api("staff").post(f"/cases/{cid}/record", {"expected_version": 7, "fields": {"criteria": "x"}})
    assert r.status_code == 409 and r.get_json()["error"] == "version_conflict"
    assert n_events(wf) == before


def test_missing_expected_version_and_malformed_json_are_422(api, wf):
    cid = open_case(api)["id"]
    r = api("staff").post(f"/cases/{cid}/advance", {})
    assert r.status_code == 422 and r.get_json()["fields"]["expected_version"]
    r = api("staff").call("POST", f"/cases/{cid}/advance", raw=b"{not json")
    assert r.status_code == 422 and r.get_json()["error"] == "validation"
    r = api("staff").call("POST", f"/cases/{cid}/advance", raw=b"[1, 2]")
    assert r.status_code == 422


def test_retried_submit_with_the_same_idempotency_key_is_answered_once(api, wf):
    cid = open_case(api)["id"]
    body = {"expected_version": 1, "fields": {"criteria": "Theo HD 38"}}
    first = api("staff").post(f"/cases/{cid}/record", body, key="k-123")
    n = n_events(wf)
    again = api("staff").post(f"/cases/{cid}/record", body, key="k-123")
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["case"] == first.get_json()["case"] and again.get_json()["replayed"] is True
    assert n_events(wf) == n
    other = api("staff").post(f"/cases/{cid}/record", {**body, "fields": {"criteria": "khác"}}, key="k-123")
    assert other.status_code == 422


def test_opening_with_the_same_key_twice_opens_one_case(api):
    a = api("staff").post("/cases", {"procedure": "confidence-vote", "title": "Lấy phiếu 2026"}, key="open-1")
    b = api("staff").post("/cases", {"procedure": "confidence-vote", "title": "Lấy phiếu 2026"}, key="open-1")
    assert a.status_code == 201 and b.status_code == 200
    assert a.get_json()["case"]["id"] == b.get_json()["case"]["id"]
    assert api("staff").get("/cases?procedure=confidence-vote").get_json()["total"] == 1


def test_engine_errors_map_to_their_codes_and_statuses(api, wf):
    cid = open_case(api)["id"]
    # guard_failed: required fields missing
    r = api("staff").post(f"/cases/{cid}/advance", {"expected_version": 1})
    assert (r.status_code, r.get_json()["error"]) == (422, "guard_failed")
    # not_allowed: no vote at this step
    r = api("staff").post(f"/cases/{cid}/tally", {"expected_version": 1, "tally": TALLY_OK})
    assert (r.status_code, r.get_json()["error"]) == (409, "not_allowed")
    # forbidden: an auditor changes nothing
    r = api("auditor").post(f"/cases/{cid}/advance", {"expected_version": 1})
    assert (r.status_code, r.get_json()["error"]) == (403, "forbidden")
    # not_found: another district's staff does not learn the case exists
    r = api("staff_b").get(f"/cases/{cid}")
    assert (r.status_code, r.get_json()["error"]) == (404, "not_found")
    r = api("staff").get("/cases/999999")
    assert r.status_code == 404


def test_invalid_tally_names_the_field_and_saves_nothing(api, wf):
    cid = open_case(api)["id"]
    v = api("staff").post(f"/cases/{cid}/record", {"expected_version": 1, "fields": {
        "criteria": "x", "structure": "y", "seats": 9, "candidates": ["A"]}}).get_json()["case"]["version"]
    v = api("staff").post(f"/cases/{cid}/advance", {"expected_version": v}).get_json()["case"]["version"]
    n = n_events(wf)
    bad = {**TALLY_OK, "valid": 26}
    r = api("staff").post(f"/cases/{cid}/tally", {"expected_version": v, "tally": bad})
    assert r.status_code == 422 and r.get_json()["error"] == "invalid_tally" and "invalid" in r.get_json()["fields"]
    low = {**TALLY_OK, "present": 19, "issued": 19, "collected": 19, "valid": 19,
           "candidates": {"A": {"agree": 19}}}
    r = api("staff").post(f"/cases/{cid}/tally", {"expected_version": v, "tally": low})
    assert r.status_code == 422 and r.get_json()["error"] == "quorum_not_met"
    assert n_events(wf) == n
    assert api("staff").get(f"/cases/{cid}").get_json()["case"]["version"] == v


def test_list_filters_paginate_and_never_cross_units(api):
    for i in range(3):
        open_case(api, title=f"Hồ sơ A{i}")
    open_case(api, who="staff_b", title="Hồ sơ B")
    mine = api("staff").get("/cases?per_page=2").get_json()
    assert mine["total"] == 3 and len(mine["items"]) == 2 and mine["pages"] == 2 and mine["total_exact"] is True
    assert all(c["unit_name"] == "Huyện ủy Duy Xuyên" for c in mine["items"])
    assert api("province_auditor").get("/cases").get_json()["total"] == 4
    assert api("staff").get("/cases?q=A1").get_json()["total"] == 1
    for evil in ("' OR 1=1 --", "%", "_", "\\", "A1'; DROP TABLE cases; --"):
        assert api("staff").get(f"/cases?q={evil}").get_json()["total"] == 0
    assert api("staff").get("/cases").get_json()["total"] == 3
    assert api("staff").get("/cases?page=0").status_code == 422
    assert api("staff").get("/cases?status=weird").status_code == 422


def test_a_count_past_the_window_is_a_lower_bound_and_says_so(api, monkeypatch):
    monkeypatch.setattr("workflow.adapters.queries.COUNT_WINDOW", 2)
    for i in range(5):
        open_case(api, title=f"Hồ sơ A{i}")
    first = api("staff").get("/cases?per_page=1").get_json()
    assert (first["total"], first["total_exact"], first["pages"], len(first["items"])) == (2, False, 2, 1)
    last = api("staff").get("/cases?per_page=1&page=4").get_json()
    assert (last["total"], last["total_exact"], last["pages"], len(last["items"])) == (5, True, 5, 1)
    ev = api("auditor").get("/audit/events?per_page=1").get_json()
    assert ev["total_exact"] is False and ev["total"] == 2


def test_audit_endpoints_are_for_auditors_and_verify_the_chain(api):
    open_case(api)
    r = api("auditor").get("/audit/verify").get_json()
    assert r["ok"] is True and r["events"] > 0
    assert api("staff").get("/audit/verify").status_code == 403
    found = api("auditor").get("/audit/events?user=staff").get_json()
    assert found["total"] >= 1 and all(e["actor"] == "staff" for e in found["items"])
    assert api("auditor").get("/audit/events?from=2020-13-01").status_code == 422

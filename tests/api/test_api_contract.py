"""Issue 18: the OpenAPI document says what the server enforces, at the boundaries it states; a 405 says
which methods the path takes; `overdue` is as strict as `status`."""
from __future__ import annotations

import pytest

ACTIONS = ("record", "tally", "request-approval", "approve", "return", "head-decision", "announce", "advance",
           "cancel")


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def _body_schema(doc, path: str) -> dict:
    return doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]


def _allow(resp) -> set[str]:
    return {m.strip() for m in resp.headers.get("Allow", "").split(",") if m.strip()}


def test_an_api_path_answers_a_method_it_does_not_take_with_405_and_allow(api):
    r = api("staff").call("DELETE", "/cases")
    assert r.status_code == 405 and r.get_json()["error"] == "not_allowed"
    assert {"GET", "POST"} <= _allow(r) and "DELETE" not in _allow(r)
    r = api("staff").call("PUT", "/cases/1/advance")
    assert r.status_code == 405 and _allow(r) == {"POST", "OPTIONS"}


def test_a_page_answers_a_method_it_does_not_take_with_405_and_allow(client):
    r = client.get("/logout")
    assert r.status_code == 405 and r.content_type.startswith("text/html")
    assert _allow(r) == {"POST", "OPTIONS"}


@pytest.mark.parametrize("value", ["banana", "yes", "TRUE", "2"])
def test_overdue_other_than_1_0_true_false_is_422_as_status_is(api, value):
    r = api("staff").get(f"/cases?overdue={value}")
    assert r.status_code == 422 and r.get_json()["fields"] == {"overdue": "1|0|true|false"}


@pytest.mark.parametrize("value", ["1", "0", "true", "false", ""])
def test_overdue_1_0_true_false_or_empty_is_a_list(api, value):
    assert api("staff").get(f"/cases?overdue={value}").status_code == 200


def test_an_opened_case_a_case_an_action_and_the_list_link_to_every_action_with_the_case_version(doc):
    answers = {("/cases", "post", "201"): "/case", ("/cases/{case_id}", "get", "200"): "/case",
               ("/cases/{case_id}/advance", "post", "200"): "/case", ("/cases", "get", "200"): "/items/0"}
    for (path, method, status), case in answers.items():
        links = doc["paths"][path][method]["responses"][status]["links"]
        for action in ACTIONS:
            link = links[action]
            assert link["operationId"] == "case_" + action.replace("-", "_")
            assert link["parameters"] == {"path.case_id": f"$response.body#{case}/id"}
            assert link["requestBody"] == {"expected_version": f"$response.body#{case}/version"}
        assert links["case"]["operationId"] == "getCase"


def test_the_procedure_of_a_new_case_is_one_of_the_installed_ones(doc, registry):
    assert _body_schema(doc, "/cases")["properties"]["procedure"]["enum"] == sorted({d.key for d in registry.all()})


def test_a_title_at_its_documented_length_opens_a_case_and_one_more_character_is_422(api, doc):
    most = _body_schema(doc, "/cases")["properties"]["title"]["maxLength"]
    assert _body_schema(doc, "/cases")["properties"]["title"]["minLength"] == 1
    ok = api("staff").post("/cases", {"procedure": "confidence-vote", "title": "T" * most})
    assert ok.status_code == 201
    r = api("staff").post("/cases", {"procedure": "confidence-vote", "title": "T" * (most + 1)})
    assert r.status_code == 422 and "title" in r.get_json()["fields"]


def test_an_idempotency_key_of_1_to_its_documented_length_is_taken_and_others_are_422(api, doc):
    key = next(p for p in doc["paths"]["/cases"]["post"]["parameters"] if p["name"] == "Idempotency-Key")["schema"]
    assert key["minLength"] == 1
    body = {"procedure": "confidence-vote", "title": "Lấy phiếu tín nhiệm"}
    assert api("staff").post("/cases", body, key="k").status_code == 201
    assert api("staff").post("/cases", body, key="k" * key["maxLength"]).status_code == 201
    r = api("staff").post("/cases", body, key="k" * (key["maxLength"] + 1))
    assert r.status_code == 422 and "idempotency_key" in r.get_json()["fields"]
    r = api("staff").post("/cases", body, headers={"Idempotency-Key": " "})
    assert r.status_code == 422 and "idempotency_key" in r.get_json()["fields"]


def test_a_reason_at_its_documented_length_cancels_and_one_more_character_is_422(api, doc):
    most = _body_schema(doc, "/cases/{case_id}/cancel")["properties"]["reason"]["maxLength"]
    case = api("staff").post("/cases", {"procedure": "confidence-vote", "title": "Hủy thử"}).get_json()["case"]
    r = api("supervisor").post(f"/cases/{case['id']}/cancel", {"expected_version": case["version"],
                                                                "reason": "L" * (most + 1)})
    assert r.status_code == 422 and "reason" in r.get_json()["fields"]
    r = api("supervisor").post(f"/cases/{case['id']}/cancel", {"expected_version": case["version"], "reason": "L" * most})
    assert r.status_code == 200 and r.get_json()["case"]["status"] == "cancelled"


@pytest.mark.parametrize("path", ["/cases?unit_id={}", "/audit/events?case_id={}"])
def test_a_query_id_at_its_documented_maximum_is_taken_and_one_more_is_422(api, doc, path):
    name = path.split("?")[1].split("=")[0]
    template = "/cases" if path.startswith("/cases") else "/audit/events"
    most = next(p for p in doc["paths"][template]["get"]["parameters"] if p["name"] == name)["schema"]["maximum"]
    assert api("auditor").get(path.format(most)).status_code == 200
    r = api("auditor").get(path.format(most + 1))
    assert r.status_code == 422 and name in r.get_json()["fields"]

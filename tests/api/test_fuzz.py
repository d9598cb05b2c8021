"""Property-based fuzzing of the API from its OpenAPI document: bodies valid per the document's
schemas and arbitrary JSON, on every operation. Whatever comes in: no 5xx, an answer the document
describes, and a refused request changes nothing (no event, no new case version)."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_jsonschema import from_schema
from sqlalchemy import func, select

from web.api.openapi import spec
from workflow.adapters.tables import cases, events

SPEC = spec()
POSTS = [(p, op["requestBody"]["content"]["application/json"]["schema"])
         for p, item in SPEC["paths"].items() for m, op in item.items() if m == "post"]
GETS = [(p, op.get("parameters", [])) for p, item in SPEC["paths"].items() for m, op in item.items() if m == "get"]

json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
                           | st.text(max_size=30),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
                           max_leaves=12)
TRIED = {"requests": 0}


def state(wf):
    with wf.store.core() as c:
        return (c.execute(select(func.count()).select_from(events)).scalar_one(),
                tuple(c.execute(select(cases.c.id, cases.c.version).order_by(cases.c.id)).all()))


@pytest.fixture
def fuzz_case(api):
    """A case at its first step, plus one in another district; every fuzzing user's token exists
    beforehand (making one is itself an event)."""
    for who in ("staff", "supervisor", "auditor", "admin", "staff_b"):
        api(who)
    r = api("staff").post("/cases", {"procedure": "appointment-internal", "title": "Bổ nhiệm thử"})
    api("staff_b").post("/cases", {"procedure": "confidence-vote", "title": "Khác"})
    return r.get_json()["case"]["id"]


@pytest.mark.parametrize("path,schema", POSTS, ids=[p for p, _ in POSTS])
def test_fuzzed_post_bodies_never_crash_and_refusals_change_nothing(path, schema, api, wf, fuzz_case):
    who = st.sampled_from(["staff", "supervisor", "auditor", "staff_b"])
    case_ids = st.sampled_from([fuzz_case, fuzz_case + 1, 999999])
    bodies = from_schema(schema) | st.dictionaries(st.text(max_size=12), json_values, max_size=6) | json_values
    keys = st.none() | st.text(min_size=1, max_size=40).filter(lambda k: k.isprintable())

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(who=who, case_id=case_ids, body=bodies, key=keys)
    def run(who, case_id, body, key):
        before = state(wf)
        url = path.replace("{case_id}", str(case_id))
        try:
            raw = json.dumps(body).encode()
        except (TypeError, ValueError):
            return
        r = api(who).call("POST", url, raw=raw, key=key)   # checked against the document inside
        TRIED["requests"] += 1
        assert r.status_code < 500, r.get_json()
        if r.status_code >= 400:
            assert state(wf) == before, f"{url} refused with {r.status_code} but changed something"
    run()


@pytest.mark.parametrize("path,params", GETS, ids=[p for p, _ in GETS])
def test_fuzzed_query_strings_never_crash(path, params, api, fuzz_case):
    query = [p for p in params if p["in"] == "query"]
    values = st.fixed_dictionaries({}, optional={
        p["name"]: st.one_of(from_schema(p["schema"]).map(str), st.text(max_size=20)) for p in query})

    @settings(max_examples=20 if query else 3, deadline=None, suppress_health_check=list(HealthCheck))
    @given(q=values, who=st.sampled_from(["staff", "auditor", "admin", "staff_b"]),
           key=st.sampled_from(["committee-personnel", "nope", "%", "1"]), version=st.integers(0, 3))
    def run(q, who, key, version):
        url = path.replace("{case_id}", str(fuzz_case)).replace("{key}", key).replace("{version}", str(version))
        from urllib.parse import urlencode
        r = api(who).get(url + ("?" + urlencode(q) if q else ""))
        TRIED["requests"] += 1
        assert r.status_code < 500
    run()


def test_zz_report_how_many_fuzz_requests_were_sent():
    # figures for the issue note; the assertion keeps the suite honest if fuzzing silently stopped
    print(f"\nfuzz requests sent: {TRIED['requests']}")
    assert TRIED["requests"] > 0

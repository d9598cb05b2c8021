"""The OpenAPI 3.1 description of /api/v1. Its schemas are JSON Schema 2020-12: the tests validate
every real response against them, and Schemathesis generates requests from them, so each parameter says
what the server enforces (lengths, ranges, enums) and a case's answer links to its actions."""
from __future__ import annotations

from functools import lru_cache

from workflow.domain.actions import ACTIONS, Input
from workflow.domain.errors import ALL_CODES

STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NSTR, NINT = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
TEXT = {"type": "object", "required": ["vi", "en"], "properties": {"vi": STR, "en": STR}}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], props: dict, extra: bool = False) -> dict:
    return {"type": "object", "required": required, "properties": props, "additionalProperties": extra}

# The pager counts at most 1,000 matches past the page asked for (so a list costs the same at any size)
TOTAL_EXACT = {"type": "boolean", "description": "false when there are more matches than counted: `total` is then "
               "a lower bound (the matches up to 1,000 past this page) and `pages` the pages known so far"}

SCHEMAS = {
    "Error": obj(["error", "message"], {
        "error": {"type": "string", "enum": sorted(set(ALL_CODES) | {"internal", "unavailable"})}, "message": STR,
        "fields": {"type": "object", "additionalProperties": STR}}),
    "Case": obj(["id", "procedure", "procedure_version", "title", "unit_id", "state", "step_no", "status", "version"], {
        "id": INT, "procedure": STR, "procedure_version": INT, "title": STR, "unit_id": INT, "unit_name": STR,
        "state": STR, "step_no": INT, "status": {"enum": ["open", "completed", "cancelled"]}, "version": INT,
        "awaiting": {"enum": ["approval", "head_decision", "decision", "correction", None]}, "step_due": NSTR,
        "overdue": BOOL, "opened_at": STR, "updated_at": STR, "outcome": NSTR, "case_due": NSTR, "returned": BOOL}),
    "CaseList": obj(["items", "total", "page", "per_page", "pages", "total_exact"], {
        "items": {"type": "array", "items": ref("Case")}, "total": INT, "page": INT, "per_page": INT, "pages": INT,
        "total_exact": TOTAL_EXACT}),
    "ActionResult": obj(["case", "event_seq", "replayed"], {
        "case": ref("Case"), "event_seq": NINT, "replayed": BOOL, "result": {"type": ["object", "null"]},
        "awaiting": NSTR, "unchanged": BOOL}),
    "CaseDetail": obj(["case", "current_step", "actions", "steps", "candidates"], {
        "case": ref("Case"), "current_step": NSTR,
        "actions": {"type": "array", "items": {"enum": list(ACTIONS)}},
        "return_targets": {"type": "array", "items": STR}, "candidates": {"type": "array", "items": STR},
        "nominees": {"type": "array", "items": STR}, "approval_requested_by": NSTR,
        "steps": {"type": "object", "additionalProperties": {"type": "object"}},
        "timeline": {"type": "object", "additionalProperties": {"type": "object"}},
        "conditions": {"type": "array", "items": {"type": "object"},
                       "description": "the current step's conditions on recorded facts, judged (met, unmet, unknown, waived)"},
        "deadlines": {"type": "array", "items": {"type": "object"},
                      "description": "deadlines anchored on recorded dates, with their dates and whether they are met"},
        "lawful_next": {"type": "array", "items": obj(["kind", "target"], {
            "kind": {"enum": ["return", "go", "end"]}, "target": STR}),
            "description": "after a failed gate: what a supervisor may decide (decide: outcome or to)"},
        "blocked": {"type": ["object", "null"], "description": "why the step's judged result blocks it"},
        "last_return": {"type": ["object", "null"], "description": "the return that sent the case to this step"},
        "corrections": {"type": "object", "additionalProperties": {"type": "array"},
                        "description": "each step's form corrections: the earlier values, why, who, when"}}),
    "Event": obj(["seq", "at", "actor", "role", "kind", "payload", "hash"], {
        "seq": INT, "case_id": NINT, "at": STR, "actor": STR, "role": STR, "unit_id": NINT, "kind": STR,
        "actor_name": {"type": ["string", "null"], "description": "the actor's full name as it is now (the record keeps the user name)"},
        "from_state": NSTR, "to_state": NSTR, "payload": {"type": "object"}, "hash": STR}),
    "EventList": obj(["items", "total", "page", "per_page", "pages", "total_exact"], {
        "items": {"type": "array", "items": ref("Event")}, "total": INT, "page": INT, "per_page": INT, "pages": INT,
        "total_exact": TOTAL_EXACT}),
    "History": obj(["items"], {"items": {"type": "array", "items": ref("Event")}}),
    "Verification": obj(["ok", "events", "first_bad_seq", "problem", "head_seq"], {
        "ok": BOOL, "events": INT, "first_bad_seq": NINT, "problem": NSTR, "head_seq": INT}),
    "Procedure": obj(["key", "version", "title", "effective_from", "legal_basis", "steps_count"], {
        "key": STR, "version": INT, "title": TEXT, "effective_from": STR, "steps_count": INT,
        "legal_basis": {"type": "array", "items": {"type": "object"}}, "steps": {"type": "array"},
        "transitions": {"type": "array"}, "vote_rules": {"type": "array"}, "fingerprint": STR,
        "versions": {"type": "array", "items": INT},
        "outcomes": {"type": "array", "items": {"type": "object"}, "description": "the named ways a case ends"},
        "deadlines": {"type": "array", "items": {"type": "object"},
                      "description": "deadlines anchored on recorded dates, for the whole case"}}),
    "ProcedureList": obj(["items"], {"items": {"type": "array", "items": ref("Procedure")}}),
    "User": obj(["id", "username", "display_name", "role", "unit_id", "active"], {
        "id": INT, "username": STR, "display_name": STR, "role": {"enum": ["staff", "supervisor", "auditor", "admin", "inspection"]},
        "unit_id": INT, "unit_name": STR, "active": BOOL}),
}

# What the server enforces (workflow.domain.parse and workflow.domain.tally): ids are INTEGER columns (path and body
# ids past 2**31 - 1 are no such row), query ids and counts stop at 10**9 and 10**6, texts at their limits.
MAX_ID, MAX_QUERY_ID, MAX_COUNT = 2**31 - 1, 10**9, 1_000_000
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
QUERY_ID = {"type": "integer", "minimum": 1, "maximum": MAX_QUERY_ID}


def text(most: int, *, required: bool = False) -> dict:
    """A string of at most `most` characters; a required one is not empty."""
    return {"type": "string", "maxLength": most, **({"minLength": 1} if required else {})}


EXPECTED = {"expected_version": {**INT, "description": "the case version you saw; a stale one gets 409 version_conflict"}}
COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
DATE = {"type": "string", "format": "date"}
TALLY = {"type": "object", "required": ["summoned", "present", "issued", "collected", "valid", "invalid", "candidates"],
         "properties": {"summoned": COUNT, "present": COUNT, "issued": COUNT, "collected": COUNT, "valid": COUNT,
                        "invalid": COUNT, "members": COUNT, "held_on": DATE, "place": text(300),
                        "candidates": {"type": "object", "minProperties": 1,
                                       "propertyNames": {"minLength": 1, "maxLength": 200},
                                       "additionalProperties": {
                                           "type": "object", "additionalProperties": COUNT,
                                           "description": "agree/disagree, or high/confidence/low"}}}}
# The actions on a case: the engine's table (an action taking a file is for the pages' upload form).
ON_THE_API = {name.replace("_", "-"): name for name, a in ACTIONS.items() if all(i.kind != "bytes" for i in a.inputs)}
KINDS = {"date": DATE, "boolean": BOOL, "object": {"type": "object"}, "tally": TALLY}


def _input(i: Input) -> dict:
    """An action's input as JSON Schema: its kind, and for text its length limits."""
    if i.kind == "text":
        return {"type": "string", **({"maxLength": i.most} if i.most else {}), **({"minLength": 1} if i.required else {})}
    return KINDS[i.kind]


def _action(slug: str) -> dict:
    a = ACTIONS[ON_THE_API[slug]]
    schema = {"type": "object", "required": ["expected_version", *(i.name for i in a.inputs if i.required)],
              "properties": {**EXPECTED, **{i.name: _input(i) for i in a.inputs}}}
    return {"post": {
        "summary": a.title, "operationId": _operation(slug), "parameters": [CASE_ID, IDEM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {"200": _resp("ActionResult", links=_case_links("/case")), **_errors(401, 403, 404, 409, 422)}}}


def _operation(slug: str) -> str:
    return "case_" + slug.replace("-", "_")


def _resp(schema: str, desc: str = "OK", links: dict | None = None) -> dict:
    out = {"description": desc, "content": {"application/json": {"schema": ref(schema)}}}
    return {**out, "links": links} if links else out


def _case_links(case: str) -> dict:
    """Links from an answer holding a case at JSON pointer `case` to the case and each action on it: the
    action's `expected_version` is the case's version (an expression inside requestBody, which Schemathesis
    evaluates and merges into the body it generates; other tools may take it literally)."""
    at = f"$response.body#{case}"
    links = {"case": {"operationId": "getCase", "parameters": {"path.case_id": f"{at}/id"}},
             "history": {"operationId": "caseHistory", "parameters": {"path.case_id": f"{at}/id"}}}
    for slug, name in ON_THE_API.items():
        links[slug] = {"operationId": _operation(slug), "parameters": {"path.case_id": f"{at}/id"},
                       "requestBody": {"expected_version": f"{at}/version"},
                       "description": f"{ACTIONS[name].title}, at the version just seen"}
    return links


def _errors(*codes: int) -> dict:
    words = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
             409: "Conflict (version_conflict, not_allowed)", 422: "Invalid input or rule not met"}
    return {str(c): _resp("Error", words[c]) for c in codes}


IDEM = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": text(200, required=True),
        "description": "a retried request with the same key is answered with the first result, not applied twice"}
CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": ID}


def _q(name: str, schema: dict, desc: str = "") -> dict:
    """A list filter: optional, and an empty value (a form field left blank) is taken as absent."""
    return {"name": name, "in": "query", "required": False, "schema": schema, "allowEmptyValue": True,
            "description": (desc + "; " if desc else "") + "empty: as if absent"}


PAGE = {"type": "integer", "minimum": 1, "maximum": 100000}
PROCEDURE_KEY = {"name": "key", "in": "path", "required": True, "schema": STR}


def _get(summary: str, operation: str, ok: dict, errors: tuple[int, ...], parameters: list | None = None) -> dict:
    op = {"summary": summary, "operationId": operation, "responses": {"200": ok, **_errors(*errors)}}
    return {"get": {**op, "parameters": parameters} if parameters else op}


def _reading_paths() -> dict:
    return {
        "/me": _get("The signed-in user", "me", _resp("User"), (401,)),
        "/procedures": _get("Installed procedures (newest version of each)", "procedures", _resp("ProcedureList"),
                            (401,)),
        "/procedures/{key}": _get("A procedure's newest version, in full", "procedure", _resp("Procedure"),
                                  (401, 404), [PROCEDURE_KEY]),
        "/procedures/{key}/versions/{version}": _get(
            "One version of a procedure", "procedureVersion", _resp("Procedure"), (401, 404),
            [PROCEDURE_KEY, {"name": "version", "in": "path", "required": True,
                             "schema": {"type": "integer", "minimum": 1}}]),
        "/cases/{case_id}": _get("A case: state, records of every step, your possible actions", "getCase",
                                 _resp("CaseDetail", links=_case_links("/case")), (401, 403, 404), [CASE_ID]),
        "/cases/{case_id}/history": _get("Every event of a case, oldest first", "caseHistory", _resp("History"),
                                         (401, 403, 404), [CASE_ID]),
        "/audit/events": _get(
            "Search the record (auditors, supervisors, administrators)", "auditEvents", _resp("EventList"),
            (401, 403, 422), [_q("case_id", QUERY_ID), _q("user", STR), _q("procedure", STR), _q("unit_id", QUERY_ID),
                              _q("kind", STR), _q("from", DATE), _q("to", DATE), _q("page", PAGE),
                              _q("per_page", {"type": "integer", "minimum": 1, "maximum": 500})]),
        "/audit/verify": _get("Verify the whole hash chain", "auditVerify", _resp("Verification"), (401, 403)),
    }


def _cases_path(procedures: tuple[str, ...]) -> dict:
    listing = _get("Cases you may see, newest first", "listCases", _resp("CaseList", links=_case_links("/items/0")),
                   (401, 422), [_q("procedure", STR), _q("state", STR), _q("unit_id", QUERY_ID),
                                _q("status", {"enum": ["open", "completed", "cancelled"]}),
                                _q("q", STR, "text in the title"), _q("overdue", {"enum": ["1", "0", "true", "false"]}),
                                _q("page", PAGE), _q("per_page", {"type": "integer", "minimum": 1, "maximum": 100})])
    opening = {"type": "object", "required": ["procedure", "title"], "properties": {
        "procedure": {"type": "string", "enum": list(procedures)} if procedures else {"type": "string", "minLength": 1},
        "title": text(300, required=True),
        "unit_id": {**ID, "type": ["integer", "null"], "description": "null or absent: your own unit"},
        "version": {"type": ["integer", "null"], "minimum": 1, "description": "null or absent: the version in force"}}}
    return {**listing, "post": {
        "summary": "Open a case", "operationId": "openCase", "parameters": [IDEM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": opening}}},
        "responses": {"201": _resp("ActionResult", "Opened", _case_links("/case")),
                      "200": _resp("ActionResult", "Replayed", _case_links("/case")), **_errors(401, 403, 404, 422)}}}


@lru_cache(maxsize=4)
def spec(procedures: tuple[str, ...] = ()) -> dict:
    """The document; `procedures` (the installed procedures' keys) are what opening a case accepts."""
    paths = {"/cases": _cases_path(procedures), **_reading_paths(),
             **{f"/cases/{{case_id}}/{slug}": _action(slug) for slug in ON_THE_API}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "cadreflow API", "version": "1.0.0",
                 "description": "Cadre personnel procedures: cases, conferences, approvals, the record. Errors are "
                                "{error, message, fields?} with stable codes."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"token": []}, {"cookie": []}],
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer", "description": "a personal API token (cf_…)"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "session",
                       "description": "the web session; state-changing requests also need X-CSRFToken"}}},
    }

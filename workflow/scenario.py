"""The scenario runner: a scripted case against a database, for procedure authors to dry-run a
definition. A public contract (see README): the input format and the JSON it prints are stable."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Mapping

import yaml

from .errors import WorkflowError
from .service import Workflow

# Scenario action -> how to call the service. Each takes (wf, user_id, case_id, action) and
# returns an ActionResult.
CASE_ACTIONS = {
    "record": lambda wf, u, c, a, kw: wf.record(u, c, a.get("fields") or {}, **kw),
    "tally": lambda wf, u, c, a, kw: wf.tally(u, c, {k: v for k, v in a.items() if k not in _META}, **kw),
    "advance": lambda wf, u, c, a, kw: wf.advance(u, c, **kw),
    "request_approval": lambda wf, u, c, a, kw: wf.request_approval(u, c, comment=a.get("comment", ""), **kw),
    "approve": lambda wf, u, c, a, kw: wf.approve(u, c, comment=a.get("comment", ""), **kw),
    "return": lambda wf, u, c, a, kw: wf.return_case(u, c, a.get("reason", ""), to=a.get("to"), **kw),
    "cancel": lambda wf, u, c, a, kw: wf.cancel(u, c, a.get("reason", ""), **kw),
    "head_decision": lambda wf, u, c, a, kw: wf.head_decision(u, c, a.get("candidate"), a.get("accept"),
                                                              comment=a.get("comment", ""), **kw),
    "announce": lambda wf, u, c, a, kw: wf.announce(u, c, {k: v for k, v in a.items() if k not in _META}, **kw),
    "attach": lambda wf, u, c, a, kw: wf.attach(u, c, a.get("name", ""), str(a.get("content", "")).encode(),
                                                doc_type=a.get("type", "other"), **kw),
}
_META = {"as", "do", "expect_error", "case", "expected_version", "idempotency_key"}


class ScenarioError(Exception):
    """The scenario file itself is malformed (not an action that failed)."""


def load(text: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as e:      # PyYAML raises ValueError for an impossible date
        raise ScenarioError(f"not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a mapping with 'procedure', 'users' and 'actions'")
    for key in ("procedure", "users", "actions"):
        if key not in data:
            raise ScenarioError(f"missing '{key}'")
    if not isinstance(data["users"], dict) or not isinstance(data["actions"], list):
        raise ScenarioError("'users' is a mapping of name to role; 'actions' is a list")
    return data


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def run(wf: Workflow, scenario: Mapping) -> tuple[dict, bool]:
    """Run it; return (the output object, whether every action met its expectation)."""
    root = scenario.get("unit") or "Huyện ủy Duy Xuyên"
    units = {root: wf.find_or_create_unit_path([root])}
    # optional extra units: {name: parent name}, for scoping scenarios
    for name, parent in (scenario.get("units") or {}).items():
        units[name] = wf.find_or_create_unit_path(([parent] if parent else []) + [name]) if parent not in units \
            else _child(wf, units[parent], name)
    people: dict[str, int] = {}
    for name, spec in scenario["users"].items():
        role, unit = (spec, root) if isinstance(spec, str) else (spec.get("role"), spec.get("unit", root))
        if unit not in units:
            raise ScenarioError(f"user '{name}': unknown unit '{unit}'")
        existing = wf.user_by_name(str(name))
        people[name] = existing.id if existing else wf.create_user(
            None, str(name), secrets.token_urlsafe(16), role, units[unit]).id
    results, ok_all, case, cases_by_label = [], True, None, {}
    procedure, version = scenario["procedure"], scenario.get("version")
    for i, raw in enumerate(scenario["actions"]):
        a = _plain(raw) if isinstance(raw, dict) else {}
        expect = a.get("expect_error")
        try:
            if not a or "do" not in a or "as" not in a:
                raise ScenarioError("an action needs 'as' and 'do'")
            if a["as"] not in people:
                raise ScenarioError(f"unknown user '{a['as']}'")
            user = people[a["as"]]
            kw = {k: a[k] for k in ("expected_version", "idempotency_key") if k in a}
            if a["do"] == "open":
                res = wf.open_case(user, a.get("procedure", procedure), a.get("title", ""),
                                   unit_id=units.get(a["unit"]) if a.get("unit") else None,
                                   version=a.get("version", version), **kw)
                case = res.case
                if a.get("label"):
                    cases_by_label[a["label"]] = case["id"]
            elif a["do"] in CASE_ACTIONS:
                target = cases_by_label.get(a.get("case"), a.get("case")) if a.get("case") else (case or {}).get("id")
                if target is None:
                    raise ScenarioError("no case is open yet")
                res = CASE_ACTIONS[a["do"]](wf, user, target, a, kw)
                if case is None or res.case["id"] == case["id"]:
                    case = res.case
            else:
                raise ScenarioError(f"unknown action '{a['do']}'")
            good = expect is None
            results.append({"index": i, "ok": True, "error": None, "message": "ok"})
        except WorkflowError as e:
            good = expect == e.code
            results.append({"index": i, "ok": False, "error": e.code, "message": e.message})
        except ScenarioError as e:
            good = False
            results.append({"index": i, "ok": False, "error": "scenario", "message": str(e)})
        ok_all &= good
    if case is not None:
        # the case as it stands now, seen by the system (an auditor's view may be narrower)
        case = _current(wf, case["id"]) or case
    ver = wf.verify()
    from sqlalchemy import func, select
    from .store import events
    with wf.store.read() as c:
        n = c.execute(select(func.count()).select_from(events)).scalar_one()
    out = {"case": ({"state": case["state"], "step_no": case["step_no"], "status": case["status"],
                     "version": case["version"]} if case else None),
           "results": results, "events": n, "audit_ok": ver.ok}
    return out, ok_all and ver.ok


def _child(wf: Workflow, parent_id: int, name: str) -> int:
    from sqlalchemy import select
    from .store import units
    with wf.store.read() as c:
        row = c.execute(select(units.c.id).where(units.c.parent_id == parent_id, units.c.name == name)).first()
    return row.id if row else wf.create_unit(None, name, parent_id)["id"]


def _current(wf: Workflow, case_id: int) -> dict | None:
    from sqlalchemy import select
    from .store import cases
    with wf.store.read() as c:
        row = c.execute(select(cases).where(cases.c.id == case_id)).first()
    return wf._summary_dict(dict(row._mapping), None) if row else None

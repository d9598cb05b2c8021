"""JSON requests into use-case inputs: the body (a JSON object), the headers (Idempotency-Key), the
query's filters, and an action's input read by the action table's kinds. As strict as the OpenAPI
document: a value of the wrong JSON type is refused (422 validation, naming the field); what a value
means is the engine's to judge."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request

from workflow.domain.actions import Action
from workflow.domain.errors import Problem, Validation

STATUSES = ("open", "completed", "cancelled")
OVERDUE = ("1", "0", "true", "false")


def body() -> dict:
    if request.content_length == 0 or (not request.data and request.method == "POST"):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Validation("api.body", fields={"body": Problem("field.json_object")})
    return data


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    return key if key is None else key.strip()


def expected_version(b: dict) -> int:
    v = b.get("expected_version")
    if isinstance(v, bool) or not isinstance(v, int):
        raise Validation("api.expected_version", fields={"expected_version": Problem("field.required_whole")})
    return v


def text(b: dict, key: str, *, required: bool = False) -> str:
    v = b.get(key, "")
    if v is None:
        v = ""
    if not isinstance(v, str):
        raise Validation("api.text", name=key, fields={key: Problem("field.text")})
    if required and not v.strip():
        raise Validation("api.required", name=key, fields={key: Problem("field.required")})
    return v


def json_object(b: dict, key: str) -> dict:
    v = b.get(key)
    if not isinstance(v, dict):
        raise Validation("api.object", name=key, fields={key: Problem("field.json_object")})
    return v


def whole(b: dict, key: str) -> int | None:
    """An optional id in the body: absent or null, else a whole number."""
    v = b.get(key)
    if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
        raise Validation("api.whole", name=key, fields={key: Problem("field.whole")})
    return v


def action_input(action: Action, b: dict) -> dict:
    """An action's input from the body, one value per input of the action table: texts must be text
    (a required one not blank; an empty optional one is left out), objects must be objects, dates and
    yes/no go as sent."""
    out: dict[str, Any] = {}
    for i in action.inputs:
        if i.kind == "text":
            v = text(b, i.name, required=i.required)
            if v or i.required:
                out[i.name] = v
        elif i.kind in ("object", "tally"):
            out[i.name] = json_object(b, i.name)
        else:
            out[i.name] = b.get(i.name)
    return out


def int_arg(name: str, default: int | None = None, lo: int = 1, hi: int = 10**9) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        v = int(raw)
    except ValueError:
        raise Validation("api.whole", name=name, fields={name: Problem("field.whole")}) from None
    if not lo <= v <= hi:
        raise Validation("api.between", name=name, lo=lo, hi=hi, fields={name: Problem("field.range", lo=lo, hi=hi)})
    return v


def date_arg(name: str) -> dt.date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Validation("api.date", name=name, fields={name: Problem("field.iso_date")}) from None


def case_filters() -> dict:
    a = request.args
    status = a.get("status") or None
    if status and status not in STATUSES:
        raise Validation("api.status", fields={"status": Problem("field.status")})
    overdue = a.get("overdue") or None
    if overdue and overdue not in OVERDUE:
        raise Validation("api.overdue", fields={"overdue": Problem("field.overdue")})
    return {"procedure": a.get("procedure") or None, "state": a.get("state") or None, "unit_id": int_arg("unit_id"),
            "status": status, "text": a.get("q") or None, "overdue": overdue in ("1", "true")}


def event_filters() -> dict:
    a = request.args
    return {"case_id": int_arg("case_id"), "username": a.get("user") or None, "procedure": a.get("procedure") or None,
            "unit_id": int_arg("unit_id"), "kind": a.get("kind") or None, "date_from": date_arg("from"),
            "date_to": date_arg("to")}

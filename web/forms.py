"""Requests into use-case inputs, for the pages: a form's guard (the case version seen and the form's
idempotency key), an action's inputs read from its form by the action table's kinds, a step's form
fields, a conference tally with its candidate rows, an announcement, the list filters. Whole numbers
and dates go through the domain's parsers; what a value means is the engine's to judge.
A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from workflow.domain import parse
from workflow.domain.actions import Action
from workflow.domain.definition import Step, VoteRule
from workflow.domain.forms import ANNOUNCEMENT
from workflow.domain.tally import COUNTS

MAX_ROWS = 500      # candidate rows a tally form may send
ROW_FIELD = re.compile(r"c(\d+)-(\w+)")      # a candidate row's field: c<row>-name, c<row>-<measure>


def as_int(v: Any) -> int | None:
    """A whole number from a form or query field; None when empty or not a number."""
    try:
        return parse.whole_number(v, signed=True, digits=9) if v not in (None, "") else None
    except parse.Invalid:
        return None


def as_date(v: Any) -> dt.date | None:
    """A date (YYYY-MM-DD) from a query field; None when empty or not a date."""
    try:
        return dt.date.fromisoformat(parse.date(v)) if v else None
    except parse.Invalid:
        return None


def guard(form: Mapping) -> dict:
    """The optimistic lock and the idempotency key every case-changing form sends."""
    return {"expected_version": as_int(form.get("expected_version")),
            "idempotency_key": form.get("idempotency_key") or None}


def action_input(action: Action, form: Mapping, files: Mapping) -> dict:
    """An action's input from its form on the case page, one value per input of the action table:
    text as typed (an empty optional one is left out), yes/no from '1'/'0', a file from the `file`
    field (its bytes, and its name as the `name` input)."""
    out: dict[str, Any] = {}
    upload = files.get("file")
    for i in action.inputs:
        if i.kind == "bytes":
            out[i.name] = upload.read() if upload else b""
            out["name"] = upload.filename if upload else ""
        elif i.kind == "boolean":
            try:
                out[i.name] = parse.boolean(form.get(i.name, ""))
            except parse.Invalid:
                out[i.name] = None          # the engine says what is wrong
        elif i.name not in out:
            v = form.get(i.name, "")
            if v or i.required:
                out[i.name] = v
    return out


def record_fields(step: Step, form: Mapping) -> dict:
    """A step's form fields as sent: yes/no as True/False (None when cleared), the rest as typed."""
    fields: dict[str, Any] = {}
    for f in step.form:
        if f.type != "boolean":
            fields[f.key] = form.get(f.key, "")
            continue
        v = form.get(f.key)
        if v in ("true", "false"):
            fields[f.key] = v == "true"
        elif v == "":
            fields[f.key] = None
    return fields


def announcement(form: Mapping) -> dict:
    """The announcement's fields as typed (stripped)."""
    return {k: form.get(k, "").strip() for k, _kind, _required in ANNOUNCEMENT}


@dataclass
class TallyForm:
    """A tally form as sent: the counts (texts as typed), the candidate rows that carry votes, the
    tally to hand to the engine, and the names typed on more than one row."""
    counts: dict[str, str]
    rows: list[dict] = field(default_factory=list)
    tally: dict = field(default_factory=dict)
    twice: list[str] = field(default_factory=list)


def tally(form: Mapping, rule: VoteRule, known: list[str]) -> TallyForm:
    """Rows c0…cN (name and one field per measure); a row left without votes is not part of the count."""
    counts = {k: form.get(k, "").strip() for k in (*COUNTS, "members", "excused", "excused_reason", "body", "held_on",
                                                   "place")}
    out = TallyForm(counts)
    names: dict[str, list[dict]] = {}
    for i in range(min(as_int(form.get("rows")) or 0, MAX_ROWS)):
        name = " ".join(form.get(f"c{i}-name", "").split())
        votes = {m: form.get(f"c{i}-{m}", "").strip() for m in rule.measures}
        if not any(votes.values()):
            continue
        out.rows.append({"name": name, **votes, "nominee": bool(known) and name not in known})
        names.setdefault(name, []).append(votes)
    out.tally = {k: v for k, v in counts.items() if k in COUNTS or v}
    out.tally["candidates"] = {n: v[0] for n, v in names.items()}
    out.twice = [n for n, v in names.items() if len(v) > 1]
    return out


def tally_figures(form: Mapping) -> tuple[dict, list[dict]]:
    """The counts and each candidate row's votes as typed so far, rows in the form's numbering (the
    live figures answer row by row)."""
    n = min(as_int(form.get("rows")) or 0, MAX_ROWS)
    rows: list[dict] = [{} for _ in range(n)]
    for key, v in form.items():
        m = ROW_FIELD.fullmatch(key)
        if m and int(m.group(1)) < n and m.group(2) != "name":
            rows[int(m.group(1))][m.group(2)] = v
    return {k: form.get(k, "") for k in (*COUNTS, "members", "excused")}, rows


def case_filters(args: Mapping) -> dict:
    """The case list's filters from the query string."""
    return {"procedure": args.get("procedure") or None, "state": args.get("step") or None,
            "unit_id": as_int(args.get("unit")), "status": args.get("status") or None,
            "text": (args.get("q") or "").strip() or None, "overdue": args.get("overdue") == "1"}


def event_filters(args: Mapping) -> dict:
    """The record search's filters from the query string."""
    return {"case_id": as_int(args.get("case")), "username": (args.get("user") or "").strip() or None,
            "procedure": args.get("procedure") or None, "unit_id": as_int(args.get("unit")),
            "kind": args.get("kind") or None, "date_from": as_date(args.get("from")),
            "date_to": as_date(args.get("to"))}

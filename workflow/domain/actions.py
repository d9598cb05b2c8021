"""THE table of the actions on a case, and one decide() per action.

Each action has a name, the inputs it takes (which the JSON API, its OpenAPI document, the
scenario runner and the web pages read), who may take it (permissions.CASE_ACTIONS) and a decide
function: (case, user, input, now, limits) -> Change, or an error. A Change says what to write —
the case's new columns, records to add and to set aside, one event — and the adapters write it.
Nothing here reads or writes anything."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from . import parse
from .calendar import due
from .case import AWAIT_APPROVAL, AWAIT_HEAD, CANCELLED_STATUS, DONE, Case
from .definition import CANCELLED, COMPLETED, Step
from .errors import GuardFailed, NotAllowed, Problem, QuorumNotMet, Validation
from .forms import (MAX_STRING, MAX_TEXT, clean_announcement, clean_form, false_required_booleans, merge_form,
                    missing_fields)
from .machine import machine_for, return_trigger
from .people import User
from .permissions import check_four_eyes, may, permit
from .search import names_in, search_text
from .tally import evaluate, parse_tally, quorum, result_payload, threshold_words

MAX_UPLOAD = 20 * 1024 * 1024
MAX_COMMENT = 2000
ALLOWED_UPLOADS = {".pdf": "application/pdf", ".doc": "application/msword",
                   ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   ".xls": "application/vnd.ms-excel",
                   ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   ".odt": "application/vnd.oasis.opendocument.text", ".txt": "text/plain",
                   ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass(frozen=True)
class Limits:
    max_upload: int = MAX_UPLOAD


@dataclass
class Change:
    """What an action decided: the case columns to set, records to add, the event to log."""
    kind: str
    payload: dict = field(default_factory=dict)
    to_state: str | None = None
    values: dict = field(default_factory=dict)
    add: list[tuple[str, str, dict]] = field(default_factory=list)       # (step_key, kind, payload)
    supersede: list[tuple[list[str], list[str] | None]] = field(default_factory=list)   # (steps, kinds or all)
    info: dict = field(default_factory=dict)
    blob: tuple[str, bytes] | None = None          # (sha256, content) of an attached file


@dataclass(frozen=True)
class Input:
    name: str
    kind: str                  # text | object | tally | boolean | bytes | date
    required: bool = False
    help: str = ""
    most: int | None = None    # the longest text taken (longer is refused; the API document says so)


Decide = Callable[[Case, User, Mapping[str, Any], dt.datetime, Limits], Change]


@dataclass(frozen=True)
class Action:
    name: str
    title: str
    inputs: tuple[Input, ...]
    decide: Decide
    offered: Callable[[Case, Step], bool] = lambda case, step: True   # shown at this step at all


# ---- small pieces of input ---------------------------------------------------------------------

def comment(v: Any) -> str:
    return parse.text(v or "").strip()[:MAX_COMMENT]


def reason(v: Any) -> str:
    why = parse.text(v or "").strip()
    if not why:
        raise Validation("reason.missing", fields={"reason": Problem("field.required")})
    if len(why) > MAX_COMMENT:
        raise Validation("reason.long", n=MAX_COMMENT, fields={"reason": Problem("field.at_most", n=MAX_COMMENT)})
    return why


def safe_filename(name: Any) -> str:
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", base).strip(" .")
    return base[:200] or "file"


def digest(content: Any) -> str:
    return hashlib.sha256(content).hexdigest() if isinstance(content, (bytes, bytearray)) else ""


# ---- leaving a step ------------------------------------------------------------------------------

def check_can_leave(case: Case, step: Step) -> None:
    """Everything the step needs before it is left: required fields, conditions, the vote, the
    documents, the announcement."""
    rec = case.records(step.key)
    missing = missing_fields(step, rec.form)
    if missing:
        raise GuardFailed("guard.missing", missing=missing, fields={k: Problem("field.required") for k in missing})
    unmet = false_required_booleans(step, rec.form)
    if unmet:
        raise GuardFailed("guard.conditions", unmet=unmet, fields={k: Problem("field.must_be_met") for k in unmet})
    if step.vote is not None:
        _check_vote(case, step)
    for d in step.documents:
        if d.required and not any(doc["doc_type"] == d.type for doc in rec.documents):
            raise GuardFailed("guard.document", document=d.label.en, type=d.type,
                              fields={"documents": Problem("field.document", type=d.type)})
    if step.announcement and rec.announcement is None:
        raise GuardFailed("guard.announcement", fields={"announcement": Problem("field.required")})


def _check_vote(case: Case, step: Step) -> None:
    rec = case.records(step.key)
    if rec.tally is None:
        raise GuardFailed("guard.no_tally", fields={"tally": Problem("field.required")})
    res = rec.tally_result
    if not res.quorum.met:
        raise QuorumNotMet("quorum.not_met", present=res.quorum.present, of=res.quorum.of, needed=res.quorum.needed)
    if res.outcome.awaiting_head:
        raise GuardFailed("guard.awaiting_head", names=list(res.outcome.awaiting_head))
    if not res.outcome.passed:
        raise GuardFailed("guard.vote_failed", threshold=threshold_words(res), base_name=step.vote.base,
                          needed=res.needed, base=res.base)


def fire(case: Case, trigger: str) -> str:
    """The state `trigger` leads to from the case's state; an advance first checks the step."""
    def guard(trigger: str, source: str, dest: str) -> None:
        if trigger == "advance":
            check_can_leave(case, case.definition.step(source))
    return machine_for(case.definition).fire(case.row.state, trigger, guard=guard)


def _ask_approval(case: Case, user: User, step: Step, said: str = "") -> Change:
    if case.row.awaiting == AWAIT_APPROVAL:
        raise NotAllowed("not_allowed.approval_pending")
    check_can_leave(case, step)
    return Change("approval_requested", {"step": step.key, "comment": comment(said)},
                  values={"awaiting": AWAIT_APPROVAL, "approval_requested_by": user.id},
                  add=[(step.key, "approval_request", {"comment": comment(said)})],
                  info={"awaiting": AWAIT_APPROVAL})


# ---- one decide() per action ---------------------------------------------------------------------

def decide_record(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "record")
    if not step.form:
        raise NotAllowed("not_allowed.no_form", step=step.key)
    submitted = input.get("fields")
    clean = clean_form(step, submitted)
    before = case.records(step.key).form
    return Change("form_recorded", {"step": step.key, "fields": clean,
                                    "cleared": sorted(k for k in submitted if k not in clean and k in before)},
                  add=[(step.key, "form", merge_form(before, submitted, clean))], supersede=[([step.key], ["form"])])


def decide_tally(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "tally")
    if step.vote is None:
        raise NotAllowed("not_allowed.no_vote", step=step.key)
    t = parse_tally(input.get("tally"), step.vote, case.candidates(before=step.key), step.allows_nominees)
    q = quorum(t, step.vote)
    if not q.met:
        raise QuorumNotMet("quorum.not_met", present=q.present, of=q.of, needed=q.needed,
                           fields={"present": Problem("field.quorum", needed=q.needed, of=q.of)})
    result = evaluate(t, step.vote)
    return Change("tally_recorded", {"step": step.key, "tally": t.to_payload(), "result": result_payload(result)},
                  values={"awaiting": AWAIT_HEAD if result.outcome.awaiting_head else None},
                  add=[(step.key, "tally", t.to_payload())], supersede=[([step.key], ["tally", "head_decision"])],
                  info={"result": result_payload(result)})


def decide_head(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "head_decision")
    rec = case.records(step.key)
    candidate, accept = input.get("candidate"), input.get("accept")
    waiting = rec.tally_result.outcome.awaiting_head if rec.tally_result else ()
    if candidate not in waiting:
        raise NotAllowed("not_allowed.head_not_pending" if waiting else "not_allowed.head_none_pending",
                         candidate=candidate, pending=list(waiting))
    if not isinstance(accept, bool):
        raise Validation("accept.boolean", fields={"accept": Problem("field.true_false")})
    result = evaluate(rec.tally, step.vote, {**rec.head, candidate: accept})
    said = comment(input.get("comment"))
    return Change("head_decision", {"step": step.key, "candidate": candidate, "accept": accept, "comment": said},
                  values={"awaiting": AWAIT_HEAD if result.outcome.awaiting_head else None},
                  add=[(step.key, "head_decision", {"candidate": candidate, "accept": accept, "comment": said})],
                  info={"result": result_payload(result)})


def decide_announce(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "announce")
    if not step.announcement:
        raise NotAllowed("not_allowed.no_announcement", step=step.key)
    a = clean_announcement(input)
    a["unit_id"] = case.row.unit_id
    return Change("announcement_published", {"step": step.key, "announcement": a},
                  add=[(step.key, "announcement", a)], supersede=[([step.key], ["announcement"])])


def decide_attach(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "attach")
    content, doc_type = input.get("content"), input.get("doc_type", "other")
    name = safe_filename(input.get("name"))
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    errors: dict[str, Problem] = {}
    if ext not in ALLOWED_UPLOADS:
        errors["file"] = Problem("field.file_type", accepted=sorted(ALLOWED_UPLOADS))
    if not isinstance(content, (bytes, bytearray)) or not content:
        errors["file"] = Problem("field.file_empty")
    elif len(content) > limits.max_upload:
        errors["file"] = Problem("field.file_large", n=limits.max_upload // (1024 * 1024))
    types = {d.type for d in step.documents} | {"other"}
    if doc_type not in types:
        errors["doc_type"] = Problem("field.one_of", choices=sorted(types))
    if errors:
        raise Validation("attach.invalid", problem=next(iter(errors.values())), fields=errors)
    sha = digest(content)
    meta = {"name": name, "doc_type": doc_type, "size": len(content), "sha256": sha,
            "content_type": ALLOWED_UPLOADS[ext]}
    return Change("document_attached", {"step": step.key, **meta}, add=[(step.key, "document", meta)],
                  blob=(sha, bytes(content)))


def decide_advance(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """Leave the current step forward. Where leaving needs approval, this asks for it."""
    step = permit(case, user, "advance")
    if step.approval:
        return _ask_approval(case, user, step)
    new = fire(case, "advance")
    return Change("completed" if new == COMPLETED else "advanced", {"step": step.key, "to": new}, to_state=new)


def decide_request_approval(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "request_approval")
    if not step.approval:
        raise NotAllowed("not_allowed.no_approval_needed", step=step.key)
    return _ask_approval(case, user, step, input.get("comment", ""))


def decide_approve(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "approve")
    check_four_eyes(case, user, "approve")
    new = fire(case, "advance")
    said = comment(input.get("comment"))
    return Change("approved", {"step": step.key, "to": new, "comment": said,
                               "requested_by": case.row.approval_requested_by},
                  to_state=new, values={"awaiting": None, "approval_requested_by": None},
                  add=[(step.key, "approval", {"comment": said, "approved": True})])


def decide_return(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """Send the case back to an earlier step (its records from there on are set aside), or, with
    no `to` while an approval is pending, decline the approval and leave the case on its step."""
    step = permit(case, user, "return")
    why, to = reason(input.get("reason")), input.get("to")
    if to is None and case.row.awaiting == AWAIT_APPROVAL:
        return Change("returned", {"step": step.key, "to": step.key, "reason": why},
                      values={"awaiting": None, "approval_requested_by": None},
                      add=[(step.key, "approval", {"approved": False, "reason": why})])
    d = case.definition
    targets = d.returns_from(step.key)
    dest = to if to is not None else (targets[-1] if targets else None)
    if dest is None or dest not in targets:
        raise NotAllowed("not_allowed.return_to" if targets else "not_allowed.no_return", step=step.key, to=dest,
                         targets=list(targets))
    new = fire(case, return_trigger(dest))
    back = [s.key for s in d.steps if d.step(dest).no <= s.no <= step.no]
    return Change("returned", {"step": step.key, "to": new, "reason": why}, to_state=new,
                  values={"awaiting": None, "approval_requested_by": None}, supersede=[(back, None)])


def decide_cancel(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "cancel")
    why = reason(input.get("reason"))
    return Change("cancelled", {"step": step.key, "reason": why}, to_state=fire(case, "cancel"))


COMMENT = Input("comment", "text", help="a comment for the record")
REASON = Input("reason", "text", True, "why", MAX_COMMENT)
ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("record", "Record the current step's form fields",
           (Input("fields", "object", True, "the step's form fields"),), decide_record,
           offered=lambda case, step: bool(step.form)),
    Action("tally", "Record a conference's vote tally (counts only: ballots are secret)",
           (Input("tally", "tally", True, "the counts, and each candidate's votes"),), decide_tally,
           offered=lambda case, step: step.vote is not None),
    Action("attach", "Attach a document to the current step",
           (Input("name", "text", True, "the file's name"), Input("content", "bytes", True, "the file"),
            Input("doc_type", "text", False, "the document type (default 'other')")), decide_attach),
    Action("announce", "Publish the announcement of the decision",
           (Input("decision_no", "text", True, "the decision's number", MAX_STRING), Input("date", "date", True),
            Input("signer", "text", True, most=MAX_STRING), Input("place", "text", most=MAX_STRING),
            Input("text", "text", True, most=MAX_TEXT)), decide_announce,
           offered=lambda case, step: step.announcement),
    Action("advance", "Leave the step forward (asks for approval where the step needs it)", (), decide_advance),
    Action("request_approval", "Ask a supervisor to approve leaving the step", (COMMENT,),
           decide_request_approval, offered=lambda case, step: step.approval),
    Action("approve", "Approve leaving the step (not by the requester: four eyes)", (COMMENT,), decide_approve),
    Action("return", "Return to an earlier step, or decline a pending approval",
           (REASON, Input("to", "text", False, "the step to return to")),
           decide_return, offered=lambda case, step: bool(case.definition.returns_from(step.key))
           or case.row.awaiting == AWAIT_APPROVAL),
    Action("head_decision", "The head's decision on a candidate exactly at the threshold",
           (Input("candidate", "text", True, "the candidate's name"), Input("accept", "boolean", True),
            COMMENT), decide_head),
    Action("cancel", "Cancel the case, with a reason", (REASON,), decide_cancel),
)}


def settle(case: Case, change: Change, now: dt.datetime) -> dict:
    """The case's columns after `change`: the version moves on, a new state starts its step (or
    closes the case), and the search text follows the candidate list."""
    row, d = case.row, case.definition
    values = {"updated_at": now, "version": row.version + 1, **change.values}
    if change.to_state is not None and change.to_state != row.state:
        values["state"] = change.to_state
        closed = {COMPLETED: DONE, CANCELLED: CANCELLED_STATUS}.get(change.to_state)
        if closed:
            values.update(status=closed, step_due=None, awaiting=None, approval_requested_by=None)
        else:
            values.update(step_started_at=now, step_due=due(now, d.step(change.to_state).deadline_days))
    if _touches_names(d, change):
        text = search_text(row.title, names_in(after(case, change)))
        if text != row.search:
            values["search"] = text
    return values


def _names_at(d, step_key: str) -> bool:
    """Whether a step's records can hold names: a 'candidates' field, or a vote."""
    s = d.step(step_key)
    return s.vote is not None or any(f.type == "candidates" for f in s.form)


def _touches_names(d, change: Change) -> bool:
    """Whether a change adds or sets aside a form or a tally that can hold candidates' names."""
    named = {"form", "tally"}
    return (any(kind in named and _names_at(d, step) for step, kind, _ in change.add)
            or any((kinds is None or named & set(kinds)) and any(_names_at(d, s) for s in steps)
                   for steps, kinds in change.supersede))


def after(case: Case, change: Change) -> Iterable[tuple[str, str, dict]]:
    """The live records (step, kind, payload) once `change` is applied."""
    gone = [(set(steps), set(kinds) if kinds is not None else None) for steps, kinds in change.supersede]
    for step_key, by_kind in case.live().items():
        for kind, records in by_kind.items():
            if not any(step_key in steps and (kinds is None or kind in kinds) for steps, kinds in gone):
                yield from ((r.step_key, r.kind, r.payload) for r in records)
    yield from change.add


def available(case: Case, user: User) -> list[str]:
    """The actions `user` may take on `case` now, as the pages offer them."""
    step = case.step
    if step is None:
        return []
    return [name for name, a in ACTIONS.items() if may(case, user, name) and a.offered(case, step)]

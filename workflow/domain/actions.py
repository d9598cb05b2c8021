"""THE table of the actions on a case, and one decide() per action.

Each action has a name, the inputs it takes (which the JSON API, its OpenAPI document, the
scenario runner and the web pages read), who may take it (permissions.CASE_ACTIONS) and a decide
function: (case, user, input, now, limits) -> Change, or an error. A Change says what to write —
the case's new columns, records to add and to set aside, one event — and the adapters write it.
Nothing here reads or writes anything.

Nothing is silently replaced: a saved form's value changed, or a saved tally re-entered, is a
correction that needs a reason; a corrected tally takes effect only when a supervisor other than
the one who entered it approves. A failed gate puts the case before a supervisor (`awaiting:
decision`), who takes one of the lawful next actions (leaving.lawful_next)."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

from . import parse
from .calendar import due
from .case import (AWAIT_APPROVAL, AWAIT_CORRECTION, AWAIT_DECISION, AWAIT_HEAD, CANCELLED_STATUS, DONE, Case,
                   Record)
from .definition import CANCELLED, COMPLETED, Step
from .errors import NotAllowed, Problem, QuorumNotMet, Validation
from .forms import MAX_STRING, MAX_TEXT, check_ranges, clean_announcement, clean_form, merge_form
from .leaving import check_can_leave, decision_record, failed_gate, lawful_next
from .machine import branch_trigger, end_trigger, machine_for, return_trigger
from .people import User
from .permissions import acts_as_head, check_four_eyes, may, permit
from .search import names_in, search_text
from .tally import Tally, parse_tally, quorum, result_payload
from .votes import seats_for

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
    supersede_ids: list[int] = field(default_factory=list)     # records set aside one by one
    noop: bool = False             # nothing to write (a form saved unchanged): no version, no event


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


def reason(v: Any, key: str = "reason.missing") -> str:
    why = parse.text(v or "").strip() if isinstance(v, (str, type(None))) else ""
    if not why:
        raise Validation(key, fields={"reason": Problem("field.required")})
    if len(why) > MAX_COMMENT:
        raise Validation("reason.long", n=MAX_COMMENT, fields={"reason": Problem("field.at_most", n=MAX_COMMENT)})
    return why


def safe_filename(name: Any) -> str:
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", base).strip(" .")
    return base[:200] or "file"


def digest(content: Any) -> str:
    return hashlib.sha256(content).hexdigest() if isinstance(content, (bytes, bytearray)) else ""


def fire(case: Case, trigger: str) -> str:
    """The state `trigger` leads to from the case's state; an advance first checks the step."""
    def guard(trigger: str, source: str, dest: str) -> None:
        if trigger == "advance":
            check_can_leave(case, case.definition.step(source))
    return machine_for(case.definition).fire(case.row.state, trigger, guard=guard)


def _ending(case: Case, step: Step, outcome: str | None, input: Mapping, change: Change) -> Change:
    """An action that ends the case with an outcome: the outcome on the case, and its decision
    record where the outcome needs one."""
    if outcome is None:
        return change
    record = decision_record(case, step, outcome, input)
    change.values["outcome"] = outcome
    change.payload["outcome"] = outcome
    if record is not None:
        change.payload["decision"] = record
        change.add.append((step.key, "decision", record))
    return change


def _forward(case: Case, user: User, step: Step, input: Mapping, kind: str, payload: dict, **extra) -> Change:
    """Leave the step forward along its (passed) advance: the next step, or the end with the outcome
    the definition names there."""
    new = fire(case, "advance")
    t = case.definition.advance_of(step.key)
    outcome = t.end if t is not None and new == COMPLETED else None
    kind = "completed" if new == COMPLETED and kind == "advanced" else kind
    return _ending(case, step, outcome, input, Change(kind, {**payload, "step": step.key, "to": new}, to_state=new,
                                                      values={"returned": False}, **extra))


def _ask_approval(case: Case, user: User, step: Step, said: str = "") -> Change:
    if case.row.awaiting == AWAIT_APPROVAL:
        raise NotAllowed("not_allowed.approval_pending")
    check_can_leave(case, step)
    return Change("approval_requested", {"step": step.key, "comment": comment(said)},
                  values={"awaiting": AWAIT_APPROVAL, "approval_requested_by": user.id},
                  add=[(step.key, "approval_request", {"comment": comment(said)})],
                  info={"awaiting": AWAIT_APPROVAL})


def _back(case: Case, step: Step, dest: str) -> list[tuple[list[str], list[str] | None]]:
    """What going back to `dest` sets aside: what the steps it undoes recorded (it stays on record,
    and their forms open filled in with it: the read side's `prefill`)."""
    d = case.definition
    return [([s.key for s in d.steps if d.step(dest).no <= s.no <= step.no], None)]


# ---- forms and tallies ---------------------------------------------------------------------------

def decide_record(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """Save the step's form. A field already saved that now changes is a correction: it needs a
    reason and the earlier value stays on record. A form saved unchanged records nothing."""
    step = permit(case, user, "record")
    if not step.form:
        raise NotAllowed("not_allowed.no_form", step=step.key)
    submitted = input.get("fields")
    clean = clean_form(step, submitted)
    before = case.records(step.key).form
    merged = merge_form(before, submitted, clean)
    check_ranges(step, merged, lambda ref: case.read(ref, step.key))
    if merged == before:
        return Change("form_unchanged", noop=True)
    changed = {k: {"from": before[k], "to": merged.get(k)} for k in before if merged.get(k) != before[k]}
    payload = {"step": step.key, "fields": clean, "cleared": sorted(k for k in submitted if k not in clean and k in before)}
    if changed:
        # the earlier values and the reason are on the record, in the event (the page marks them corrected)
        payload.update(corrected=changed, reason=reason(input.get("reason"), "reason.correction"))
    return Change("form_recorded", payload, add=[(step.key, "form", merged)], supersede=[([step.key], ["form"])])


def _tally_slot(case: Case, step: Step, raw: Any) -> tuple[Tally | None, int, list[str]]:
    """(the live tally this one corrects or None, its round, the names it may hold)."""
    rec = case.records(step.key)
    res = rec.tally_result
    known = case.candidates(before=step.key)
    if step.tallies is not None:
        body = parse.line(raw.get("body")) if isinstance(raw, Mapping) and isinstance(raw.get("body"), str) else None
        return next((t for t in rec.tallies if t.body == body), None), 1, known
    if res is not None and res.outcome.tied:
        return None, res.round + 1, list(res.outcome.tied)          # a new round among the tied
    if rec.tally is None:
        return None, 1, known
    latest = rec.tally
    earlier = [p for p in res.parts if p.tally.round == latest.round - 1] if res else []
    return latest, latest.round, list(earlier[0].outcome.tied) if earlier else known


def decide_tally(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """Record a conference's tally: the first (or a new round's, or another body's); or a
    correction of one already saved, which needs a reason and waits for a supervisor's approval."""
    step = permit(case, user, "tally")
    if step.vote is None:
        raise NotAllowed("not_allowed.no_vote", step=step.key)
    if case.records(step.key).correction is not None:
        raise NotAllowed("not_allowed.correction_pending")
    raw = input.get("tally")
    old, rnd, known = _tally_slot(case, step, raw)
    seats = seats_for(step.vote, lambda key: case.records(key or step.key).form) or 1
    t = parse_tally(raw, step.vote, known, step.outside_names, seats=seats if step.vote.mode == "nominate" else 1,
                    body=step.tallies is not None, round=rnd)
    q = quorum(t, step.vote)
    if not q.met:
        raise QuorumNotMet("quorum.not_met", present=q.present, of=q.of, needed=q.needed,
                           fields={"present": Problem("field.quorum", needed=q.needed, of=q.of)})
    if old is not None:
        if t.same_count(old):
            return Change("tally_unchanged", noop=True)
        why = reason(input.get("reason"), "reason.correction")
        pending = {"tally": t.to_payload(), "reason": why, "replaces": {"body": old.body, "round": old.round}}
        return Change("correction_requested", {"step": step.key, **pending}, add=[(step.key, "correction", pending)],
                      info={"awaiting": AWAIT_CORRECTION})
    payload = {"step": step.key, "tally": t.to_payload()}
    change = Change("tally_recorded", payload, add=[(step.key, "tally", t.to_payload())])
    if step.tallies is None and rnd == 1:
        change.supersede = [([step.key], ["tally", "head_decision"])]
    result = _result_after(case, change)
    payload["result"] = change.info["result"] = result_payload(result.latest) if result else None
    return change


def _result_after(case: Case, change: Change):
    return _after_case(case, change, None).records(case.row.state).tally_result


def _records_of(case: Case, step_key: str, kinds: Iterable[str]) -> list[Record]:
    by = case.live().get(step_key, {})
    return [r for k in kinds for r in by.get(k, [])]


def decide_approve_correction(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """A supervisor (not the one who entered it) lets a corrected tally take effect; the earlier one
    stays visible inside it, marked corrected."""
    step = permit(case, user, "approve_correction")
    check_four_eyes(case, user, "approve_correction")
    pending = case.records(step.key).correction
    p = pending.payload
    replaced = p["replaces"]
    gone = [r for r in _records_of(case, step.key, ["tally"])
            if r.payload.get("body") == replaced["body"] and r.payload.get("round", 1) >= replaced["round"]]
    previous = next(r.payload for r in gone if r.payload.get("round", 1) == replaced["round"])
    correction = {"reason": p["reason"], "requested_by": pending.actor_id, "approved_by": user.id,
                  "requested_at": pending.created_at.isoformat(), "previous": previous}
    tally = {**p["tally"], "correction": correction}
    heads = _records_of(case, step.key, ["head_decision"]) if step.tallies is None else []
    said = comment(input.get("comment"))
    return Change("correction_approved", {"step": step.key, "tally": tally, "comment": said},
                  add=[(step.key, "tally", tally)], supersede_ids=[r.id for r in [pending, *gone, *heads]])


def decide_reject_correction(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "reject_correction")
    pending = case.records(step.key).correction
    why = reason(input.get("reason"))
    return Change("correction_rejected", {"step": step.key, "reason": why, "tally": pending.payload["tally"]},
                  supersede_ids=[pending.id])


def decide_head(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """The head's decision on a candidate exactly at the threshold (or tied at the cut, where the
    rule lets the head decide); with the differing opinions where the rule asks for them."""
    step = permit(case, user, "head_decision")
    rec = case.records(step.key)
    candidate, accept = input.get("candidate"), input.get("accept")
    waiting = rec.tally_result.outcome.awaiting_head if rec.tally_result else ()
    if candidate not in waiting:
        raise NotAllowed("not_allowed.head_not_pending" if waiting else "not_allowed.head_none_pending",
                         candidate=candidate, pending=list(waiting))
    if not isinstance(accept, bool):
        raise Validation("accept.boolean", fields={"accept": Problem("field.true_false")})
    opinions = comment(input.get("differing_opinions"))
    if step.vote.differing_opinions and not opinions:
        raise Validation("head.differing_opinions", fields={"differing_opinions": Problem("field.required")})
    out = rec.tally_result.outcome
    if accept and out.tie_status and sum(1 for x in out.going_on if x in rec.head and rec.head[x]) >= out.remaining:
        raise NotAllowed("not_allowed.head_seats", places=out.remaining)
    said = comment(input.get("comment"))
    record = {"candidate": candidate, "accept": accept, "comment": said, "as_head": acts_as_head(case, user)}
    if opinions:
        record["differing_opinions"] = opinions
    change = Change("head_decision", {"step": step.key, **record}, add=[(step.key, "head_decision", record)])
    result = _result_after(case, change)
    change.info["result"] = result_payload(result.latest)
    return change


def decide_opinion(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """A body that only gives an opinion at this step records it (once; a changed opinion is a
    correction and needs a reason)."""
    step = permit(case, user, "opinion")
    text = comment(input.get("text"))
    if not text:
        raise Validation("opinion.missing", fields={"text": Problem("field.required")})
    before = case.records(step.key).opinions.get(user.role)
    record = {"role": user.role, "text": text}
    if before is not None:
        if before["text"] == text:
            return Change("opinion_unchanged", noop=True)
        record.update(reason=reason(input.get("reason"), "reason.correction"), previous=before["text"])
    return Change("opinion_recorded", {"step": step.key, **record}, add=[(step.key, "opinion", record)],
                  supersede_ids=[r.id for r in _records_of(case, step.key, ["opinion"])
                                 if r.payload.get("role") == user.role])


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


# ---- moving the case -----------------------------------------------------------------------------

def decide_advance(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """Leave the current step forward. Where leaving needs approval, this asks for it."""
    step = permit(case, user, "advance")
    if step.approval:
        return _ask_approval(case, user, step)
    return _forward(case, user, step, input, "advanced", {})


def decide_request_approval(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "request_approval")
    if not step.approval:
        raise NotAllowed("not_allowed.no_approval_needed", step=step.key)
    return _ask_approval(case, user, step, input.get("comment", ""))


def decide_approve(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "approve")
    check_four_eyes(case, user, "approve")
    said = comment(input.get("comment"))
    change = _forward(case, user, step, input, "approved", {"comment": said,
                                                           "requested_by": case.row.approval_requested_by},
                      add=[(step.key, "approval", {"comment": said, "approved": True})])
    change.values.update(awaiting=None, approval_requested_by=None)
    return change


def decide_return(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """Send the case back to an earlier step (what its steps recorded is set aside: it stays on
    record, and their forms open filled in with it), or, with no `to` while an approval is pending,
    decline the approval and leave the case on its step."""
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
    return Change("returned", {"step": step.key, "to": new, "reason": why}, to_state=new,
                  values={"awaiting": None, "approval_requested_by": None, "returned": True},
                  supersede=_back(case, step, dest))


def decide_decide(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    """After a failed gate, a supervisor takes one of the lawful next actions: end the case with an
    outcome the step's failed branch names (with its decision record where it needs one), go to the
    branch's step, or return to a step the definition allows."""
    step = permit(case, user, "decide")
    why = reason(input.get("reason"))
    options = lawful_next(case)
    outcome, to = input.get("outcome"), input.get("to")
    chosen = next((n for n in options if (n.kind == "end" and n.target == outcome and outcome)
                   or (n.kind != "end" and n.target == to and to)), None)
    if chosen is None:
        raise NotAllowed("not_allowed.decide", choices=[f"{n.kind} {n.target}" for n in options],
                         fields={"outcome" if outcome else "to": Problem("field.one_of",
                                                                          choices=[n.target for n in options])})
    payload = {"step": step.key, "reason": why, "choice": chosen.kind, "target": chosen.target}
    values = {"awaiting": None, "approval_requested_by": None}
    if chosen.kind == "end":
        new = fire(case, end_trigger(chosen.target))
        return _ending(case, step, chosen.target, input, Change("decided", {**payload, "to": new}, to_state=new,
                                                                values=values))
    if chosen.kind == "return":
        new = fire(case, return_trigger(chosen.target))
        return Change("returned", {**payload, "to": new}, to_state=new, values={**values, "returned": True},
                      supersede=_back(case, step, chosen.target))
    new = fire(case, branch_trigger(chosen.target))
    back = case.definition.step(chosen.target).no < step.no
    return Change("decided", {**payload, "to": new}, to_state=new, values={**values, "returned": back},
                  supersede=_back(case, step, chosen.target) if back else [])


def decide_cancel(case: Case, user: User, input: Mapping, now: dt.datetime, limits: Limits) -> Change:
    step = permit(case, user, "cancel")
    why = reason(input.get("reason"))
    return Change("cancelled", {"step": step.key, "reason": why}, to_state=fire(case, "cancel"))


COMMENT = Input("comment", "text", help="a comment for the record")
REASON = Input("reason", "text", True, "why", MAX_COMMENT)
CORRECTION = Input("reason", "text", False, "why a saved value is corrected (needed for a correction)",
                   MAX_COMMENT)
DECISION = (Input("decision_no", "text", False, "the decision's number (an outcome that needs its decision record)",
                  MAX_STRING),
            Input("decision_date", "date", False, "the decision's date"),
            Input("signer", "text", False, "who signed the decision", MAX_STRING))


def _offer_decide(case: Case, step: Step) -> bool:
    return case.row.awaiting == AWAIT_DECISION


def _offer_leaving(case: Case, step: Step) -> bool:
    """Leaving is not offered while the step's result blocks it (a supervisor decides) or a
    correction waits: the pages show why instead of a button that can only be refused."""
    return case.row.awaiting not in (AWAIT_DECISION, AWAIT_CORRECTION)


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("record", "Record the current step's form fields (a changed saved value needs a reason)",
           (Input("fields", "object", True, "the step's form fields"), CORRECTION), decide_record,
           offered=lambda case, step: bool(step.form)),
    Action("tally", "Record a conference's vote tally (counts only: ballots are secret); re-entered, a correction",
           (Input("tally", "tally", True, "the counts, and each candidate's votes"), CORRECTION), decide_tally,
           offered=lambda case, step: step.vote is not None),
    Action("attach", "Attach a document to the current step",
           (Input("name", "text", True, "the file's name"), Input("content", "bytes", True, "the file"),
            Input("doc_type", "text", False, "the document type (default 'other')")), decide_attach),
    Action("announce", "Publish the announcement of the decision",
           (Input("decision_no", "text", True, "the decision's number", MAX_STRING), Input("date", "date", True),
            Input("signer", "text", True, most=MAX_STRING), Input("place", "text", most=MAX_STRING),
            Input("text", "text", True, most=MAX_TEXT)), decide_announce,
           offered=lambda case, step: step.announcement),
    Action("advance", "Leave the step forward (asks for approval where the step needs it)", DECISION, decide_advance,
           offered=_offer_leaving),
    Action("request_approval", "Ask a supervisor to approve leaving the step", (COMMENT,),
           decide_request_approval, offered=lambda case, step: step.approval and _offer_leaving(case, step)),
    Action("approve", "Approve leaving the step (not by the requester: four eyes)", (COMMENT, *DECISION),
           decide_approve),
    Action("return", "Return to an earlier step, or decline a pending approval",
           (REASON, Input("to", "text", False, "the step to return to")),
           decide_return, offered=lambda case, step: bool(case.definition.returns_from(step.key))
           or case.row.awaiting == AWAIT_APPROVAL),
    Action("decide", "After a failed gate: end with an outcome, go to a branch, or return to a step",
           (REASON, Input("outcome", "text", False, "the outcome to end the case with"),
            Input("to", "text", False, "the step to go or return to"), *DECISION), decide_decide,
           offered=_offer_decide),
    Action("head_decision", "The head's decision on a candidate exactly at the threshold",
           (Input("candidate", "text", True, "the candidate's name"), Input("accept", "boolean", True),
            COMMENT, Input("differing_opinions", "text", False, "the differing opinions, reported in full",
                                    MAX_COMMENT)),
           decide_head),
    Action("approve_correction", "Approve a corrected tally (not by the one who entered it: four eyes)", (COMMENT,),
           decide_approve_correction),
    Action("reject_correction", "Refuse a corrected tally, with a reason", (REASON,), decide_reject_correction),
    Action("opinion", "An opinion-only body records its opinion at this step",
           (Input("text", "text", True, "the opinion", MAX_COMMENT), CORRECTION), decide_opinion,
           offered=lambda case, step: bool(step.opinions)),
    Action("cancel", "Cancel (abandon) the case, with a reason", (REASON,), decide_cancel),
)}


# ---- the case after a change ---------------------------------------------------------------------

def after(case: Case, change: Change) -> Iterable[tuple[str, str, dict]]:
    """The live records (step, kind, payload) once `change` is applied."""
    return ((r.step_key, r.kind, r.payload) for r in _records_after(case, change, None))


def _records_after(case: Case, change: Change, now: dt.datetime | None) -> list[Record]:
    gone = [(set(steps), set(kinds) if kinds is not None else None) for steps, kinds in change.supersede]
    ids = set(change.supersede_ids)
    out = [r for by_kind in case.live().values() for records in by_kind.values() for r in records
           if not (r.id is not None and r.id in ids)
           and not any(r.step_key in steps and (kinds is None or r.kind in kinds) for steps, kinds in gone)]
    at = now or case.row.updated_at
    return out + [Record(s, k, p, at) for s, k, p in change.add]


def _after_case(case: Case, change: Change, now: dt.datetime | None, row=None) -> Case:
    records = _records_after(case, change, now)
    return Case(row or case.row, case.definition, lambda: records, today_of=case.today_of, load_heads=lambda: case.heads)


def _awaiting(case: Case, change: Change, after_case: Case) -> str | None:
    """What the case waits for after the change: a correction's approval, an approval, the head's
    decision, or a supervisor's decision after a failed gate (nothing once it has moved on and
    nothing there has failed)."""
    step = after_case.step
    asked = change.values.get("awaiting", case.row.awaiting if change.to_state in (None, case.row.state) else None)
    if step is None:
        return None
    if step.vote is None and not step.conditions:        # nothing there can be judged: no need to look
        return AWAIT_APPROVAL if asked == AWAIT_APPROVAL else None
    rec = after_case.records(step.key)
    if rec.correction is not None:
        return AWAIT_CORRECTION
    if asked == AWAIT_APPROVAL:
        return AWAIT_APPROVAL
    if rec.tally_result is not None and rec.tally_result.outcome.awaiting_head:
        return AWAIT_HEAD
    return AWAIT_DECISION if failed_gate(after_case, step) is not None else None


def settle(case: Case, change: Change, now: dt.datetime) -> dict:
    """The case's columns after `change`: the version moves on, a new state starts its step (or
    closes the case), what the case waits for follows its records, the nearest anchored deadline
    and the search text follow the records."""
    row, d = case.row, case.definition
    values = {"updated_at": now, "version": row.version + 1, **change.values}
    if change.to_state is not None and change.to_state != row.state:
        values["state"] = change.to_state
        closed = {COMPLETED: DONE, CANCELLED: CANCELLED_STATUS}.get(change.to_state)
        if closed:
            values.update(status=closed, step_due=None, awaiting=None, approval_requested_by=None, case_due=None,
                          returned=False)
        else:
            values.update(step_started_at=now, step_due=due(now, d.step(change.to_state).deadline_days))
    state = values.get("state", row.state)
    if values.get("status", row.status) == "open":
        step = d.step(state)
        if step.vote is None and not step.conditions and not d.all_deadlines:
            # nothing at the step can be judged and no deadline hangs on a date: no need to look
            asked = change.values.get("awaiting", row.awaiting if state == row.state else None)
            values["awaiting"] = AWAIT_APPROVAL if asked == AWAIT_APPROVAL else None
            return _names(case, change, values)
        after_case = _after_case(case, change, now, _moved(row, values))
        values["awaiting"] = _awaiting(case, change, after_case)
        if d.all_deadlines:
            case_due = min((x.due for x in after_case.deadlines() if not x.met and x.due), default=None)
            if case_due != row.case_due:
                values["case_due"] = case_due
    return _names(case, change, values)


def _names(case: Case, change: Change, values: dict) -> dict:
    """The columns that follow what is awaited and the candidates' names (the search text)."""
    row = case.row
    change.info.setdefault("awaiting", values.get("awaiting", row.awaiting))
    if values.get("awaiting", row.awaiting) == row.awaiting and "awaiting" not in change.values:
        values.pop("awaiting", None)            # unchanged: not written
    if "awaiting" in values and values["awaiting"] != AWAIT_APPROVAL and row.approval_requested_by is not None \
            and "approval_requested_by" not in values:
        values["approval_requested_by"] = None
    if _touches_names(case.definition, change):
        text = search_text(row.title, names_in(after(case, change)))
        if text != row.search:
            values["search"] = text
    return values


def _moved(row, values: dict):
    return replace(row, **{k: v for k, v in values.items() if hasattr(row, k)})


def _names_at(d, step_key: str) -> bool:
    """Whether a step's records can hold names: a 'candidates' field, or a vote."""
    s = d.step(step_key)
    return s.vote is not None or any(f.type == "candidates" for f in s.form)


def _touches_names(d, change: Change) -> bool:
    """Whether a change adds or sets aside a form or a tally that can hold candidates' names."""
    named = {"form", "tally"}
    return (any(kind in named and _names_at(d, step) for step, kind, _ in change.add)
            or any((kinds is None or named & set(kinds)) and any(_names_at(d, s) for s in steps)
                   for steps, kinds in change.supersede)
            or bool(change.supersede_ids))


def available(case: Case, user: User) -> list[str]:
    """The actions `user` may take on `case` now, as the pages offer them."""
    step = case.step
    if step is None:
        return []
    return [name for name, a in ACTIONS.items() if may(case, user, name) and a.offered(case, step)]

"""Leaving a step: what it needs first (required fields, the vote, the conditions on recorded
facts, the opinions, documents, the announcement); what counts as a failed gate (a vote that is a
gate and did not pass, a gated condition the facts do not meet) — after which the case waits for
a supervisor's decision; the lawful next actions then (return to which step, end with which
outcome, go to which branch); and the decision record an outcome may need."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from . import parse
from .case import Case
from .definition import Step
from .errors import GuardFailed, Problem, QuorumNotMet, Validation, first_problem
from .forms import false_required_booleans, missing_fields
from .tally import threshold_words
from .votes import StepVote

MAX_SIGNER = 300


def check_can_leave(case: Case, step: Step) -> None:
    """Everything the step needs before it is left: required fields, the vote, the conditions,
    the opinions, the documents, the announcement."""
    rec = case.records(step.key)
    missing = missing_fields(step, rec.form)
    if missing:
        raise GuardFailed("guard.missing", missing=missing, fields={k: Problem("field.required") for k in missing})
    unmet = false_required_booleans(step, rec.form)
    if unmet:
        raise GuardFailed("guard.conditions", unmet=unmet, fields={k: Problem("field.must_be_met") for k in unmet})
    if step.vote is not None:
        _check_vote(case, step)
    for j in case.conditions(step):
        if j.blocks:
            raise GuardFailed(j.problem.key, **j.problem.params, cite=j.condition.source.cite or "",
                              fields={j.condition.key: j.problem})
    for o in step.opinions:
        if o.required and o.role not in rec.opinions:
            raise GuardFailed("guard.opinion", role=o.role, opinion=o.title)
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
    if rec.correction is not None:
        raise GuardFailed("guard.correction_pending")
    res = rec.tally_result
    for part in res.parts:
        if not part.quorum.met:
            raise QuorumNotMet("quorum.not_met", present=part.quorum.present, of=part.quorum.of,
                               needed=part.quorum.needed)
    if res.outcome.awaiting_head:
        raise GuardFailed("guard.awaiting_head", names=list(res.outcome.awaiting_head))
    if res.outcome.tied:
        raise GuardFailed("guard.new_round", names=list(res.outcome.tied), places=res.outcome.remaining,
                          round=res.round + 1)
    if step.vote.differing_opinions:
        undecided = [r["candidate"] for r in rec.head_records if not r.get("differing_opinions")]
        if undecided:
            raise GuardFailed("guard.differing_opinions", names=undecided)
    if res.failed_gate:
        raise GuardFailed("guard.vote_failed", threshold=threshold_words(res.latest), base_name=step.vote.base,
                          needed=res.needed, base=res.base)


def failed_gate(case: Case, step: Step) -> GuardFailed | None:
    """Why the step's judged result blocks it — a gate vote settled and not passed, or a gated
    condition the recorded facts do not meet — or None. (A missing field or document is not a
    failed gate: it is something still to record.)"""
    rec = case.records(step.key)
    res: StepVote | None = rec.tally_result
    if step.vote is not None and res is not None and rec.correction is None and res.failed_gate:
        return GuardFailed("guard.vote_failed", threshold=threshold_words(res.latest), base_name=step.vote.base,
                           needed=res.needed, base=res.base)
    for j in case.conditions(step):
        if j.failed_gate:
            return GuardFailed(j.problem.key, **j.problem.params, cite=j.condition.source.cite or "")
    return None


@dataclass(frozen=True)
class Next:
    """A lawful next action after a failed gate: return to a step, go to a branch, or end with an outcome."""
    kind: str                  # return | go | end
    target: str                # the step, or the outcome

    def to_dict(self) -> dict:
        return {"kind": self.kind, "target": self.target}


def lawful_next(case: Case) -> list[Next]:
    """What a supervisor may decide at the current step once its gate failed: the step's failed
    branches (end with an outcome, go to a step), and the returns it declares."""
    step = case.step
    if step is None:
        return []
    d = case.definition
    out = [Next("end", t.end) if t.end else Next("go", t.dest) for t in d.failed_branches(step.key)]
    out += [Next("return", s) for s in d.returns_from(step.key) if not any(n.target == s for n in out)]
    return out


def decision_record(case: Case, step: Step, outcome: str, input: Mapping[str, Any]) -> dict | None:
    """The decision record an outcome needs (number, date, signer): given with the action, or the
    step's announcement of the decision. None when the outcome needs none; raises when it is missing."""
    o = case.definition.outcome(outcome)
    if o is None or not o.decision:
        return None
    given = {k: input.get(k) for k in ("decision_no", "decision_date", "signer")}
    if not any(given.values()):
        a = case.records(step.key).announcement or next(
            (case.records(s.key).announcement for s in reversed(case.definition.steps)
             if case.records(s.key).announcement), None)
        if a:
            given = {"decision_no": a.get("decision_no"), "decision_date": a.get("date"), "signer": a.get("signer")}
    errors: dict[str, Problem] = {}
    out: dict[str, Any] = {"outcome": outcome}
    for key in ("decision_no", "decision_date", "signer"):
        v = given.get(key)
        if v in (None, ""):
            errors[key] = Problem("field.required")
            continue
        try:
            out[key] = parse.date(v) if key == "decision_date" else parse.line(v)[:MAX_SIGNER]
        except parse.Invalid as e:
            errors[key] = e.problem
    if errors:
        raise GuardFailed("guard.decision_record", outcome=outcome, fields=errors) if not any(given.values()) \
            else Validation("decision.invalid", outcome=outcome, fields=errors, **first_problem(errors))
    return out


"""JSON shapes of the engine's objects (no Flask request handling here)."""
from __future__ import annotations

from workflow.domain.chain import iso
from workflow.domain.definition import Definition, Step, VoteRule
from workflow.domain.case import StepRecords
from workflow.domain.tally import result_payload
from workflow.usecases.common import CaseDetail


def _text(t) -> dict | None:
    return {"vi": t.vi, "en": t.en} if t is not None else None


def _frac(f) -> str | None:
    return f"{f.numerator}/{f.denominator}" if f is not None else None


def vote_rule_json(r: VoteRule) -> dict:
    return {"key": r.key, "title": _text(r.title), "scale": r.scale, "mode": r.mode,
            "quorum": {"fraction": _frac(r.quorum_fraction), "of": r.quorum_of}, "base": r.base,
            "pass": {"op": r.pass_op, "fraction": _frac(r.pass_fraction)} if r.pass_op else None,
            "at_threshold": r.at_threshold, "no_pass": r.no_pass,
            "outcomes": [{"key": o.rule.key, "title": _text(o.title), "measure": o.rule.measure, "op": o.rule.op,
                          "fraction": _frac(o.rule.fraction), "below": _frac(o.rule.below)} for o in r.outcomes],
            "default_outcome": r.default_outcome}


def step_json(s: Step) -> dict:
    return {"key": s.key, "no": s.no, "title": _text(s.title), "acted_by": _text(s.acted_by), "role": s.role,
            "form": [{"key": f.key, "type": f.type, "label": _text(f.label), "required": f.required,
                      "choices": [{"key": c.key, "label": _text(c.label)} for c in f.choices]} for f in s.form],
            "vote": s.vote.key if s.vote else None, "allows_nominees": s.allows_nominees, "approval": s.approval,
            "announcement": s.announcement,
            "documents": [{"type": d.type, "label": _text(d.label), "required": d.required} for d in s.documents],
            "deadline_days": s.deadline_days}


def definition_json(d: Definition, *, full: bool = True) -> dict:
    out = {"key": d.key, "version": d.version, "title": _text(d.title), "effective_from": d.effective_from.isoformat(),
           "legal_basis": [{"number": b.number, "date": b.date.isoformat(), "title": _text(b.title)}
                           for b in d.legal_basis],
           "steps_count": len(d.steps)}
    if full:
        out.update(steps=[step_json(s) for s in d.steps],
                   transitions=[{"trigger": t.trigger, "source": t.source, "dest": t.dest} for t in d.transitions],
                   vote_rules=[vote_rule_json(r) for r in d.vote_rules], fingerprint=d.fingerprint)
    return out


def _records_json(r: StepRecords) -> dict:
    return {"form": r.form, "tally": r.tally.to_payload() if r.tally else None,
            "result": result_payload(r.tally_result) if r.tally_result else None, "head_decisions": r.head,
            "announcement": r.announcement, "documents": r.documents, "approval": r.approval}


def case_detail_json(d: CaseDetail) -> dict:
    return {"case": d.summary.to_dict(), "current_step": d.step.key if d.step else None, "actions": d.actions,
            "return_targets": d.return_targets, "candidates": d.candidates, "nominees": d.nominees,
            "approval_requested_by": d.approval_requested_by,
            "steps": {k: _records_json(v) for k, v in d.steps.items()},
            "timeline": {k: {"entered_at": iso(v["entered_at"]),
                             "left_at": iso(v["left_at"]) if v["left_at"] else None} for k, v in d.timeline.items()}}


def event_json(e: dict) -> dict:
    return {"seq": e["seq"], "case_id": e["case_id"], "at": iso(e["at"]), "actor": e["actor"], "role": e["role"],
            "unit_id": e["unit_id"], "kind": e["kind"], "from_state": e["from_state"], "to_state": e["to_state"],
            "payload": e["payload"], "hash": e["hash"]}


def page_json(page, items: list) -> dict:
    """A page of a list, with what the pager counted."""
    return {"items": items, "total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages,
            "total_exact": page.exact}

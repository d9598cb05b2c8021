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


def _ref(r) -> str | None:
    return str(r) if r is not None else None


def vote_rule_json(r: VoteRule) -> dict:
    return {"key": r.key, "title": _text(r.title), "scale": r.scale, "mode": r.mode,
            "quorum": {"fraction": _frac(r.quorum_fraction), "of": r.quorum_of}, "base": r.base,
            "pass": {"op": r.pass_op, "fraction": _frac(r.pass_fraction)} if r.pass_op else None,
            "at_threshold": r.at_threshold, "no_pass": r.no_pass,
            "outcomes": [{"key": o.rule.key, "title": _text(o.title), "measure": o.rule.measure, "op": o.rule.op,
                          "fraction": _frac(o.rule.fraction), "below": _frac(o.rule.below)} for o in r.outcomes],
            "default_outcome": r.default_outcome, "gate": r.gate, "seats": r.seats, "seats_field": _ref(r.seats_field),
            "tie_at_cut": r.tie_at_cut, "outside_names": r.outside_names, "announced": r.announced,
            "decided_by": r.decided_by, "differing_opinions": r.differing_opinions, **r.source.to_dict()}


def _deadline_json(dl) -> dict:
    return {"key": dl.key, "title": _text(dl.title), "anchor": str(dl.anchor), "before": dl.before,
            "working_days": dl.working_days, "days": dl.days, "months": dl.months, "until": dl.until,
            **dl.source.to_dict()}


def step_json(s: Step) -> dict:
    return {"key": s.key, "no": s.no, "title": _text(s.title), "acted_by": _text(s.acted_by), "role": s.role,
            "form": [{"key": f.key, "type": f.type, "label": _text(f.label), "required": f.required,
                      "choices": [{"key": c.key, "label": _text(c.label)} for c in f.choices], "min": f.min,
                      "max": f.max, "not_before": _ref(f.not_before), "not_after": _ref(f.not_after)} for f in s.form],
            "vote": s.vote.key if s.vote else None, "allows_nominees": s.allows_nominees, "approval": s.approval,
            "announcement": s.announcement,
            "documents": [{"type": d.type, "label": _text(d.label), "required": d.required} for d in s.documents],
            "deadline_days": s.deadline_days, "deadline_source": s.deadline_source.to_dict(),
            "deadline": _deadline_json(s.deadline) if s.deadline else None,
            "conditions": [{"key": c.key, "title": _text(c.title), "kind": c.kind,
                            "refs": {k: str(v) for k, v in c.refs}, "min": c.min, "max": c.max, "gate": c.gate,
                            "unless": _ref(c.unless), **c.source.to_dict()} for c in s.conditions],
            "tallies": {"per": s.tallies.per, "combine": s.tallies.combine} if s.tallies else None,
            "opinions": [{"role": o.role, "title": _text(o.title), "required": o.required, **o.source.to_dict()}
                         for o in s.opinions]}


def definition_json(d: Definition, *, full: bool = True) -> dict:
    out = {"key": d.key, "version": d.version, "title": _text(d.title), "effective_from": d.effective_from.isoformat(),
           "legal_basis": [{"number": b.number, "date": b.date.isoformat(), "title": _text(b.title)}
                           for b in d.legal_basis],
           "steps_count": len(d.steps)}
    if full:
        out.update(steps=[step_json(s) for s in d.steps],
                   transitions=[{"trigger": t.trigger, "source": t.source, "dest": t.dest, "end": t.end, "when": t.when}
                                for t in d.transitions],
                   vote_rules=[vote_rule_json(r) for r in d.vote_rules], fingerprint=d.fingerprint,
                   outcomes=[{"key": o.key, "title": _text(o.title), "decision": o.decision, **o.source.to_dict()}
                             for o in d.outcomes],
                   deadlines=[_deadline_json(dl) for dl in d.deadlines])
    return out


def _records_json(r: StepRecords) -> dict:
    res = r.tally_result
    return {"form": r.form, "tally": r.tally.to_payload() if r.tally else None,
            "result": result_payload(res.latest) if res else None, "head_decisions": r.head,
            "announcement": r.announcement, "documents": r.documents, "approval": r.approval,
            # the language's v2: every live tally (bodies, rounds) judged, the step's combined result per name
            "tallies": [t.to_payload() for t in r.tallies], "results": [result_payload(p) for p in res.parts] if res else [],
            "candidates": res.words() if res else {}, "passed": res.outcome.passed if res else None,
            "gate": res.gate if res else None, "head_records": list(r.head_records),
            "correction": ({**r.correction.payload, "requested_by": r.correction.actor_id,
                            "requested_at": iso(r.correction.created_at)} if r.correction else None),
            "opinions": r.opinions, "decision": r.decision}


def _return_json(r: dict | None) -> dict | None:
    return None if r is None else {"reason": r["reason"], "from": r["from"], "to": r["to"], "at": iso(r["at"]),
                                   "by": r["by"], "login": r["login"]}


def case_detail_json(d: CaseDetail) -> dict:
    return {"case": d.summary.to_dict(), "current_step": d.step.key if d.step else None, "actions": d.actions,
            "return_targets": d.return_targets, "candidates": d.candidates, "nominees": d.nominees,
            "approval_requested_by": d.approval_requested_by,
            "steps": {k: _records_json(v) for k, v in d.steps.items()},
            "timeline": {k: {"entered_at": iso(v["entered_at"]),
                             "left_at": iso(v["left_at"]) if v["left_at"] else None} for k, v in d.timeline.items()},
            "conditions": [j.to_dict() for j in d.conditions], "deadlines": [x.to_dict() for x in d.deadlines],
            "lawful_next": [n.to_dict() for n in d.lawful_next],
            "blocked": d.blocked.to_dict() if d.blocked is not None else None,
            "last_return": _return_json(d.last_return),
            "corrections": {k: [{**c, "at": iso(c["at"])} for c in v] for k, v in d.corrections.items()}}


def event_json(e: dict) -> dict:
    return {"seq": e["seq"], "case_id": e["case_id"], "at": iso(e["at"]), "actor": e["actor"],
            "actor_name": e.get("actor_name"), "role": e["role"],
            "unit_id": e["unit_id"], "kind": e["kind"], "from_state": e["from_state"], "to_state": e["to_state"],
            "payload": e["payload"], "hash": e["hash"]}


def page_json(page, items: list) -> dict:
    """A page of a list, with what the pager counted."""
    return {"items": items, "total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages,
            "total_exact": page.exact}

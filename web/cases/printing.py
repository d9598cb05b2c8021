"""Printable records of a step: the vote-count minutes and the announcement."""
from __future__ import annotations

from flask import abort, render_template, request

from ..auth_session import uid
from ..engine import wf
from .blueprint import bp


def _printable(case_id: int, step_key: str, kind: str, template: str, **extra):
    """A printable record of one step; 404 where the step holds no such record."""
    detail = wf().queries.get_case(uid(), case_id, history=False)
    d = detail.definition
    rec = detail.steps.get(step_key) if d.has_step(step_key) else None
    if rec is None or getattr(rec, kind) is None:
        abort(404)
    return render_template(template, c=detail, d=d, s=detail.summary, step=d.step(step_key), rec=rec, **extra)


@bp.get("/cases/<int:case_id>/steps/<step_key>/minutes")
def minutes(case_id: int, step_key: str):
    """The vote-count minutes of a step's tally: `?part=N` for one of several (a body's, a round's;
    the latest by default)."""
    n = request.args.get("part", type=int)
    return _printable(case_id, step_key, "tally", "cases/print_minutes.html", part_no=n)


@bp.get("/cases/<int:case_id>/steps/<step_key>/announcement")
def announcement_print(case_id: int, step_key: str):
    return _printable(case_id, step_key, "announcement", "cases/print_announcement.html")

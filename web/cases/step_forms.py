"""The current step's own pages: its form fields, the conference tally (with its live figures: the
engine's rule on the figures typed so far), the announcement. Each is offered only when the engine
lists the action for this user now."""
from __future__ import annotations

from flask import abort, flash, get_template_attribute, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflow.domain.errors import InvalidTally, Problem, VersionConflict, WorkflowError
from workflow.domain.tally import COUNTS

from .. import forms
from ..auth_session import uid
from ..engine import wf
from ..errors import error_text, field_messages, wants_json
from .actions import VIEWS
from .blueprint import bp
from .live import Live, judged, live


def _form_detail(case_id: int, action: str):
    """The case, for a form page; the form is offered only when the engine lists the action."""
    detail = wf().queries.get_case(uid(), case_id, history=False)
    if action not in detail.actions:
        abort(403)
    return detail


def _form_error(e: WorkflowError, detail) -> tuple[dict, int]:
    if e.http_status == 404:
        raise e
    message = error_text(e, detail.step)
    if isinstance(e, VersionConflict):
        message += " " + _("Nội dung bạn vừa nhập chưa được lưu.")
    flash(message, "danger")
    return field_messages(e), e.http_status


def _saved(case_id: int, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("cases.case", case_id=case_id))


# ---- the step's form fields ----------------------------------------------------------------------

def _edit_value(field, v):
    """A stored value as the form's input shows it."""
    if v is None:
        return ""
    if field.type == "candidates" and isinstance(v, (list, tuple)):
        return "\n".join(v)
    return v


@bp.route("/cases/<int:case_id>/record", methods=["GET", "POST"])
def record(case_id: int):
    detail = _form_detail(case_id, "record")
    step = detail.step
    saved = detail.steps[step.key].form
    # nothing saved here since a return: the form opens with what was recorded before it
    earlier = detail.prefill.get(step.key) if not saved else None
    values = {f.key: (saved or earlier or {}).get(f.key) for f in step.form}
    errors, status, reason = {}, 200, None
    if request.method == "POST":
        fields, reason = forms.record_fields(step, request.form), request.form.get("reason") or None
        try:
            r = wf().cases.record(uid(), case_id, fields, reason=reason, **forms.guard(request.form))
            return _saved(case_id, _("Không có thay đổi nào; không ghi gì thêm.") if r.info.get("unchanged")
                          else _(VIEWS["record"].done), "info" if r.info.get("unchanged") else "success")
        except WorkflowError as e:
            errors, status = _form_error(e, detail)
            values = {**values, **fields}
    return render_template("cases/record.html", c=detail, d=detail.definition, s=detail.summary, step=step,
                           values=values, errors=errors, show=_edit_value, saved=bool(saved), reason=reason,
                           prefilled=bool(earlier)), status


# ---- the conference tally ------------------------------------------------------------------------

def _new_round(detail) -> list[str]:
    """Who a new round is among (those tied at the cut), or [] when the step holds no such tie."""
    step = detail.step
    res = detail.steps[step.key].tally_result
    return list(res.outcome.tied) if res is not None and res.outcome.tied and step.tallies is None else []


def _recorded(detail) -> forms.TallyForm:
    """The tally form as the step holds it: its recorded tally (to correct it), else the case's
    candidates (or, for a new round, those tied), no votes; with several tallies at the step, a new
    body's blank form."""
    step = detail.step
    rec, measures = detail.steps[step.key], step.vote.measures
    t = rec.tally if step.tallies is None and not _new_round(detail) else None
    known = _known(detail) if t is None else [n for n in detail.candidates if not (t and n in t.nominees)]
    rows = [{"name": n, **{m: t.counts(n).get(m, "") for m in measures}, "nominee": n in t.nominees}
            for n in t.names] if t else []
    rows += [{"name": n, **{m: "" for m in measures}, "nominee": False} for n in known if not t or n not in t.names]
    counts = {k: getattr(t, k) if t else "" for k in (*COUNTS, "members", "excused")}
    counts.update({k: (getattr(t, k) if t else "") or "" for k in ("held_on", "place", "excused_reason", "body")})
    return forms.TallyForm(counts, rows)


def _known(detail) -> list[str]:
    tied = _new_round(detail)
    if tied:
        return tied
    t = detail.steps[detail.step.key].tally
    return [n for n in detail.candidates if not (t and n in t.nominees)]


def _tally_page(detail, sent: forms.TallyForm, errors: dict | None = None, status: int = 200,
                figures: Live | None = None):
    rule, rec = detail.step.vote, detail.steps[detail.step.key]
    tied = _new_round(detail)
    return render_template("cases/tally.html", c=detail, d=detail.definition, s=detail.summary, step=detail.step,
                           rule=rule, rows=sent.rows, known=_known(detail), counts=sent.counts, errors=errors or {},
                           members_needed=rule.needs_members, live=figures or Live(), tied=tied,
                           round_no=(rec.tally_result.round + 1) if tied else None,
                           correcting=bool(rec.tallies) and not tied, reason=request.form.get("reason", "")), status


@bp.route("/cases/<int:case_id>/tally", methods=["GET", "POST"])
def tally(case_id: int):
    detail = _form_detail(case_id, "tally")
    if request.method == "GET":
        return _tally_page(detail, _recorded(detail))
    sent = forms.tally(request.form, detail.step.vote, _known(detail))
    try:
        if sent.twice:   # a mapping cannot hold one name twice: say so instead of keeping one row
            raise InvalidTally("tally.name_listed_twice",
                               fields={f"candidates.{n}": Problem("tally.name_twice") for n in sent.twice})
        r = wf().cases.tally(uid(), case_id, sent.tally, reason=request.form.get("reason") or None,
                             **forms.guard(request.form))
    except WorkflowError as e:
        return _tally_page(detail, sent, *_form_error(e, detail))
    if r.info.get("unchanged"):
        return _saved(case_id, _("Số liệu giống kết quả đã ghi; không ghi gì thêm."), "info")
    if r.case.get("awaiting") == "correction":
        return _saved(case_id, _("Đã ghi bản sửa kết quả kiểm phiếu; bản sửa có hiệu lực khi một lãnh đạo khác "
                                 "phê duyệt."), "warning")
    if r.case.get("awaiting") == "head_decision":
        return _saved(case_id, _("Đã ghi kết quả kiểm phiếu. Có người đúng bằng ngưỡng: chờ người đứng đầu quyết "
                                 "định."), "warning")
    return _saved(case_id, _(VIEWS["tally"].done))


@bp.post("/cases/<int:case_id>/tally/preview")
def tally_preview(case_id: int):
    """The rule's figures on the tally as typed so far, saving nothing: JSON for the form's script
    (each row's figures and the lines beside the form, rendered, and the judged figures), else the
    tally page again with the figures (a browser without scripts)."""
    if wants_json():
        counts, rows = forms.tally_figures(request.form)
        p = wf().queries.preview_tally(uid(), case_id, counts, rows)
        said, row, summary = live(p), get_template_attribute("cases/_live.html", "row"), \
            get_template_attribute("cases/_live.html", "summary")
        return jsonify({**judged(p), "html": {"rows": {str(i): str(row(r)) for i, r in said.rows.items()},
                                              "summary": str(summary(said.summary))}})
    detail = _form_detail(case_id, "tally")
    sent = forms.tally(request.form, detail.step.vote, _known(detail))
    measures = detail.step.vote.measures
    p = wf().queries.preview_tally(uid(), case_id, sent.counts, [{m: r[m] for m in measures} for r in sent.rows])
    return _tally_page(detail, sent, figures=live(p))


# ---- the announcement ----------------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/announce", methods=["GET", "POST"])
def announce(case_id: int):
    detail = _form_detail(case_id, "announce")
    current = detail.steps[detail.step.key].announcement
    if current:
        values = dict(current)
    else:       # offer the decision recorded at an earlier step
        earlier = {k: v for st in detail.definition.steps for k, v in detail.steps[st.key].form.items()}
        values = {"decision_no": earlier.get("decision_no", ""), "date": earlier.get("decision_date", "")}
    errors, status = {}, 200
    if request.method == "POST":
        values = forms.announcement(request.form)
        try:
            wf().cases.announce(uid(), case_id, {k: v for k, v in values.items() if v}, **forms.guard(request.form))
            return _saved(case_id, _(VIEWS["announce"].done))
        except WorkflowError as e:
            errors, status = _form_error(e, detail)
    return render_template("cases/announce.html", c=detail, d=detail.definition, s=detail.summary, step=detail.step,
                           values=values, errors=errors), status

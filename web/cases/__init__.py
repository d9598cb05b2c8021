"""The cases: my work, a case, the step forms (fields, conference tally, announcement), documents,
approval and return, printable records and the announcements board. Each POST parses the form,
calls one Workflow method with the page's case version and the form's idempotency key, and
redirects (success) or renders the page again with the error (failure)."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from workflow.domain.errors import InvalidTally, Problem, VersionConflict, WorkflowError
from workflow.domain.tally import COUNTS

from ..site import (BASE_NAMES, MEASURE_NAMES, as_int, error_text, field_messages, locale, require_login, text, uid, wf,
                    word)
from .diagram import state_diagram
from .words import describe, field_value

bp = Blueprint("cases", __name__)
base_name = lambda b: word(BASE_NAMES, b)  # noqa: E731
measure_name = lambda m: word(MEASURE_NAMES, m)  # noqa: E731
bp.before_request(require_login)

PER_PAGE = 20



def _guard() -> dict:
    """The optimistic lock and the idempotency key every case-changing form sends."""
    return {"expected_version": as_int(request.form.get("expected_version")),
            "idempotency_key": request.form.get("idempotency_key") or None}


@bp.app_template_global()
def definition_of(summary):
    """The definition (version) a case runs under."""
    try:
        return wf().registry.get(summary.procedure, summary.version)
    except KeyError:
        return None


@bp.app_template_global()
def describe_event(e, d=None):
    if d is None and e.get("procedure"):
        try:
            d = wf().registry.get(e["procedure"], e["procedure_version"])
        except KeyError:
            d = None
    return describe(e, d)


@bp.app_template_global()
def show_value(field, v):
    return field_value(field, v)


# ---- my work -----------------------------------------------------------------------------------

@bp.get("/")
def home():
    a = request.args
    filters = {"procedure": a.get("procedure") or None, "state": a.get("step") or None,
               "unit_id": as_int(a.get("unit")), "status": a.get("status") or None,
               "text": (a.get("q") or "").strip() or None, "overdue": a.get("overdue") == "1"}
    page = wf().queries.list_cases(uid(), page=as_int(a.get("page")) or 1, per_page=PER_PAGE, **filters)
    return render_template("cases/home.html", queue=wf().queries.work_queue(uid()), page=page, filters=filters,
                           units=wf().directory.list_units(uid()), procedures=wf().registry.latest(),
                           filtered=any(v for v in filters.values()))


@bp.get("/announcements")
def announcements():
    return render_template("cases/announcements.html", items=wf().queries.announcements(uid(), limit=100),
                           procedures={d.key: d for d in wf().registry.latest()})


# ---- opening a case ------------------------------------------------------------------------------

@bp.route("/cases/new", methods=["GET", "POST"])
def new_case():
    values, errors, status = request.form, {}, 200
    if request.method == "POST":
        try:
            r = wf().cases.open_case(uid(), request.form.get("procedure", ""), request.form.get("title", ""),
                               unit_id=as_int(request.form.get("unit_id")),
                               idempotency_key=request.form.get("idempotency_key") or None)
            flash(_("Đã mở hồ sơ mới."), "success")
            return redirect(url_for("cases.case", case_id=r.case["id"]))
        except WorkflowError as e:
            flash(error_text(e), "danger")
            errors, status = field_messages(e), e.http_status
    return render_template("cases/new.html", procedures=wf().registry.latest(), units=wf().directory.list_units(uid()),
                           values=values, errors=errors), status


# ---- a case --------------------------------------------------------------------------------------

def _page_context(detail) -> dict:
    d, s = detail.definition, detail.summary
    current = s.state if s.status == "open" else None
    visited = [k for k in detail.timeline if d.has_step(k)]
    if s.status == "completed":
        done = {st.key for st in d.steps}
    else:
        # the step the case is on (or was on when cancelled); after a return, later steps are not done
        last = current or max(visited, key=lambda k: detail.timeline[k]["entered_at"], default=None)
        limit = d.step(last).no if last else 0
        done = {k for k in visited if detail.timeline[k].get("left_at") and d.step(k).no < limit}
    request_event = None
    if s.awaiting == "approval":
        request_event = next((e for e in reversed(detail.history) if e["kind"] == "approval_requested"), None)
    return {"c": detail, "d": d, "s": s, "current": current, "done": done,
            "diagram": state_diagram(d, current, done, finished=s.status == "completed"),
            "request_event": request_event}


def case_page(case_id: int, status: int = 200, **extra):
    detail = wf().queries.get_case(uid(), case_id)
    return render_template("cases/case.html", **_page_context(detail), **extra), status


@bp.get("/cases/<int:case_id>")
def case(case_id: int):
    return case_page(case_id)


def _act(case_id: int, call, done: str):
    """Run one case action from the case page: redirect with a message, or show the page again
    (newest state) with the error and its HTTP status."""
    try:
        r = call()
    except WorkflowError as e:
        if e.http_status == 404:
            raise
        step = None
        try:
            detail = wf().queries.get_case(uid(), case_id, history=False)
            step = detail.step
        except WorkflowError:
            raise e from None
        message = error_text(e, step, with_fields=True)
        if isinstance(e, VersionConflict):
            message = _("Có người khác vừa thay đổi hồ sơ này; trang đã được tải lại với nội dung mới nhất. "
                        "Hãy kiểm tra rồi làm lại.")
        flash(message, "danger")
        return case_page(case_id, e.http_status, form_values=request.form)
    if r.replayed:
        done = _("Yêu cầu này đã được ghi nhận trước đó.")
    flash(done(r) if callable(done) else done, "success")
    return redirect(url_for("cases.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/advance")
def advance(case_id: int):
    return _act(case_id, lambda: wf().cases.advance(uid(), case_id, **_guard()),
                lambda r: _("Hồ sơ đã hoàn thành.") if r.case.get("status") == "completed" else _("Đã chuyển bước."))


@bp.post("/cases/<int:case_id>/request-approval")
def request_approval(case_id: int):
    return _act(case_id, lambda: wf().cases.request_approval(uid(), case_id, comment=request.form.get("comment", ""),
                                                       **_guard()), _("Đã trình lãnh đạo phê duyệt."))


@bp.post("/cases/<int:case_id>/approve")
def approve(case_id: int):
    return _act(case_id, lambda: wf().cases.approve(uid(), case_id, comment=request.form.get("comment", ""),
                                              **_guard()), _("Đã phê duyệt."))


@bp.post("/cases/<int:case_id>/return")
def return_case(case_id: int):
    return _act(case_id, lambda: wf().cases.return_case(uid(), case_id, request.form.get("reason", ""),
                                                  to=request.form.get("to") or None, **_guard()),
                _("Đã trả lại hồ sơ."))


@bp.post("/cases/<int:case_id>/cancel")
def cancel(case_id: int):
    return _act(case_id, lambda: wf().cases.cancel(uid(), case_id, request.form.get("reason", ""), **_guard()),
                _("Đã hủy hồ sơ."))


@bp.post("/cases/<int:case_id>/head-decision")
def head_decision(case_id: int):
    accept = {"1": True, "0": False}.get(request.form.get("accept", ""))
    return _act(case_id, lambda: wf().cases.head_decision(uid(), case_id, request.form.get("candidate", ""), accept,
                                                    comment=request.form.get("comment", ""), **_guard()),
                _("Đã ghi quyết định của người đứng đầu."))


@bp.post("/cases/<int:case_id>/documents")
def attach(case_id: int):
    f = request.files.get("file")
    content = f.read() if f else b""
    return _act(case_id, lambda: wf().cases.attach(uid(), case_id, f.filename if f else "", content,
                                             doc_type=request.form.get("doc_type") or "other", **_guard()),
                _("Đã đính kèm tài liệu."))


@bp.get("/cases/<int:case_id>/documents/<sha256>")
def download(case_id: int, sha256: str):
    meta, content = wf().queries.document(uid(), case_id, sha256)
    resp = send_file(io.BytesIO(content), mimetype=meta.get("content_type") or "application/octet-stream",
                     as_attachment=True, download_name=meta.get("name") or "tai-lieu")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# ---- the step's forms --------------------------------------------------------------------------

def _form_detail(case_id: int, action: str):
    """The case, for a form page; the form is offered only when the service lists the action."""
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


@bp.route("/cases/<int:case_id>/record", methods=["GET", "POST"])
def record(case_id: int):
    detail = _form_detail(case_id, "record")
    step = detail.step
    values = {f.key: detail.steps[step.key].form.get(f.key) for f in step.form}
    errors, status = {}, 200
    if request.method == "POST":
        fields = {}
        for f in step.form:
            if f.type == "boolean":
                v = request.form.get(f.key)
                if v in ("true", "false"):
                    fields[f.key] = v == "true"
                elif v == "":
                    fields[f.key] = None
            else:
                fields[f.key] = request.form.get(f.key, "")
        try:
            wf().cases.record(uid(), case_id, fields, **_guard())
            flash(_("Đã lưu nội dung bước."), "success")
            return redirect(url_for("cases.case", case_id=case_id))
        except WorkflowError as e:
            errors, status = _form_error(e, detail)
            values = {**values, **{k: v for k, v in fields.items()}}
    return render_template("cases/record.html", c=detail, d=detail.definition, s=detail.summary, step=step,
                           values=values, errors=errors, show=_edit_value), status


def _edit_value(field, v):
    """A stored value as the form's input shows it."""
    if v is None:
        return ""
    if field.type == "candidates" and isinstance(v, (list, tuple)):
        return "\n".join(v)
    return v


def _tally_rows(detail, step) -> tuple[list[dict], list[str]]:
    """The candidate rows of the tally form: the step's recorded tally, else the case's list."""
    rec = detail.steps[step.key]
    measures = step.vote.measures
    known = [n for n in detail.candidates if not (rec.tally and n in rec.tally.nominees)]
    if rec.tally:
        rows = [{"name": n, **{m: rec.tally.counts(n).get(m, "") for m in measures},
                 "nominee": n in rec.tally.nominees} for n in rec.tally.names]
        rows += [{"name": n, **{m: "" for m in measures}, "nominee": False}
                 for n in known if n not in rec.tally.names]
    else:
        rows = [{"name": n, **{m: "" for m in measures}, "nominee": False} for n in known]
    return rows, known


@bp.route("/cases/<int:case_id>/tally", methods=["GET", "POST"])
def tally(case_id: int):
    detail = _form_detail(case_id, "tally")
    step, rule = detail.step, detail.step.vote
    rec = detail.steps[step.key]
    rows, known = _tally_rows(detail, step)
    counts = {k: getattr(rec.tally, k) if rec.tally else "" for k in (*COUNTS, "members")}
    counts.update(held_on=(rec.tally.held_on if rec.tally else "") or "", place=(rec.tally.place if rec.tally else "") or "")
    errors, status = {}, 200
    if request.method == "POST":
        counts = {k: request.form.get(k, "").strip() for k in (*COUNTS, "members", "held_on", "place")}
        rows, names = [], {}
        for i in range(min(as_int(request.form.get("rows")) or 0, 500)):
            name = " ".join(request.form.get(f"c{i}-name", "").split())
            votes = {m: request.form.get(f"c{i}-{m}", "").strip() for m in rule.measures}
            if not any(votes.values()):     # a row left without votes is not part of this count
                continue
            rows.append({"name": name, **votes, "nominee": bool(known) and name not in known})
            names.setdefault(name, []).append(votes)
        submitted = {k: v for k, v in counts.items() if k in COUNTS or v}
        submitted["candidates"] = {n: v[0] for n, v in names.items()}
        try:
            twice = [n for n, v in names.items() if len(v) > 1]
            if twice:   # a mapping cannot hold one name twice: say so instead of keeping one row
                raise InvalidTally("tally.name_listed_twice",
                                   fields={f"candidates.{n}": Problem("tally.name_twice") for n in twice})
            r = wf().cases.tally(uid(), case_id, submitted, **_guard())
            if r.case.get("awaiting") == "head_decision":
                flash(_("Đã ghi kết quả kiểm phiếu. Có người đúng bằng ngưỡng: chờ người đứng đầu quyết định."),
                      "warning")
            else:
                flash(_("Đã ghi kết quả kiểm phiếu."), "success")
            return redirect(url_for("cases.case", case_id=case_id))
        except WorkflowError as e:
            errors, status = _form_error(e, detail)
    return render_template("cases/tally.html", c=detail, d=detail.definition, s=detail.summary, step=step,
                           rule=rule, rows=rows, known=known, counts=counts, errors=errors,
                           members_needed="members" in (rule.base, rule.quorum_of),
                           rule_js=_rule_js(rule), words_js=_words_js(rule)), status


def _rule_js(rule) -> dict:
    """The vote rule's parameters for the live calculation in the browser (the server decides)."""
    fr = lambda f: [f.numerator, f.denominator] if f is not None else None  # noqa: E731
    return {"mode": rule.mode, "measures": list(rule.measures), "base": rule.base, "quorum_of": rule.quorum_of,
            "quorum": fr(rule.quorum_fraction), "pass_op": rule.pass_op, "pass": fr(rule.pass_fraction),
            "at_threshold": rule.at_threshold, "no_pass": rule.no_pass,
            "outcomes": [{"title": text(o.title), "measure": o.rule.measure, "op": o.rule.op,
                          "fraction": fr(o.rule.fraction), "below": fr(o.rule.below)} for o in rule.outcomes],
            "default_outcome": text(rule.default_outcome_title) if rule.default_outcome_title else ""}


def _words_js(rule) -> dict:
    return {"passed": _("Đạt"), "failed": _("Không đạt"),
            "at_threshold": _("Đúng bằng ngưỡng – người đứng đầu quyết định"),
            "top": _("nhiều phiếu nhất"), "runoff": _("vào vòng sau nếu không ai đạt"),
            "quorum_met": _("Đủ số lượng: có mặt {present} trên {of} (cần ít nhất {needed})."),
            "quorum_not_met": _("Chưa đủ số lượng: có mặt {present} trên {of}, cần ít nhất {needed}."),
            "base": _("Tỷ lệ tính trên {name}: {n}."), "needed": _("Cần ít nhất {n} phiếu để đạt."),
            "base_name": base_name(rule.base),
            "present_gt": _("Số có mặt lớn hơn số được triệu tập."),
            "issued_gt": _("Số phiếu phát ra lớn hơn số có mặt."),
            "collected_gt": _("Số phiếu thu về lớn hơn số phiếu phát ra."),
            "valid_sum": _("Hợp lệ + không hợp lệ khác số phiếu thu về."),
            "row_over": _("Tổng số phiếu vượt quá số phiếu hợp lệ"),
            "nominations_over": _("Tổng số phiếu giới thiệu vượt quá số phiếu hợp lệ."),
            "measures": {m: measure_name(m) for m in rule.measures},
            "decimal": "," if locale() == "vi" else "."}


@bp.route("/cases/<int:case_id>/announce", methods=["GET", "POST"])
def announce(case_id: int):
    detail = _form_detail(case_id, "announce")
    step = detail.step
    current = detail.steps[step.key].announcement
    if current:
        values = dict(current)
    else:       # offer the decision recorded at an earlier step
        earlier = {k: v for st in detail.definition.steps for k, v in detail.steps[st.key].form.items()}
        values = {"decision_no": earlier.get("decision_no", ""), "date": earlier.get("decision_date", "")}
    errors, status = {}, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("decision_no", "date", "signer", "place", "text")}
        try:
            wf().cases.announce(uid(), case_id, {k: v for k, v in values.items() if v}, **_guard())
            flash(_("Đã đăng thông báo."), "success")
            return redirect(url_for("cases.case", case_id=case_id))
        except WorkflowError as e:
            errors, status = _form_error(e, detail)
    return render_template("cases/announce.html", c=detail, d=detail.definition, s=detail.summary, step=step,
                           values=values, errors=errors), status


# ---- printable records -------------------------------------------------------------------------

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
    return _printable(case_id, step_key, "tally", "cases/print_minutes.html")


@bp.get("/cases/<int:case_id>/steps/<step_key>/announcement")
def announcement_print(case_id: int, step_key: str):
    return _printable(case_id, step_key, "announcement", "cases/print_announcement.html")

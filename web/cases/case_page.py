"""A case's page, the actions taken from it (one route for all: the action table says what each
takes), and its documents."""
from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from workflow.domain.actions import ACTIONS
from workflow.domain.errors import VersionConflict, WorkflowError

from ..auth_session import uid
from ..diagram import state_diagram
from ..engine import wf
from ..errors import error_text
from ..forms import action_input, guard
from .actions import ON_THE_CASE_PAGE, VIEWS
from .blueprint import bp


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


@bp.post("/cases/<int:case_id>/<any({}):slug>".format(", ".join(f"'{s}'" for s in ON_THE_CASE_PAGE)))
def act(case_id: int, slug: str):
    """An action from its form on the case page: its input read by the action table, one use case,
    then a redirect with a message, or the page again (newest state) with the error and its status."""
    name = ON_THE_CASE_PAGE[slug]
    try:
        r = wf().cases.act(uid(), case_id, name, action_input(ACTIONS[name], request.form, request.files),
                           **guard(request.form))
    except WorkflowError as e:
        if e.http_status == 404:
            raise
        return _refused(case_id, e)
    view = VIEWS[name]
    if r.replayed:
        flash(_("Yêu cầu này đã được ghi nhận trước đó."), "success")
    else:
        done = view.completed if view.completed and r.case.get("status") == "completed" else view.done
        flash(_(done), "success")
    return redirect(url_for("cases.case", case_id=case_id))


def _refused(case_id: int, e: WorkflowError):
    try:
        step = wf().queries.get_case(uid(), case_id, history=False).step
    except WorkflowError:
        raise e from None
    message = error_text(e, step, with_fields=True)
    if isinstance(e, VersionConflict):
        message = _("Có người khác vừa thay đổi hồ sơ này; trang đã được tải lại với nội dung mới nhất. "
                    "Hãy kiểm tra rồi làm lại.")
    flash(message, "danger")
    return case_page(case_id, e.http_status, form_values=request.form)


@bp.get("/cases/<int:case_id>/documents/<sha256>")
def download(case_id: int, sha256: str):
    meta, content = wf().queries.document(uid(), case_id, sha256)
    resp = send_file(io.BytesIO(content), mimetype=meta.get("content_type") or "application/octet-stream",
                     as_attachment=True, download_name=meta.get("name") or "tai-lieu")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp

"""My work (the work queue and the case list), the announcements board, opening a case."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflow.domain.errors import WorkflowError

from ..auth_session import uid
from ..engine import wf
from ..errors import error_text, field_messages
from ..forms import as_int, case_filters
from .blueprint import bp

PER_PAGE = 20


@bp.get("/")
def home():
    filters = case_filters(request.args)
    page = wf().queries.list_cases(uid(), page=as_int(request.args.get("page")) or 1, per_page=PER_PAGE, **filters)
    return render_template("cases/home.html", queue=wf().queries.work_queue(uid()), page=page, filters=filters,
                           units=wf().directory.list_units(uid()), procedures=wf().registry.latest(),
                           filtered=any(v for v in filters.values()))


@bp.get("/announcements")
def announcements():
    return render_template("cases/announcements.html", items=wf().queries.announcements(uid(), limit=100),
                           procedures={d.key: d for d in wf().registry.latest()})


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

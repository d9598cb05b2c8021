"""The audit area: search the record, export a case's history (CSV, JSON), check that the
hash chain is intact. Auditors read everything in their unit tree and change nothing."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from workflow.domain.chain import iso

from ..auth_session import require_login, uid
from ..engine import wf
from ..formatting import fmt_datetime
from ..forms import as_int, event_filters
from ..history import describe
from ..i18n import KIND_NAMES, N_, ROLE_NAMES, step_name, word

bp = Blueprint("audit", __name__, url_prefix="/audit")
bp.before_request(require_login)

PROBLEMS = [  # the verifier's findings, in words (the verifier says them in English, without a key yet)
    (r"event (?P<n>\d+) is missing", N_("sự kiện %(n)s bị thiếu (đã bị xóa)")),
    (r"event (?P<n>\d+) is out of order", N_("sự kiện %(n)s sai thứ tự")),
    (r"event (?P<n>\d+) does not follow", N_("sự kiện %(n)s không nối tiếp sự kiện trước (bị chèn, đổi chỗ, hoặc sự kiện trước bị sửa)")),
    (r"event (?P<n>\d+) was changed", N_("sự kiện %(n)s đã bị sửa sau khi ghi")),
    (r"ends at event (?P<n>\d+) but the chain head says (?P<m>\d+)",
     N_("nhật ký dừng ở sự kiện %(n)s nhưng đầu chuỗi ghi %(m)s: các sự kiện mới nhất đã bị xóa hoặc đầu chuỗi bị sửa")),
    (r"event (?P<n>\d+) and after were written behind", N_("sự kiện %(n)s trở về sau được ghi thêm lén, ngoài đầu chuỗi")),
    (r"event (?P<n>\d+) does not match the chain head", N_("sự kiện %(n)s không khớp với đầu chuỗi (sự kiện hoặc đầu chuỗi đã bị sửa)")),
    (r"chain head is missing", N_("thiếu đầu chuỗi")),
]



def problem_words(problem: str | None) -> str:
    for pattern, sentence in PROBLEMS:
        m = re.search(pattern, problem or "")
        if m:
            return _(sentence, **m.groupdict())
    return problem or ""


@bp.get("")
def search():
    a = request.args
    q = event_filters(a)
    page = wf().queries.search_events(uid(), page=as_int(a.get("page")) or 1, per_page=50, **q)
    return render_template("audit/search.html", page=page, q=q, args=a, units=wf().directory.list_units(uid()),
                           procedures=wf().registry.latest(), kinds=KIND_NAMES, searched=any(v for v in q.values()))


@bp.get("/verify")
def verify():
    v = wf().queries.verify(uid())
    return render_template("audit/verify.html", v=v, problem=problem_words(v.problem), checked_at=dt.datetime.now(dt.timezone.utc))


def _history(case_id: int):
    events = wf().queries.history(uid(), case_id)
    d = None
    opened = next((e for e in events if e["kind"] == "case_opened"), None)
    if opened:
        try:
            d = wf().registry.get(opened["payload"]["procedure"], opened["payload"]["version"])
        except KeyError:
            d = None
    return events, d


@bp.get("/cases/<int:case_id>/history.csv")
def export_csv(case_id: int):
    events, d = _history(case_id)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([_("Số thứ tự"), _("Thời gian"), _("Người thực hiện"), _("Vai trò"), _("Loại sự kiện"), _("Sự kiện"),
                _("Chi tiết"), _("Từ bước"), _("Đến bước"), _("Mã băm")])
    for e in events:
        said, details = describe(e, d)
        w.writerow([e["seq"], fmt_datetime(e["at"]), e["actor"], word(ROLE_NAMES, e["role"]), word(KIND_NAMES, e["kind"]),
                    said, "; ".join(f"{k}: {v}" for k, v in details),
                    step_name(d, e["from_state"]) if e["from_state"] else "",
                    step_name(d, e["to_state"]) if e["to_state"] else "", e["hash"]])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="ho-so-{case_id}-lich-su.csv"'})


@bp.get("/cases/<int:case_id>/history.json")
def export_json(case_id: int):
    events, d = _history(case_id)
    body = {"case_id": case_id, "procedure": d.key if d else None, "procedure_version": d.version if d else None,
            "exported_at": iso(dt.datetime.now(dt.timezone.utc)),
            "events": [{"seq": e["seq"], "at": iso(e["at"]), "actor": e["actor"], "actor_id": e["actor_id"],
                        "role": e["role"], "unit_id": e["unit_id"], "kind": e["kind"], "from_state": e["from_state"],
                        "to_state": e["to_state"], "payload": e["payload"], "prev_hash": e["prev_hash"],
                        "hash": e["hash"]} for e in events]}
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="ho-so-{case_id}-lich-su.json"'})

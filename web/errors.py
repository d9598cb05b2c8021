"""Errors for people and for programs. The engine's errors carry a stable code, a message key and its
params (and each field's problem, a key and params too): `error_text` and `field_message` turn them
into a sentence in the reader's language through the catalog (web/sentences.py holds the Vietnamese,
translations/en the English). THE error handler (`handle`) answers every error of the application —
the engine's, HTTP's (404, 405 with its Allow header…), the database's (503) and a crash (500) — as
JSON on the API or to a client that asks for JSON, else as the site's error page.
A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from workflow.domain.definition import Step
from workflow.domain.errors import Problem, WorkflowError

from .i18n import MEASURE_NAMES, N_, ROLE_NAMES, field_label, text, word
from .sentences import GENERIC, SENTENCES, VARIANTS

# ---- a key and its params, in words --------------------------------------------------------------

def _words(name: str, v: Any, step: Step | None, params: Mapping) -> Any:
    """One param of a message, as the sentence shows it."""
    if isinstance(v, Problem):
        return field_message(v)
    if hasattr(v, "vi") and hasattr(v, "en"):       # a definition's text (a condition's title…)
        return text(v)
    if name in ("role", "needed") and v in ROLE_NAMES:
        return word(ROLE_NAMES, v)
    if name in ("missing", "unmet"):
        return ", ".join(field_label(k, step) for k in v)
    if name == "document" and step is not None:
        return next((text(d.label) for d in step.documents if d.type == params.get("type")), v)
    if isinstance(v, Mapping):      # each count's problem: 'Đồng ý: Bắt buộc nhập.'
        return " ".join(f"{word(MEASURE_NAMES, k)}: {_words(k, x, step, params)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return v


def sentence(key: str, params: Mapping, step: Step | None = None) -> str | None:
    """The sentence of a message key in the page's language; None when the key has none."""
    if key in VARIANTS:
        name, by_value = VARIANTS[key]
        template = by_value.get(params.get(name))
    else:
        template = SENTENCES.get(key)
    if template is None:
        return None
    return _(template, **{k: _words(k, v, step, params) for k, v in params.items()})


def field_message(problem: Any) -> str:
    """One field's complaint in the reader's words (a plain text is shown as given)."""
    if isinstance(problem, Problem):
        if problem.key == "tally.counts":
            return _words("counts", problem.params["counts"], None, problem.params)
        said = sentence(problem.key, problem.params)
        if said is not None:
            return said
    return str(problem)


def field_messages(e: WorkflowError) -> dict[str, str]:
    return {k: field_message(v) for k, v in e.fields.items()}


def error_text(e: WorkflowError, step: Step | None = None, *, with_fields: bool = False) -> str:
    """The sentence for an engine error. `step` names fields and documents by their labels;
    `with_fields` adds the per-field complaints (where no form shows them beside the fields)."""
    said = sentence(e.key, e.params, step)
    if said is None:
        said = _(GENERIC[e.code]) if e.code in GENERIC else e.message
    if with_fields and e.fields and e.code in ("validation", "invalid_tally"):
        said += " " + " ".join(f"{field_label(k, step)}: {field_message(v)}" for k, v in e.fields.items())
    return said


# ---- the one handler -----------------------------------------------------------------------------

ERROR_TITLES = {400: N_("Yêu cầu không hợp lệ"), 401: N_("Cần đăng nhập"), 403: N_("Không có quyền truy cập"),
                404: N_("Không tìm thấy trang"), 405: N_("Phương thức không được hỗ trợ"),
                409: N_("Hồ sơ vừa được người khác thay đổi"), 413: N_("Tệp quá lớn"), 422: N_("Dữ liệu chưa hợp lệ"),
                500: N_("Đã có lỗi xảy ra"), 503: N_("Tạm thời không truy cập được cơ sở dữ liệu")}
ERROR_TEXTS = {400: N_("Yêu cầu gửi lên không hợp lệ."),
               401: N_("Hãy đăng nhập để tiếp tục."),
               403: N_("Bạn không có quyền xem trang này hoặc thực hiện thao tác này."),
               404: N_("Trang hoặc hồ sơ bạn tìm không có, hoặc không thuộc phạm vi của bạn."),
               405: N_("Trang này không nhận yêu cầu kiểu này."),
               409: N_("Có người khác vừa thay đổi hồ sơ này. Hãy tải lại trang để xem nội dung mới nhất rồi làm lại."),
               413: N_("Tệp gửi lên vượt quá dung lượng cho phép."),
               422: N_("Dữ liệu gửi lên chưa hợp lệ."),
               500: N_("Hệ thống gặp lỗi khi xử lý yêu cầu. Không có thay đổi nào được lưu dở dang; hãy thử lại, và "
                       "báo quản trị viên nếu lỗi lặp lại."),
               503: N_("Hệ thống không kết nối được cơ sở dữ liệu lúc này. Không có thay đổi nào được lưu dở dang; "
                       "hãy thử lại sau ít phút, và báo quản trị viên nếu lỗi lặp lại.")}
CSRF_REFUSED = N_("Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ. Hãy tải lại trang rồi gửi lại.")
HTTP_CODES = {400: "validation", 401: "auth_failed", 403: "forbidden", 404: "not_found", 405: "not_allowed",
              413: "validation", 415: "validation", 503: "unavailable"}
INTERNAL = "an internal error occurred; nothing was changed"
UNAVAILABLE = "the database cannot be reached right now; nothing was changed, try again in a moment"


def wants_json() -> bool:
    """The API, or a client that prefers JSON to a page (the tally form's live figures)."""
    return request.path.startswith("/api/") or \
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def json_error(code: str, message: str, status: int, fields: Mapping | None = None, headers=()):
    body: dict[str, Any] = {"error": code, "message": message}
    if fields:
        body["fields"] = {k: str(v) for k, v in fields.items()}
    resp = jsonify(body)
    resp.status_code = status
    resp.headers.extend(headers)
    return resp


def _reload_url() -> str:
    """Where 'reload' leads after a conflict: the case the request was about, else this page."""
    case_id = (request.view_args or {}).get("case_id")
    if case_id is not None:
        return url_for("cases.case", case_id=case_id)
    return request.path if request.method == "GET" else url_for("cases.home")


def error_page(status: int, message: str | None = None, headers=()):
    known = status if status in ERROR_TEXTS else (500 if status >= 500 else 400)
    body = render_template("errors/error.html", status=status, reload_url=_reload_url(),
                           title=_(ERROR_TITLES[known]), message=message or _(ERROR_TEXTS[known]))
    return body, status, list(headers)


def handle(e: Exception):
    """Every error of the application, as JSON or as a page."""
    if isinstance(e, WorkflowError):
        if wants_json():
            return json_error(e.code, e.message, e.http_status, e.fields)
        status = e.http_status if e.http_status in ERROR_TITLES else 400
        return error_page(403 if status == 401 else status, error_text(e, with_fields=True))
    if isinstance(e, OperationalError):
        # The database went away, was locked past the busy timeout, or rolled the transaction back
        # (deadlock): the transaction did not commit, and the pool has dropped a broken connection.
        current_app.logger.error("database unavailable on %s: %s", request.path, e.orig)
        return json_error("unavailable", UNAVAILABLE, 503) if wants_json() else error_page(503)
    status = (e.code or 500) if isinstance(e, HTTPException) else 500
    # the exception's own headers but its Content-Type: a 405 says which methods are allowed (RFC 9110)
    headers = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"] \
        if isinstance(e, HTTPException) and status != 500 else []
    if wants_json():
        if status >= 500 and status != 503:     # Flask has logged the crash; the client sees none of it
            return json_error("internal", INTERNAL, 500)
        return json_error(HTTP_CODES.get(status, "error"), e.description, status, headers=headers)
    return error_page(status, _(CSRF_REFUSED) if isinstance(e, CSRFError) else None, headers)


def install(app: Flask) -> None:
    for kind in (HTTPException, WorkflowError, OperationalError):
        app.register_error_handler(kind, handle)


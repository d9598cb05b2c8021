"""JSON API /api/v1. Same service layer as the pages: each endpoint parses JSON, calls one
Workflow method, and answers with its result or `{"error": CODE, "message": …}`.

Authentication: a personal token (`Authorization: Bearer cf_…`) or the session cookie of a
signed-in user; with the cookie, a state-changing request must also carry the page's CSRF
token in `X-CSRFToken` (a token-authenticated request cannot be forged by another site)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from workflow.domain.errors import AuthFailed, Problem, Validation, WorkflowError

from .. import workflow
from .openapi import spec
from .views import case_detail_json, definition_json, event_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _error(code: str, message: str, status: int, fields: dict | None = None) -> Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    resp = jsonify(body)
    resp.status_code = status
    return resp


@bp.errorhandler(WorkflowError)
def _workflow_error(e: WorkflowError):
    return _error(e.code, e.message, e.http_status, e.fields)


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None          # the description of the API is public
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthFailed("auth.bearer")
        user = workflow().directory.user_for_token(token.strip())
        if user is None:
            raise AuthFailed("auth.bad_token")
        g.api_user_id = user.id
        return None
    try:
        from flask_login import current_user
        signed_in = current_user.is_authenticated
    except Exception:  # noqa: BLE001 - no login manager: only tokens work
        signed_in = False
    if not signed_in:
        raise AuthFailed("auth.required")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        from flask_wtf.csrf import CSRFError, validate_csrf
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except (CSRFError, Exception):  # noqa: BLE001 - any CSRF failure is the same refusal
            return _error("forbidden", "a request authenticated by the session cookie needs the "
                                       "X-CSRFToken header", 403)
    g.api_user_id = current_user.user.id
    return None


def _uid() -> int:
    return g.api_user_id


def _body() -> dict:
    if request.content_length == 0 or (not request.data and request.method == "POST"):
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Validation("api.body", fields={"body": Problem("field.json_object")})
    return data


def _idem() -> str | None:
    key = request.headers.get("Idempotency-Key")
    return key if key is None else key.strip()


def _expected(body: dict) -> int:
    v = body.get("expected_version")
    if isinstance(v, bool) or not isinstance(v, int):
        raise Validation("api.expected_version", fields={"expected_version": Problem("field.required_whole")})
    return v


def _text(body: dict, key: str, *, required: bool = False) -> str:
    v = body.get(key, "")
    if v is None:
        v = ""
    if not isinstance(v, str):
        raise Validation("api.text", name=key, fields={key: Problem("field.text")})
    if required and not v.strip():
        raise Validation("api.required", name=key, fields={key: Problem("field.required")})
    return v


def _result(res, status: int = 200) -> Response:
    resp = jsonify(res.to_dict())
    resp.status_code = status
    if res.replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _int_arg(name: str, default: int | None = None, lo: int = 1, hi: int = 10**9) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        v = int(raw)
    except ValueError:
        raise Validation("api.whole", name=name, fields={name: Problem("field.whole")}) from None
    if not lo <= v <= hi:
        raise Validation("api.between", name=name, lo=lo, hi=hi, fields={name: Problem("field.range", lo=lo, hi=hi)})
    return v


def _date_arg(name: str) -> dt.date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Validation("api.date", name=name, fields={name: Problem("field.iso_date")}) from None


# ---- documents about the API -----------------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    return jsonify(spec(tuple(sorted({d.key for d in workflow().registry.all()}))))


@bp.get("/me")
def me():
    return jsonify(workflow().directory.get_user(_uid()).to_dict())


# ---- procedures ------------------------------------------------------------------------------

@bp.get("/procedures")
def procedures():
    reg = workflow().registry
    return jsonify({"items": [definition_json(d, full=False) for d in reg.latest()]})


@bp.get("/procedures/<key>")
def procedure(key: str):
    reg = workflow().registry
    versions = [d for d in reg.all() if d.key == key]
    if not versions:
        return _error("not_found", f"no procedure '{key}'", 404)
    return jsonify({**definition_json(versions[-1]), "versions": [d.version for d in versions]})


@bp.get("/procedures/<key>/versions/<int:version>")
def procedure_version(key: str, version: int):
    try:
        d = workflow().registry.get(key, version)
    except KeyError:
        return _error("not_found", f"no procedure '{key}' version {version}", 404)
    return jsonify(definition_json(d))


# ---- cases -----------------------------------------------------------------------------------

@bp.get("/cases")
def list_cases():
    status = request.args.get("status") or None
    if status and status not in ("open", "completed", "cancelled"):
        raise Validation("api.status", fields={"status": Problem("field.status")})
    overdue = request.args.get("overdue") or None
    if overdue and overdue not in ("1", "0", "true", "false"):
        raise Validation("api.overdue", fields={"overdue": Problem("field.overdue")})
    page = workflow().queries.list_cases(
        _uid(), page=_int_arg("page", 1, 1, 100000), per_page=_int_arg("per_page", 25, 1, 100),
        procedure=(request.args.get("procedure") or None), state=(request.args.get("state") or None),
        unit_id=_int_arg("unit_id"), status=status, text=(request.args.get("q") or None),
        overdue=overdue in ("1", "true"))
    return jsonify({"items": [c.to_dict() for c in page.items], "total": page.total, "page": page.page,
                    "per_page": page.per_page, "pages": page.pages, "total_exact": page.exact})


@bp.post("/cases")
def open_case():
    b = _body()
    unit_id, version = b.get("unit_id"), b.get("version")
    for name, v in (("unit_id", unit_id), ("version", version)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise Validation("api.whole", name=name, fields={name: Problem("field.whole")})
    res = workflow().cases.open_case(_uid(), _text(b, "procedure", required=True), _text(b, "title", required=True),
                               unit_id=unit_id, version=version, idempotency_key=_idem())
    return _result(res, 200 if res.replayed else 201)


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    return jsonify(case_detail_json(workflow().queries.get_case(_uid(), case_id, history=False)))


@bp.get("/cases/<int:case_id>/history")
def history(case_id: int):
    return jsonify({"items": [event_json(e) for e in workflow().queries.history(_uid(), case_id)]})


def _action(name: str, call):
    """Register POST /cases/<id>/<name>: parse the body, call the service, answer the result."""
    def view(case_id: int):
        b = _body()
        return _result(call(workflow().cases, _uid(), case_id, b, _expected(b), _idem()))
    view.__name__ = f"action_{name.replace('-', '_')}"
    bp.add_url_rule(f"/cases/<int:case_id>/{name}", view_func=view, methods=["POST"])


def _fields(b: dict, key: str) -> dict:
    v = b.get(key)
    if not isinstance(v, dict):
        raise Validation("api.object", name=key, fields={key: Problem("field.json_object")})
    return v


_action("record", lambda wf, u, c, b, v, k: wf.record(u, c, _fields(b, "fields"), expected_version=v,
                                                      idempotency_key=k))
_action("tally", lambda wf, u, c, b, v, k: wf.tally(u, c, _fields(b, "tally"), expected_version=v,
                                                    idempotency_key=k))
_action("request-approval", lambda wf, u, c, b, v, k: wf.request_approval(
    u, c, comment=_text(b, "comment"), expected_version=v, idempotency_key=k))
_action("approve", lambda wf, u, c, b, v, k: wf.approve(u, c, comment=_text(b, "comment"), expected_version=v,
                                                        idempotency_key=k))
_action("return", lambda wf, u, c, b, v, k: wf.return_case(
    u, c, _text(b, "reason", required=True), to=(_text(b, "to") or None), expected_version=v, idempotency_key=k))
_action("head-decision", lambda wf, u, c, b, v, k: wf.head_decision(
    u, c, _text(b, "candidate", required=True), b.get("accept"), comment=_text(b, "comment"),
    expected_version=v, idempotency_key=k))
_action("announce", lambda wf, u, c, b, v, k: wf.announce(
    u, c, {f: b.get(f) for f in ("decision_no", "date", "signer", "place", "text")}, expected_version=v,
    idempotency_key=k))
_action("advance", lambda wf, u, c, b, v, k: wf.advance(u, c, expected_version=v, idempotency_key=k))
_action("cancel", lambda wf, u, c, b, v, k: wf.cancel(u, c, _text(b, "reason", required=True), expected_version=v,
                                                      idempotency_key=k))


# ---- the record ------------------------------------------------------------------------------

@bp.get("/audit/events")
def audit_events():
    page = workflow().queries.search_events(
        _uid(), case_id=_int_arg("case_id"), username=request.args.get("user") or None,
        procedure=request.args.get("procedure") or None, unit_id=_int_arg("unit_id"),
        kind=request.args.get("kind") or None, date_from=_date_arg("from"), date_to=_date_arg("to"),
        page=_int_arg("page", 1, 1, 100000), per_page=_int_arg("per_page", 50, 1, 500))
    return jsonify({"items": [event_json(e) for e in page.items], "total": page.total, "page": page.page,
                    "per_page": page.per_page, "pages": page.pages, "total_exact": page.exact})


@bp.get("/audit/verify")
def audit_verify():
    return jsonify(workflow().queries.verify(_uid()).to_dict())


# ---- wiring ----------------------------------------------------------------------------------

_STATUS_CODES = {400: "validation", 401: "auth_failed", 403: "forbidden", 404: "not_found",
                 405: "not_allowed", 413: "validation", 415: "validation", 503: "unavailable"}


def init_api(app: Flask) -> None:
    """Register the API (idempotent: the site and create_app may both call it) and exempt it from
    the form CSRF check (it does its own, above)."""
    if "api" not in app.blueprints:
        app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)


def json_errors(app: Flask) -> None:
    """Under /api/, errors are JSON — never an HTML page. Called last by create_app, so it wraps
    whatever handlers the site registered and hands them every other path."""
    if app.extensions.get("cadreflow_api_errors"):
        return
    app.extensions["cadreflow_api_errors"] = True

    def wrap(code: int):
        previous = app.error_handler_spec.get(None, {}).get(code, {})
        prev = next(iter(previous.values()), None)

        def handler(e):
            if request.path.startswith("/api/"):
                if code == 500:
                    app.logger.exception("API error on %s", request.path)
                    return _error("internal", "an internal error occurred; nothing was changed", 500)
                if not isinstance(e, HTTPException):
                    return _error(_STATUS_CODES.get(code, "error"), str(e), code)
                resp = _error(_STATUS_CODES.get(code, "error"), e.description, code)
                # the exception's own headers but its Content-Type: a 405 says which methods are allowed (RFC 9110)
                resp.headers.extend((k, v) for k, v in e.get_headers() if k.lower() != "content-type")
                return resp
            if prev is not None:
                return prev(e)
            return e
        app.register_error_handler(code, handler)

    for code in (400, 401, 403, 404, 405, 413, 415, 500, 503):
        wrap(code)

    site_handler = app.error_handler_spec.get(None, {}).get(None, {}).get(OperationalError)

    def database_unavailable(e: OperationalError):
        if request.path.startswith("/api/"):
            app.logger.error("database unavailable on %s: %s", request.path, e.orig)
            return _error("unavailable", "the database cannot be reached right now; nothing was changed, "
                          "try again in a moment", 503)
        if site_handler is None:
            raise e
        return site_handler(e)
    app.register_error_handler(OperationalError, database_unavailable)

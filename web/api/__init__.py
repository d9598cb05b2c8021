"""The API area: JSON at /api/v1, the same use cases as the pages. An endpoint parses JSON
(web/api/inputs.py), calls one use case, and answers its result; an error is
`{"error": CODE, "message": …, "fields"?: …}` (THE error handler, web/errors.py). The actions on a case
are one route built from the engine's action table (workflow/domain/actions.ACTIONS), as are their
paths in the OpenAPI document.

Authentication: a personal token (`Authorization: Bearer cf_…`) or the session cookie of a
signed-in user; with the cookie, a state-changing request must also carry the page's CSRF
token in `X-CSRFToken` (a token-authenticated request cannot be forged by another site)."""
from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf

from workflow.domain.actions import ACTIONS
from workflow.domain.errors import AuthFailed, Forbidden, NotFound

from ..engine import wf
from . import inputs
from .openapi import ON_THE_API, spec
from .views import case_detail_json, definition_json, event_json, page_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None          # the description of the API is public
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthFailed("auth.bearer")
        user = wf().directory.user_for_token(token.strip())
        if user is None:
            raise AuthFailed("auth.bad_token")
        g.api_user_id = user.id
        return None
    if not current_user.is_authenticated:
        raise AuthFailed("auth.required")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except Exception:  # noqa: BLE001 - any CSRF failure is the same refusal
            raise Forbidden("auth.csrf_header") from None
    g.api_user_id = current_user.user.id
    return None


def _uid() -> int:
    return g.api_user_id


def _result(res, status: int = 200) -> Response:
    resp = jsonify(res.to_dict())
    resp.status_code = status
    if res.replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


# ---- the API itself, the user, the procedures ------------------------------------------------------

@bp.get("/openapi.json")
def openapi():
    return jsonify(spec(tuple(sorted({d.key for d in wf().registry.all()}))))


@bp.get("/me")
def me():
    return jsonify(wf().directory.get_user(_uid()).to_dict())


@bp.get("/procedures")
def procedures():
    return jsonify({"items": [definition_json(d, full=False) for d in wf().registry.latest()]})


@bp.get("/procedures/<key>")
def procedure(key: str):
    versions = [d for d in wf().registry.all() if d.key == key]
    if not versions:
        raise NotFound("procedure.unknown", procedure=key)
    return jsonify({**definition_json(versions[-1]), "versions": [d.version for d in versions]})


@bp.get("/procedures/<key>/versions/<int:version>")
def procedure_version(key: str, version: int):
    try:
        d = wf().registry.get(key, version)
    except KeyError:
        raise NotFound("procedure.unknown_version", procedure=key, version=version) from None
    return jsonify(definition_json(d))


# ---- cases -----------------------------------------------------------------------------------

@bp.get("/cases")
def list_cases():
    filters = inputs.case_filters()
    page = wf().queries.list_cases(_uid(), page=inputs.int_arg("page", 1, 1, 100000),
                                   per_page=inputs.int_arg("per_page", 25, 1, 100), **filters)
    return jsonify(page_json(page, [c.to_dict() for c in page.items]))


@bp.post("/cases")
def open_case():
    b = inputs.body()
    unit_id, version = inputs.whole(b, "unit_id"), inputs.whole(b, "version")
    res = wf().cases.open_case(_uid(), inputs.text(b, "procedure", required=True),
                               inputs.text(b, "title", required=True), unit_id=unit_id, version=version,
                               idempotency_key=inputs.idempotency_key())
    return _result(res, 200 if res.replayed else 201)


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    return jsonify(case_detail_json(wf().queries.get_case(_uid(), case_id, history=False)))


@bp.get("/cases/<int:case_id>/history")
def history(case_id: int):
    return jsonify({"items": [event_json(e) for e in wf().queries.history(_uid(), case_id)]})


@bp.post("/cases/<int:case_id>/<any({}):slug>".format(", ".join(f"'{s}'" for s in ON_THE_API)))
def act(case_id: int, slug: str):
    """An action on a case, its input read from the body by the action table."""
    name, b = ON_THE_API[slug], inputs.body()
    version = inputs.expected_version(b)
    return _result(wf().cases.act(_uid(), case_id, name, inputs.action_input(ACTIONS[name], b),
                                  expected_version=version, idempotency_key=inputs.idempotency_key()))


# ---- the record ------------------------------------------------------------------------------

@bp.get("/audit/events")
def audit_events():
    page = wf().queries.search_events(_uid(), page=inputs.int_arg("page", 1, 1, 100000),
                                      per_page=inputs.int_arg("per_page", 50, 1, 500), **inputs.event_filters())
    return jsonify(page_json(page, [event_json(e) for e in page.items]))


@bp.get("/audit/verify")
def audit_verify():
    return jsonify(wf().queries.verify(_uid()).to_dict())

"""The cases blueprint (signed-in users only) and the helpers its templates call."""
from __future__ import annotations

from flask import Blueprint

from ..auth_session import require_login
from ..engine import wf
from ..errors import error_text
from ..history import describe, field_value, outcome_title
from .actions import VIEWS

bp = Blueprint("cases", __name__)
bp.before_request(require_login)


@bp.app_context_processor
def action_views() -> dict:
    return {"action_views": VIEWS}


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


@bp.app_template_global()
def said(e, step=None) -> str:
    """An engine error (a failed gate, a condition) as the page's sentence."""
    return error_text(e, step)


@bp.app_template_global()
def outcome_name(d, key) -> str:
    return outcome_title(d, key)


@bp.app_template_global()
def today():
    """The workflow's day (its clock, in Vietnam)."""
    return wf().ctx.today()

"""The account area: the language of the pages, the password, and personal API tokens (shown once,
then revocable)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import login_user

from workflow.domain.errors import WorkflowError

from ..auth_session import SignedIn, require_login, uid
from ..engine import wf
from ..errors import error_text, field_messages
from ..i18n import LOCALES

bp = Blueprint("account", __name__, url_prefix="/account")
bp.before_request(require_login)


def _page(status: int = 200, **extra):
    return render_template("account/index.html", tokens=wf().directory.list_tokens(uid()), **extra), status


@bp.get("")
def index():
    return _page()


@bp.post("/language")
def language():
    lang = request.form.get("locale")
    try:
        wf().people.set_locale(uid(), lang if lang in LOCALES else None)
    except WorkflowError as e:
        flash(error_text(e), "danger")
        return _page(e.http_status)
    session["lang"] = lang if lang in LOCALES else "vi"
    refresh()
    flash(_("Đã lưu ngôn ngữ hiển thị."), "success")
    return redirect(url_for("account.index"))


@bp.post("/password")
def change_password():
    try:
        user = wf().people.change_password(uid(), request.form.get("current_password", ""),
                                    request.form.get("new_password", ""))
    except WorkflowError as e:
        flash(error_text(e), "danger")
        return _page(e.http_status, errors=field_messages(e))
    login_user(SignedIn(user))          # this session carries the new stamp; all others are out
    flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất."), "success")
    return redirect(url_for("account.index"))


@bp.post("/tokens")
def create_token():
    try:
        token_id, token = wf().people.create_token(uid(), request.form.get("name", ""))
    except WorkflowError as e:
        flash(error_text(e), "danger")
        return _page(e.http_status, errors=field_messages(e), name=request.form.get("name", ""))
    # shown on this response only: never stored, never put in the session or a redirect
    return _page(201, new_token=token, new_token_id=token_id)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    wf().people.revoke_token(uid(), token_id)
    flash(_("Đã thu hồi mã truy cập."), "success")
    return redirect(url_for("account.index"))

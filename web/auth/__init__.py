"""The sign-in area: sign in and sign out. The use case `people.authenticate` hashes, throttles and
records every failure."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from workflow.domain.errors import WorkflowError

from ..auth_session import SignedIn, safe_next
from ..engine import wf
from ..errors import error_text
from ..i18n import LOCALES

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("cases.home")))
    if request.method == "GET":
        return render_template("auth/login.html", username="")
    username = request.form.get("username", "").strip()
    try:
        user = wf().people.authenticate(username, request.form.get("password", ""), source=request.remote_addr or "")
    except WorkflowError as e:
        flash(error_text(e), "danger")
        return render_template("auth/login.html", username=username), 401
    session.clear()          # a fresh session at sign-in (no fixation); keep the chosen language
    lang = request.form.get("lang")
    if user.locale in LOCALES:
        session["lang"] = user.locale
    elif lang in LOCALES:
        session["lang"] = lang
    login_user(SignedIn(user))
    return redirect(safe_next(request.args.get("next"), url_for("cases.home")))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        wf().people.record_sign_out(current_user.user.id)
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))

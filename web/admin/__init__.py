"""The administration area: users (create, role, unit, deactivate/reactivate, reset password), the unit tree,
and the installed procedure definitions with the files the registry refused."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from workflow.domain.errors import WorkflowError
from workflow.domain.people import ROLES

from ..auth_session import require_login, require_role, uid
from ..diagram import state_diagram
from ..engine import wf
from ..errors import error_text, field_messages
from ..forms import as_int

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    refused = require_login()
    if refused is not None:
        return refused
    require_role("admin")
    return None


@bp.get("")
def index():
    return render_template("admin/index.html", users=wf().directory.list_users(uid()), units=wf().directory.list_units(uid()),
                           definitions=wf().registry.all(), refused=wf().registry.errors)


# ---- users -------------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
def users():
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = request.form
        try:
            u = wf().people.create_user(uid(), request.form.get("username", ""), request.form.get("password", ""),
                                 request.form.get("role", ""), as_int(request.form.get("unit_id")),
                                 request.form.get("display_name") or None)
            flash(_("Đã tạo người dùng %(name)s.", name=u.username), "success")
            return redirect(url_for("admin.users"))
        except WorkflowError as e:
            flash(error_text(e), "danger")
            errors, status = field_messages(e), e.http_status
    return render_template("admin/users.html", users=wf().directory.list_users(uid()), units=wf().directory.list_units(uid()),
                           roles=ROLES, values=values, errors=errors), status


def _user_page(user_id: int, status: int = 200, errors: dict | None = None):
    user = next((u for u in wf().directory.list_users(uid()) if u.id == user_id), None)
    if user is None:
        abort(404)
    return render_template("admin/user.html", u=user, units=wf().directory.list_units(uid()), roles=ROLES,
                           errors=errors or {}), status


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _user_page(user_id)


def _update(user_id: int, done: str, **changes):
    try:
        wf().people.update_user(uid(), user_id, **changes)
    except WorkflowError as e:
        if e.http_status == 404:
            raise
        flash(error_text(e, with_fields=True), "danger")
        return _user_page(user_id, e.http_status, field_messages(e))
    flash(done, "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>")
def update_user(user_id: int):
    return _update(user_id, _("Đã lưu thay đổi."), role=request.form.get("role") or None,
                   unit_id=as_int(request.form.get("unit_id")),
                   display_name=request.form.get("display_name") or None)


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    active = request.form.get("active") == "1"
    return _update(user_id, _("Đã kích hoạt lại tài khoản.") if active else _("Đã vô hiệu hóa tài khoản."),
                   active=active)


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    return _update(user_id, _("Đã đặt lại mật khẩu. Hãy chuyển mật khẩu mới cho người dùng theo kênh an toàn."),
                   password=request.form.get("password", ""))


# ---- units -------------------------------------------------------------------------------------

@bp.route("/units", methods=["GET", "POST"])
def units():
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = request.form
        try:
            u = wf().people.create_unit(uid(), request.form.get("name", ""), as_int(request.form.get("parent_id")))
            flash(_("Đã tạo đơn vị “%(name)s”.", name=u["name"]), "success")
            return redirect(url_for("admin.units"))
        except WorkflowError as e:
            flash(error_text(e), "danger")
            errors, status = field_messages(e), e.http_status
    people = {u.id: u.display_name for u in wf().directory.list_users(uid())}
    return render_template("admin/units.html", units=wf().directory.list_units(uid()), values=values, errors=errors,
                           heads_names=people), status


# ---- the head of a unit, and deputies by delegation ----------------------------------------------

def _unit_page(unit_id: int, status: int = 200, errors: dict | None = None, values=None):
    heads = wf().heads.of_unit(uid(), unit_id)
    unit = next(u for u in wf().directory.list_units(uid()) if u["id"] == unit_id)
    eligible = [u for u in wf().directory.list_users(uid()) if u.role == "supervisor" and u.active
                and unit["path"].startswith(u.unit_path)]
    return render_template("admin/unit.html", unit=unit, heads=heads, eligible=eligible, errors=errors or {},
                           values=values or {}), status


def _heads_change(unit_id: int, call, done: str):
    try:
        call()
    except WorkflowError as e:
        if e.http_status == 404:
            raise
        flash(error_text(e), "danger")
        return _unit_page(unit_id, e.http_status, field_messages(e), request.form)
    flash(done, "success")
    return redirect(url_for("admin.unit", unit_id=unit_id))


@bp.get("/units/<int:unit_id>")
def unit(unit_id: int):
    return _unit_page(unit_id)


@bp.post("/units/<int:unit_id>/head")
def designate_head(unit_id: int):
    return _heads_change(unit_id, lambda: wf().heads.designate(uid(), unit_id, as_int(request.form.get("user_id"))),
                         _("Đã chỉ định người đứng đầu."))


@bp.post("/units/<int:unit_id>/delegations")
def delegate(unit_id: int):
    f = request.form
    return _heads_change(unit_id, lambda: wf().heads.delegate(uid(), unit_id, as_int(f.get("user_id")),
                                                              f.get("valid_from"), f.get("valid_until"), f.get("reason")),
                         _("Đã ghi ủy quyền."))


@bp.post("/units/<int:unit_id>/delegations/<int:delegation_id>/revoke")
def revoke_delegation(unit_id: int, delegation_id: int):
    return _heads_change(unit_id, lambda: wf().heads.revoke(uid(), unit_id, delegation_id), _("Đã thu hồi ủy quyền."))


# ---- definitions -------------------------------------------------------------------------------

@bp.get("/definitions")
def definitions():
    return render_template("admin/definitions.html", definitions=wf().registry.all(), refused=wf().registry.errors)


@bp.get("/definitions/<key>/<int:version>")
def definition(key: str, version: int):
    try:
        d = wf().registry.get(key, version)
    except KeyError:
        abort(404)
    return render_template("admin/definition.html", d=d, diagram=state_diagram(d))

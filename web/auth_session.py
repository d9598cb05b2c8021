"""Flask-Login glue: the signed-in person (the engine's User), loaded from the session on each request
and out at once when deactivated or when the password changed; the pages' sign-in gate and role gate;
where sign-in may send one back to. A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, current_app
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user

from .engine import wf
from .i18n import N_


class SignedIn(UserMixin):
    """The engine's User, as Flask-Login wants it."""

    def __init__(self, user):
        self.user = user

    def get_id(self) -> str:
        # the stamp changes with the password: resetting or changing it signs out every session
        return f"{self.user.id}.{self.user.session_stamp}"

    def __getattr__(self, name):
        return getattr(self.user, name)


def _load_user(user_id: str) -> SignedIn | None:
    ident, _sep, stamp = str(user_id).partition(".")
    try:
        user = wf().directory.get_user(int(ident))
    except (TypeError, ValueError):
        return None
    # a deactivated user is out at once, on their next request; so is a session from before a
    # password change or reset
    if user is None or not user.active or stamp != user.session_stamp:
        return None
    return SignedIn(user)


def install(app: Flask) -> None:
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = N_("Hãy đăng nhập để tiếp tục.")
    login.login_message_category = "info"
    login.localize_callback = _
    login.user_loader(_load_user)
    app.context_processor(lambda: {"me": current_user if current_user.is_authenticated else None})


def uid() -> int:
    """The signed-in user's id (routes call the use cases with it)."""
    return current_user.user.id


def require_login():
    """before_request of every page blueprint: the pages are for signed-in users only."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def require_role(*roles: str) -> None:
    """A page reserved to some roles (the use cases refuse the actions anyway)."""
    if current_user.role not in roles:
        abort(403)


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site (no scheme, no host) is followed after sign-in."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target

"""The write side of people: units, users, sign-in and sign-out, passwords, languages and API
tokens. Each is one unit of work; every change is on the record (an event in the chain)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..adapters.sql import Conflict
from ..adapters.times import as_utc
from ..adapters.uow import UnitOfWork
from ..domain import parse
from ..domain.credentials import check_password, hash_password, new_token, password_problem, token_hash
from ..domain.errors import AuthFailed, Forbidden, NotAllowed, NotFound, Problem, Validation, first_problem
from ..domain.people import ROLES, SYSTEM, Actor, User
from ..domain.permissions import MANAGE_PEOPLE, require
from .common import Context, acting_user

LOCK_AFTER, LOCK_MINUTES = 5, 5
LOCALES = (None, "vi", "en")
_USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,80}")


def _admin(uow: UnitOfWork, actor_id: int | None) -> Actor:
    """Who manages: an administrator, or the system (no actor: the CLI, scenarios, the demo)."""
    if actor_id is None:
        return SYSTEM
    user = acting_user(uow, actor_id)
    require(user, MANAGE_PEOPLE, "forbidden.manage")
    return user.actor()


def _unit_in_scope(uow: UnitOfWork, actor_id: int | None, unit_id: Any):
    """A unit the administrator's tree holds (any unit for the system)."""
    unit = uow.people.unit(unit_id) if parse.is_id(unit_id) else None
    if unit is None:
        raise NotFound("unit.not_found", unit_id=unit_id)
    if actor_id is not None and not acting_user(uow, actor_id).sees(unit.path):
        raise NotFound("unit.not_found", unit_id=unit_id)
    return unit


def _password(password: Any, field: str) -> None:
    problem = password_problem(password)
    if problem:
        raise Validation(problem.key, **problem.params, fields={field: problem})


class PeopleCommands:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    # ---- units -----------------------------------------------------------------------------------
    def create_unit(self, actor_id: int | None, name: str, parent_id: int | None = None) -> dict:
        name = parse.line(name or "")
        if not name or len(name) > 200:
            raise Validation("unit.name", fields={"name": Problem("field.chars_between", lo=1, hi=200)})
        with self.ctx.store.write() as uow:
            actor = _admin(uow, actor_id)
            parent = _unit_in_scope(uow, actor_id, parent_id) if parent_id is not None else None
            if parent is None and actor_id is not None:
                raise Forbidden("forbidden.top_unit")
            if uow.people.unit_named(name, parent.id if parent else None) is not None:
                raise Validation("unit.exists", name=name, fields={"name": Problem("field.exists_here")})
            now = self.ctx.clock()
            uid, path = uow.people.add_unit(name, parent.path if parent else None, parent.id if parent else None, now)
            uow.events.append(actor, "unit_created", at=now, payload={"unit_id": uid, "name": name,
                                                                       "parent_id": parent.id if parent else None})
            return {"id": uid, "name": name, "parent_id": parent.id if parent else None, "path": path}

    def find_or_create_unit_path(self, names: list[str]) -> int:
        """System helper (CLI, scenarios, demo): the unit at the end of a path of names."""
        parent = None
        for name in names:
            with self.ctx.store.read() as uow:
                found = uow.people.unit_named(name, parent)
            parent = found if found is not None else self.create_unit(None, name, parent)["id"]
        return parent

    def unit_under(self, parent_id: int, name: str) -> int:
        """System helper (scenarios): the unit of that name under a parent, made if missing."""
        with self.ctx.store.read() as uow:
            found = uow.people.unit_named(name, parent_id)
        return found if found is not None else self.create_unit(None, name, parent_id)["id"]

    # ---- users -----------------------------------------------------------------------------------
    def create_user(self, actor_id: int | None, username: str, password: str, role: str, unit_id: int,
                    display_name: str | None = None) -> User:
        errors: dict[str, Problem] = {}
        username = str(username or "").strip()
        if not _USERNAME.fullmatch(username):
            errors["username"] = Problem("field.username")
        if role not in ROLES:
            errors["role"] = Problem("field.one_of", choices=ROLES)
        problem = password_problem(password)
        if problem:
            errors["password"] = problem
        if errors:
            raise Validation("user.invalid", fields=errors, **first_problem(errors))
        display = parse.line(display_name or username)[:200]
        try:
            with self.ctx.store.write() as uow:
                actor = _admin(uow, actor_id)
                unit = _unit_in_scope(uow, actor_id, unit_id)
                now = self.ctx.clock()
                uid = uow.people.add_user({"username": username, "display_name": display, "role": role,
                                           "password_hash": hash_password(password), "unit_id": unit.id,
                                           "created_at": now})
                uow.events.append(actor, "user_created", at=now, payload={
                    "user_id": uid, "username": username, "role": role, "unit_id": unit.id})
                return acting_user(uow, uid)
        except Conflict:
            raise Validation("user.taken", username=username, fields={"username": Problem("field.taken")}) from None

    def _changes(self, role, password, active, display_name) -> dict:
        values: dict[str, Any] = {}
        if role is not None:
            if role not in ROLES:
                raise Validation("user.role", roles=ROLES, fields={"role": Problem("field.unknown_role")})
            values["role"] = role
        if password is not None:
            _password(password, "password")
            values.update(password_hash=hash_password(password), failed_logins=0, locked_until=None)
        if active is not None:
            values["active"] = bool(active)
        if display_name is not None and display_name.strip():
            values["display_name"] = parse.line(display_name)[:200]
        return values

    def update_user(self, actor_id: int | None, user_id: int, *, role: str | None = None, unit_id: int | None = None,
                    active: bool | None = None, password: str | None = None,
                    display_name: str | None = None) -> User:
        values = self._changes(role, password, active, display_name)
        with self.ctx.store.write() as uow:
            actor = _admin(uow, actor_id)
            target = acting_user(uow, user_id, must_be_active=False)
            if actor_id is not None:
                me = acting_user(uow, actor_id)
                if not me.sees(target.unit_path):
                    raise NotFound("user.not_found", user_id=user_id)
                if target.id == me.id and (active is False or (role is not None and role != "admin")):
                    raise NotAllowed("not_allowed.self")
            if unit_id is not None:
                values["unit_id"] = _unit_in_scope(uow, actor_id, unit_id).id
            if values:
                uow.people.update_user(user_id, values)
                shown = {k: v for k, v in values.items() if k not in ("password_hash", "failed_logins", "locked_until")}
                if password is not None:
                    shown["password"] = "reset"
                uow.events.append(actor, "user_updated", at=self.ctx.clock(), payload={"user_id": user_id, **shown})
            return acting_user(uow, user_id, must_be_active=False)

    # ---- signing in and out ----------------------------------------------------------------------
    def authenticate(self, username: str, password: str, *, source: str = "") -> User:
        """Check a sign-in. Every failure is on the record; after 5 failures in a row the account is
        locked for 5 minutes (the answer does not say whether the name exists)."""
        now = self.ctx.clock()
        username = parse.text(username or "")[:80]
        with self.ctx.store.write() as uow:
            row = uow.people.for_sign_in(username)
            locked = row is not None and row.locked_until is not None and as_utc(row.locked_until) > now
            if row is not None and row.active and not locked and check_password(row.password_hash, str(password or "")):
                uow.people.update_user(row.id, {"failed_logins": 0, "locked_until": None, "last_login_at": now})
                user = acting_user(uow, row.id)
                uow.events.append(user.actor(), "signed_in", at=now, payload={"source": source[:100]})
                return user
            reason = ("unknown_user" if row is None else "inactive" if not row.active else
                      "locked" if locked else "bad_password")
            if reason == "bad_password":
                fails = row.failed_logins + 1
                uow.people.update_user(row.id, {"failed_logins": fails, "locked_until": now + dt.timedelta(
                    minutes=LOCK_MINUTES) if fails >= LOCK_AFTER else None})
            uow.events.append(Actor(row.id if row else None, username or "?", row.role if row else "anonymous",
                                    row.unit_id if row else None),
                              "sign_in_failed", at=now, payload={"reason": reason, "source": source[:100]})
        # committed: the failure stays on the record even though we refuse
        raise AuthFailed("auth.locked" if reason == "locked" else "auth.wrong", reason=reason, minutes=LOCK_MINUTES)

    def record_sign_out(self, actor_id: int) -> None:
        with self.ctx.store.write() as uow:
            user = acting_user(uow, actor_id, must_be_active=False)
            uow.events.append(user.actor(), "signed_out", at=self.ctx.clock())

    def set_locale(self, actor_id: int, locale: str | None) -> User:
        """The user's preferred language for the pages ('vi', 'en', or None for the default)."""
        if locale not in LOCALES:
            raise Validation("locale.unknown", fields={"locale": Problem("field.vi_en")})
        with self.ctx.store.write() as uow:
            user = acting_user(uow, actor_id)
            uow.people.update_user(user.id, {"locale": locale})
            return acting_user(uow, user.id)

    def change_password(self, actor_id: int, current: str, new: str) -> User:
        """A user changes their own password; every other session of theirs ends with it."""
        _password(new, "new_password")
        with self.ctx.store.write() as uow:
            user = acting_user(uow, actor_id)
            if not check_password(uow.people.password_hash(user.id), str(current or "")):
                raise Validation("password.wrong", fields={"current_password": Problem("field.wrong_password")})
            if current == new:
                raise Validation("password.same", fields={"new_password": Problem("field.same_password")})
            uow.people.update_user(user.id, {"password_hash": hash_password(new)})
            uow.events.append(user.actor(), "password_changed", at=self.ctx.clock(), payload={"user_id": user.id})
            return acting_user(uow, user.id)

    # ---- API tokens ------------------------------------------------------------------------------
    def create_token(self, actor_id: int, name: str) -> tuple[int, str]:
        name = parse.line(name or "")[:100]
        if not name:
            raise Validation("token.name", fields={"name": Problem("field.required")})
        token = new_token()
        with self.ctx.store.write() as uow:
            user = acting_user(uow, actor_id)
            now = self.ctx.clock()
            tid = uow.people.add_token(user.id, name, token_hash(token), now)
            uow.events.append(user.actor(), "token_created", at=now, payload={"token_id": tid, "name": name})
        return tid, token

    def revoke_token(self, actor_id: int, token_id: int) -> None:
        if not parse.is_id(token_id):
            raise NotFound("token.not_found")
        with self.ctx.store.write() as uow:
            user = acting_user(uow, actor_id, must_be_active=False)
            now = self.ctx.clock()
            if not uow.people.revoke_token(user.id, token_id, now):
                raise NotFound("token.not_found")
            uow.events.append(user.actor(), "token_revoked", at=now, payload={"token_id": token_id})

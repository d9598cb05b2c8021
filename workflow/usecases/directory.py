"""The read side of people: a user (by id, name or API token), and the lists of users, units and
tokens an administrator or auditor sees."""
from __future__ import annotations

from typing import Any

from ..domain.credentials import looks_like_token, session_stamp, token_hash
from ..domain.errors import Forbidden
from ..domain.people import User
from ..domain.permissions import LIST_USERS, require
from ..domain import parse
from .common import Context, acting_user


class Directory:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def get_user(self, user_id: Any) -> User | None:
        """A user, active or not; None if there is none."""
        with self.ctx.store.read() as uow:
            try:
                return acting_user(uow, user_id, must_be_active=False)
            except Forbidden:
                return None

    def user_by_name(self, username: str) -> User | None:
        with self.ctx.store.read() as uow:
            uid = uow.people.user_named(parse.text(username))
            return acting_user(uow, uid, must_be_active=False) if uid is not None else None

    def user_for_token(self, token: str) -> User | None:
        """The active user a live token belongs to, or None (revoked, unknown, or user deactivated)."""
        if not looks_like_token(token):
            return None
        with self.ctx.store.read() as uow:
            uid = uow.people.token_user(token_hash(token))
            if uid is None:
                return None
            try:
                return acting_user(uow, uid)
            except Forbidden:
                return None

    def has_users(self) -> int:
        """How many users there are (0 on a new database)."""
        with self.ctx.store.read() as uow:
            return uow.people.count_users()

    def list_users(self, actor_id: int) -> list[User]:
        with self.ctx.store.read() as uow:
            me = acting_user(uow, actor_id)
            require(me, LIST_USERS, "forbidden.list_users")
            return [User(r.id, r.username, r.display_name, r.role, r.unit_id, r.path, r.unit_name, r.active,
                         r.locale, session_stamp(r.password_hash)) for r in uow.queries.users(me)]

    def list_units(self, actor_id: int) -> list[dict]:
        with self.ctx.store.read() as uow:
            return uow.queries.units(acting_user(uow, actor_id))

    def list_tokens(self, actor_id: int) -> list[dict]:
        with self.ctx.store.read() as uow:
            return uow.queries.tokens(acting_user(uow, actor_id, must_be_active=False).id)

"""The people repository: units (a tree of materialised paths), users, sign-in counters and API
tokens, as the write side changes them. Plain SQL (adapters/sql.py)."""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Boolean, Date, DateTime

from .sql import Runner, Statement, Updates

DT, BOOL = DateTime(timezone=True), Boolean()
UNIT_BY_ID = Statement("SELECT id, name, parent_id, path, head_user_id FROM units WHERE id = :unit_id",
                       columns=("id", "name", "parent_id", "path", "head_user_id"))
TOP_UNIT_NAMED = Statement("SELECT id FROM units WHERE name = :name AND parent_id IS NULL", columns=("id",))
CHILD_UNIT_NAMED = Statement("SELECT id FROM units WHERE name = :name AND parent_id = :parent_id", columns=("id",))
INSERT_UNIT = Statement("INSERT INTO units (name, parent_id, path, created_at) VALUES (:name, :parent_id, '', "
                        ":created_at) RETURNING id", columns=("id",), types={"created_at": DT})
SET_UNIT_PATH = Statement("UPDATE units SET path = :path WHERE id = :unit_id")
INSERT_USER = Statement(
    "INSERT INTO users (username, display_name, password_hash, role, unit_id, active, failed_logins, created_at) "
    "VALUES (:username, :display_name, :password_hash, :role, :unit_id, :active, 0, :created_at) RETURNING id",
    columns=("id",), types={"active": BOOL, "created_at": DT})
SIGN_IN = Statement("SELECT id, role, unit_id, active, password_hash, failed_logins, locked_until FROM users "
                    "WHERE username = :username{lock}",
                    columns=("id", "role", "unit_id", "active", "password_hash", "failed_logins", "locked_until"),
                    types={"active": BOOL, "locked_until": DT})
PASSWORD_HASH = Statement("SELECT password_hash FROM users WHERE id = :user_id", columns=("password_hash",))
USER_NAMED = Statement("SELECT id FROM users WHERE username = :username", columns=("id",))
COUNT_USERS = Statement("SELECT count(*) FROM users", columns=("n",))
INSERT_TOKEN = Statement("INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
                         "VALUES (:user_id, :name, :token_hash, :created_at) RETURNING id",
                         columns=("id",), types={"created_at": DT})
REVOKE_TOKEN = Statement("UPDATE api_tokens SET revoked_at = :now WHERE id = :token_id AND user_id = :user_id "
                         "AND revoked_at IS NULL", types={"now": DT})
TOKEN_USER = Statement("SELECT user_id FROM api_tokens WHERE token_hash = :token_hash AND revoked_at IS NULL",
                       columns=("user_id",))
SET_HEAD = Statement("UPDATE units SET head_user_id = :user_id WHERE id = :unit_id")
UNIT_HEAD = Statement("SELECT head_user_id FROM units WHERE id = :unit_id", columns=("head_user_id",))
DELEGATIONS = Statement(
    "SELECT id, unit_id, user_id, valid_from, valid_until, reason, created_by, created_at, revoked_at "
    "FROM head_delegations WHERE unit_id = :unit_id ORDER BY id",
    columns=("id", "unit_id", "user_id", "valid_from", "valid_until", "reason", "created_by", "created_at",
             "revoked_at"), types={"valid_from": Date(), "valid_until": Date(), "created_at": DT, "revoked_at": DT})
INSERT_DELEGATION = Statement(
    "INSERT INTO head_delegations (unit_id, user_id, valid_from, valid_until, reason, created_by, created_at) "
    "VALUES (:unit_id, :user_id, :valid_from, :valid_until, :reason, :created_by, :created_at) RETURNING id",
    columns=("id",), types={"valid_from": Date(), "valid_until": Date(), "created_at": DT})
REVOKE_DELEGATION = Statement("UPDATE head_delegations SET revoked_at = :now WHERE id = :delegation_id "
                              "AND unit_id = :unit_id AND revoked_at IS NULL", types={"now": DT})
UPDATE_USER = Updates("users", {"display_name": None, "password_hash": None, "role": None, "unit_id": None,
                                "active": BOOL, "failed_logins": None, "locked_until": DT, "last_login_at": DT,
                                "locale": None}, "id = :b_id")


class PeopleRepository:
    def __init__(self, runner: Runner):
        self.sql = runner

    def unit(self, unit_id: int):
        """(id, name, parent_id, path, head_user_id) of a unit, or None."""
        return self.sql.first(UNIT_BY_ID, {"unit_id": unit_id})

    def unit_named(self, name: str, parent_id: int | None) -> int | None:
        r = (self.sql.first(TOP_UNIT_NAMED, {"name": name}) if parent_id is None
             else self.sql.first(CHILD_UNIT_NAMED, {"name": name, "parent_id": parent_id}))
        return None if r is None else r.id

    def add_unit(self, name: str, parent_path: str | None, parent_id: int | None, now) -> tuple[int, str]:
        """A new unit under a parent (or at the top); its (id, path)."""
        uid = self.sql.first(INSERT_UNIT, {"name": name, "parent_id": parent_id, "created_at": now}).id
        path = f"{parent_path or '/'}{uid}/"
        self.sql.run(SET_UNIT_PATH, {"path": path, "unit_id": uid})
        return uid, path

    def add_user(self, values: Mapping[str, Any]) -> int:
        return self.sql.first(INSERT_USER, {"active": True, **values}).id

    def update_user(self, user_id: int, values: Mapping[str, Any]) -> None:
        self.sql.run(UPDATE_USER(tuple(values)), {**values, "b_id": user_id})

    def for_sign_in(self, username: str):
        """The row a sign-in checks and counts on, locked (PostgreSQL) until the transaction ends."""
        return self.sql.first(SIGN_IN, {"username": username})

    def password_hash(self, user_id: int) -> str:
        return self.sql.first(PASSWORD_HASH, {"user_id": user_id}).password_hash

    def user_named(self, username: str) -> int | None:
        r = self.sql.first(USER_NAMED, {"username": username})
        return None if r is None else r.id

    def count_users(self) -> int:
        return self.sql.first(COUNT_USERS).n

    def add_token(self, user_id: int, name: str, token_hash: str, now) -> int:
        return self.sql.first(INSERT_TOKEN, {"user_id": user_id, "name": name, "token_hash": token_hash,
                                             "created_at": now}).id

    def revoke_token(self, user_id: int, token_id: int, now) -> bool:
        return self.sql.count(REVOKE_TOKEN, {"token_id": token_id, "user_id": user_id, "now": now}) == 1

    def token_user(self, token_hash: str) -> int | None:
        r = self.sql.first(TOKEN_USER, {"token_hash": token_hash})
        return None if r is None else r.user_id

    # ---- the head of a unit, and deputies by delegation -------------------------------------------
    def unit_head(self, unit_id: int) -> int | None:
        r = self.sql.first(UNIT_HEAD, {"unit_id": unit_id})
        return None if r is None else r.head_user_id

    def set_unit_head(self, unit_id: int, user_id: int | None) -> None:
        self.sql.run(SET_HEAD, {"unit_id": unit_id, "user_id": user_id})

    def delegations(self, unit_id: int) -> list:
        """Every delegation recorded for the unit's head, revoked ones too, oldest first."""
        return list(self.sql.run(DELEGATIONS, {"unit_id": unit_id}))

    def add_delegation(self, values: Mapping[str, Any]) -> int:
        return self.sql.first(INSERT_DELEGATION, values).id

    def revoke_delegation(self, unit_id: int, delegation_id: int, now) -> bool:
        return self.sql.count(REVOKE_DELEGATION, {"unit_id": unit_id, "delegation_id": delegation_id, "now": now}) == 1

"""Who acts: a user (one role in one unit; they see the cases of their unit's tree), and the actor
the record names. Units form a tree kept as materialised paths ('/1/4/9/'): a unit's subtree is
every unit whose path starts with its own."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("staff", "supervisor", "auditor", "admin", "inspection")   # inspection: an opinion where a step asks one


def in_tree(path: str, root_path: str) -> bool:
    """Whether the unit at `path` lies in the tree of the unit at `root_path` (itself included).
    The same rule as the adapters' SQL condition (workflow/adapters/scope.py)."""
    return path.startswith(root_path)


@dataclass(frozen=True)
class Actor:
    """Who did it, as the record keeps it (the user row may change later; the record won't)."""
    id: int | None
    username: str
    role: str
    unit_id: int | None


SYSTEM = Actor(None, "system", "system", None)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int
    unit_path: str
    unit_name: str
    active: bool
    locale: str | None = None
    # changes whenever the password does: a session carrying an old stamp is signed out
    session_stamp: str = ""

    def actor(self) -> Actor:
        return Actor(self.id, self.username, self.role, self.unit_id)

    def sees(self, unit_path: str) -> bool:
        """Whether a unit (and what belongs to it) is in this user's tree."""
        return in_tree(unit_path, self.unit_path)

    @property
    def sees_everything(self) -> bool:
        """At a top unit: whether that is the only top unit is the database's to say."""
        return self.unit_path.count("/") == 2

    def to_dict(self) -> dict:
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "role": self.role,
                "unit_id": self.unit_id, "unit_name": self.unit_name, "active": self.active}

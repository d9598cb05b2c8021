"""THE unit-scope filter, written once: a user sees what belongs to the units of their tree (their
unit's path is a prefix of the unit's). Every query that returns cases, events, units or users
goes through these; domain/people.in_tree is the same rule on a loaded row."""
from __future__ import annotations

from sqlalchemy import and_, or_, select

from ..domain.people import User
from .tables import cases, events, units


def in_tree(path_column, user: User):
    """The condition: the unit whose path is `path_column` is in the user's tree."""
    return path_column.startswith(user.unit_path, autoescape=True)


def units_in_tree(user: User):
    """The ids of the units in the user's tree (a subquery)."""
    return select(units.c.id).where(in_tree(units.c.path, user))


def cases_in_scope(user: User, whole: bool) -> list:
    """Conditions on `cases` (no join needed). `whole`: every unit is in the user's tree (a user
    at the only top unit), so there is nothing to filter: a count can read one index."""
    return [] if whole else [cases.c.unit_id.in_(units_in_tree(user).scalar_subquery())]


def events_in_scope(user: User, whole: bool, case_unit, *, system_events: bool) -> list:
    """Conditions on `events` joined to their case (outer) and its unit (`case_unit`, outer): the
    events of the cases in scope, and with `system_events` the events of no case (sign-ins, user
    changes) of the units in scope or of none."""
    if whole:
        return [] if system_events else [events.c.case_id.is_not(None)]
    scoped = in_tree(case_unit.c.path, user)
    if system_events:
        scoped = or_(scoped, and_(events.c.case_id.is_(None),
                                  or_(events.c.unit_id.in_(units_in_tree(user)), events.c.unit_id.is_(None))))
    return [scoped]

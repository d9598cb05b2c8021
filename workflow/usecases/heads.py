"""The head of a unit (người đứng đầu) and the deputies who stand in by a recorded delegation.

An administrator designates a unit's head: a supervisor whose own unit is that unit or one above
it. The administrator or the head records a delegation to a deputy (a supervisor too) for a span
of days, with its reason; a delegation can be revoked and stays on record. Only the head, or a
deputy whose delegation is in force that day, records the head's decision on a case of the unit
(domain/permissions.py). Every change is an event carrying what changed."""
from __future__ import annotations

import datetime as dt
from typing import Any

from ..adapters.uow import UnitOfWork
from ..domain import parse
from ..domain.errors import Forbidden, NotFound, Problem, Validation, first_problem
from ..domain.people import SYSTEM, Actor
from ..domain.permissions import HEADS, MANAGE_PEOPLE
from .common import Context, acting_user

MAX_REASON = 300


def _unit(uow: UnitOfWork, unit_id: Any, viewer=None):
    unit = uow.people.unit(unit_id) if parse.is_id(unit_id) else None
    if unit is None or (viewer is not None and not viewer.sees(unit.path)):
        raise NotFound("unit.not_found", unit_id=unit_id)
    return unit


def _candidate_head(uow: UnitOfWork, user_id: Any, unit, field: str):
    """A user who may be a unit's head or deputy: an active supervisor over that unit."""
    try:
        user = acting_user(uow, user_id)
    except Forbidden:
        raise Validation("head.user", fields={field: Problem("field.unknown_user")}) from None
    if user.role not in HEADS or not user.sees(unit.path):
        raise Validation("head.not_eligible", user=user.username, unit=unit.name,
                         fields={field: Problem("field.head_eligible")})
    return user


def _date(v: Any, name: str, errors: dict) -> dt.date | None:
    try:
        return dt.date.fromisoformat(parse.date(v))
    except parse.Invalid as e:
        errors[name] = e.problem
        return None


class HeadCommands:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def _admin_or_head(self, uow: UnitOfWork, actor_id: int | None, unit, *, head_too: bool) -> Actor:
        if actor_id is None:
            return SYSTEM
        me = acting_user(uow, actor_id)
        _unit(uow, unit.id, me)
        if me.role in MANAGE_PEOPLE or (head_too and unit.head_user_id == me.id):
            return me.actor()
        raise Forbidden("forbidden.heads", role=me.role)

    def designate(self, actor_id: int | None, unit_id: int, user_id: int | None) -> dict:
        """Make `user_id` the head of a unit (None: the unit has no head designated)."""
        with self.ctx.store.write() as uow:
            unit = _unit(uow, unit_id)
            actor = self._admin_or_head(uow, actor_id, unit, head_too=False)
            if user_id is not None:
                _candidate_head(uow, user_id, unit, "user_id")
            uow.people.set_unit_head(unit.id, user_id)
            uow.events.append(actor, "unit_head_designated", at=self.ctx.clock(), payload={
                "unit_id": unit.id, "user_id": user_id, "previous_user_id": unit.head_user_id})
            return {"unit_id": unit.id, "head_user_id": user_id}

    def delegate(self, actor_id: int | None, unit_id: int, user_id: int, valid_from: Any, valid_until: Any,
                 reason: str) -> dict:
        """Record a deputy who stands in for the unit's head from one day to another (both included)."""
        errors: dict[str, Problem] = {}
        start, end = _date(valid_from, "valid_from", errors), _date(valid_until, "valid_until", errors)
        if start and end and end < start:
            errors["valid_until"] = Problem("field.not_before", date=start.isoformat(), other="valid_from")
        why = parse.line(reason or "") if isinstance(reason, str) else ""
        if not why or len(why) > MAX_REASON:
            errors["reason"] = Problem("field.chars_between", lo=1, hi=MAX_REASON)
        if errors:
            raise Validation("delegation.invalid", fields=errors, **first_problem(errors))
        with self.ctx.store.write() as uow:
            unit = _unit(uow, unit_id)
            actor = self._admin_or_head(uow, actor_id, unit, head_too=True)
            if unit.head_user_id is None:
                raise Validation("delegation.no_head", unit=unit.name, fields={"unit_id": Problem("field.no_head")})
            _candidate_head(uow, user_id, unit, "user_id")
            now = self.ctx.clock()
            values = {"unit_id": unit.id, "user_id": user_id, "valid_from": start, "valid_until": end, "reason": why,
                      "created_by": actor.id, "created_at": now}
            did = uow.people.add_delegation(values)
            uow.events.append(actor, "head_delegated", at=now, payload={
                "delegation_id": did, "unit_id": unit.id, "user_id": user_id, "head_user_id": unit.head_user_id,
                "valid_from": start.isoformat(), "valid_until": end.isoformat(), "reason": why})
            return {"id": did, **{k: v for k, v in values.items() if k != "created_at"}}

    def revoke(self, actor_id: int | None, unit_id: int, delegation_id: int) -> None:
        with self.ctx.store.write() as uow:
            unit = _unit(uow, unit_id)
            actor = self._admin_or_head(uow, actor_id, unit, head_too=True)
            now = self.ctx.clock()
            if not parse.is_id(delegation_id) or not uow.people.revoke_delegation(unit.id, delegation_id, now):
                raise NotFound("delegation.not_found", delegation_id=delegation_id)
            uow.events.append(actor, "head_delegation_revoked", at=now, payload={
                "delegation_id": delegation_id, "unit_id": unit.id})

    def of_unit(self, actor_id: int, unit_id: int) -> dict:
        """The unit's head and its delegations (revoked ones too), for whoever sees the unit."""
        with self.ctx.store.read() as uow:
            unit = _unit(uow, unit_id, acting_user(uow, actor_id))
            head = uow.people.unit_head(unit.id)
            names = uow.queries.display_names([head] + [r.user_id for r in uow.people.delegations(unit.id)])
            today = self.ctx.today()
            return {"unit_id": unit.id, "unit_name": unit.name, "head_user_id": head, "head_name": names.get(head),
                    "delegations": [{"id": r.id, "user_id": r.user_id, "user_name": names.get(r.user_id),
                                     "valid_from": r.valid_from.isoformat(), "valid_until": r.valid_until.isoformat(),
                                     "reason": r.reason, "revoked": r.revoked_at is not None,
                                     "in_force": r.revoked_at is None and r.valid_from <= today <= r.valid_until}
                                    for r in uow.people.delegations(unit.id)]}

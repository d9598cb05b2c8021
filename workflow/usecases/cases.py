"""The write side of cases: open a case, and take an action on one. Each is one unit of work —
load (the acting user and the case, in one statement), let the domain decide, save, append one
event, commit — behind an optional idempotency key, whose retry is answered with the first
result and applied once."""
from __future__ import annotations

import hashlib
from typing import Any, Callable, Mapping

from ..adapters.sql import Conflict
from ..adapters.uow import UnitOfWork
from ..domain import parse
from ..domain.actions import ACTIONS, settle
from ..domain.case import OPEN, CaseRow
from ..domain.chain import canonical
from ..domain.definition import Definition
from ..domain.errors import NotFound, Problem, Validation, VersionConflict, first_problem
from ..domain.permissions import OPEN_CASE, require
from ..domain.search import search_text
from ..domain.calendar import due
from .common import ActionResult, Context, acting_user, load_case, user_and_case

MAX_TITLE = 300


def fingerprint(action: str, case_id: Any, input: Any) -> str:
    """What a request asked, to tell a retry from another request under the same key (a file by
    its digest)."""
    def plain(v: Any) -> Any:
        if isinstance(v, (bytes, bytearray)):
            return {"sha256": hashlib.sha256(v).hexdigest()}
        if isinstance(v, Mapping):
            return {str(k): plain(x) for k, x in v.items()}
        return v
    try:
        text = canonical([action, case_id, plain(input)])
    except (TypeError, ValueError):          # keys of mixed types cannot be sorted: fall back to repr
        text = repr([action, case_id, input])
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(uow: UnitOfWork, actor_id: int, key: str, fp: str) -> ActionResult | None:
    found = uow.keys.replay(actor_id, key)
    if found is None:
        return None
    request, r = found
    if request != fp:
        raise Validation("idempotency.reused", fields={"idempotency_key": Problem("field.key_reused")})
    return ActionResult(r.pop("case"), r.pop("event_seq"), True, {k: v for k, v in r.items() if k != "replayed"})


class CaseCommands:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def _once(self, actor_id: Any, action: str, case_id: Any, input: Any, key: str | None,
              body: Callable[[UnitOfWork, tuple | None], ActionResult]) -> ActionResult:
        """One unit of work behind an idempotency key: a key seen before answers its first result."""
        if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 200):
            raise Validation("idempotency.key_length", fields={"idempotency_key": Problem("field.chars_between",
                                                                                          lo=1, hi=200)})
        keyed = bool(key) and actor_id is not None
        fp = fingerprint(action, case_id, input) if keyed else None
        try:
            with self.ctx.store.write() as uow:
                loaded = None       # (user, case row) read here are handed to the body, not read again
                if keyed:
                    # a deactivated user gets no replay either, nor one for a case out of their scope now
                    loaded = (user_and_case(uow, actor_id, case_id) if case_id is not None
                              else (acting_user(uow, actor_id), None))
                    done = _replay(uow, actor_id, key, fp)
                    if done is not None:
                        return done
                result = body(uow, loaded)
                if keyed:
                    uow.keys.remember(actor_id, key, fp, result.to_dict(), self.ctx.clock())
                return result
        except (Conflict, VersionConflict):
            # Two submits with one key raced and the other committed first (its key row collided with
            # ours, or its change moved the case version under us): answer with its result.
            if keyed:
                with self.ctx.store.read() as uow:
                    done = _replay(uow, actor_id, key, fp)
                if done is not None:
                    return done
            raise

    # ---- an action on a case -------------------------------------------------------------------

    def act(self, actor_id: int, case_id: int, action: str, input: Mapping[str, Any] | None = None, *,
            expected_version: int | None = None, idempotency_key: str | None = None) -> ActionResult:
        """Take `action` (a name in domain.actions.ACTIONS) with its input on a case."""
        if action not in ACTIONS:
            raise Validation("action.unknown", action=action)
        if expected_version is not None and (isinstance(expected_version, bool) or not isinstance(expected_version, int)):
            raise Validation("expected_version.whole", fields={"expected_version": Problem("field.whole")})
        input = {} if input is None else input

        def body(uow: UnitOfWork, loaded: tuple | None) -> ActionResult:
            user, row = loaded if loaded is not None else user_and_case(uow, actor_id, case_id)
            if expected_version is not None and expected_version != row.version:
                raise VersionConflict("version.conflict", case_id=case_id, current=row.version,
                                      expected=expected_version)
            case = load_case(self.ctx, uow, row)
            self.ctx.check_pin(uow, case.definition)
            now = self.ctx.clock()
            change = ACTIONS[action].decide(case, user, input, now, self.ctx.limits)
            if change.noop:         # nothing changed (a form saved as it was): nothing is written
                return ActionResult(self.ctx.summary(row, case.definition).to_dict(), None, False,
                                    {"unchanged": True})
            values = settle(case, change, now)
            if not uow.cases.save(row, values, change, user.id):
                raise VersionConflict("version.changed", case_id=case_id, current=None)
            seq = uow.events.append(user.actor(), change.kind, at=now, case_id=row.id, from_state=row.state,
                                    to_state=values.get("state", row.state), payload=change.payload)
            return ActionResult(self.ctx.summary(row, case.definition, values).to_dict(), seq, False, change.info)

        return self._once(actor_id, action, case_id, input, idempotency_key, body)

    # the actions, one by one, for Python callers
    def record(self, actor_id, case_id, fields, *, reason: str | None = None, **kw) -> ActionResult:
        """Save the step's form (`reason`: why a saved value is corrected)."""
        return self.act(actor_id, case_id, "record", {"fields": fields, "reason": reason}, **kw)

    def tally(self, actor_id, case_id, tally, *, reason: str | None = None, **kw) -> ActionResult:
        """Record a tally (`reason`: why a saved tally is corrected; it then awaits approval)."""
        return self.act(actor_id, case_id, "tally", {"tally": tally, "reason": reason}, **kw)

    def head_decision(self, actor_id, case_id, candidate, accept, *, comment: str = "", **kw) -> ActionResult:
        return self.act(actor_id, case_id, "head_decision", {"candidate": candidate, "accept": accept,
                                                             "comment": comment}, **kw)

    def announce(self, actor_id, case_id, announcement, **kw) -> ActionResult:
        return self.act(actor_id, case_id, "announce", announcement, **kw)

    def attach(self, actor_id, case_id, name, content, *, doc_type: str = "other", **kw) -> ActionResult:
        return self.act(actor_id, case_id, "attach", {"name": name, "content": content, "doc_type": doc_type}, **kw)

    def advance(self, actor_id, case_id, **kw) -> ActionResult:
        return self.act(actor_id, case_id, "advance", {}, **kw)

    def request_approval(self, actor_id, case_id, *, comment: str = "", **kw) -> ActionResult:
        return self.act(actor_id, case_id, "request_approval", {"comment": comment}, **kw)

    def approve(self, actor_id, case_id, *, comment: str = "", **kw) -> ActionResult:
        return self.act(actor_id, case_id, "approve", {"comment": comment}, **kw)

    def return_case(self, actor_id, case_id, reason, *, to: str | None = None, **kw) -> ActionResult:
        return self.act(actor_id, case_id, "return", {"reason": reason, "to": to}, **kw)

    def cancel(self, actor_id, case_id, reason, **kw) -> ActionResult:
        return self.act(actor_id, case_id, "cancel", {"reason": reason}, **kw)

    # ---- opening a case ------------------------------------------------------------------------

    def open_case(self, actor_id: int, procedure: str, title: str, *, unit_id: int | None = None,
                  version: int | None = None, idempotency_key: str | None = None) -> ActionResult:
        title = parse.text(title) if isinstance(title, str) else title
        d = self._procedure(procedure, title, version)
        input = {"procedure": procedure, "title": title, "unit_id": unit_id, "version": version}

        def body(uow: UnitOfWork, loaded: tuple | None) -> ActionResult:
            user = loaded[0] if loaded is not None else acting_user(uow, actor_id)
            require(user, OPEN_CASE, "forbidden.open")
            target = unit_id if unit_id is not None else user.unit_id
            if isinstance(target, bool) or not isinstance(target, int):
                raise Validation("unit_id.whole", fields={"unit_id": Problem("field.whole")})
            unit = uow.people.unit(target) if parse.is_id(target) else None
            if unit is None or not user.sees(unit.path):
                raise NotFound("unit.not_found", unit_id=target)
            self._pin(uow, d)
            now = self.ctx.clock()
            values = dict(definition_key=d.key, definition_version=d.version, title=title.strip(), unit_id=target,
                          state=d.first.key, status=OPEN, version=1, step_started_at=now,
                          step_due=due(now, d.first.deadline_days), awaiting=None, approval_requested_by=None,
                          opened_by=user.id, opened_at=now, updated_at=now, search=search_text(title.strip()),
                          case_due=None, returned=False)
            case_id = uow.cases.insert(values)
            seq = uow.events.append(user.actor(), "case_opened", at=now, case_id=case_id, to_state=d.first.key,
                                    payload={"title": values["title"], "procedure": d.key, "version": d.version,
                                             "fingerprint": d.fingerprint, "unit_id": target})
            row = CaseRow(id=case_id, unit_path=unit.path, unit_name=unit.name, unit_head_id=unit.head_user_id,
                          **values)
            return ActionResult(self.ctx.summary(row, d).to_dict(), seq)

        return self._once(actor_id, "open", None, input, idempotency_key, body)

    def _procedure(self, procedure: Any, title: Any, version: Any) -> Definition:
        errors: dict[str, Problem] = {}
        if not isinstance(title, str) or not title.strip():
            errors["title"] = Problem("field.required")
        elif len(title.strip()) > MAX_TITLE:
            errors["title"] = Problem("field.at_most", n=MAX_TITLE)
        if not isinstance(procedure, str) or not procedure:
            errors["procedure"] = Problem("field.required")
        if errors:
            raise Validation("open.invalid", fields=errors, **first_problem(errors))
        try:
            return self.ctx.registry.get(procedure, version, on=self.ctx.today())
        except KeyError:
            raise NotFound("procedure.unknown_version" if version else "procedure.unknown", procedure=procedure,
                           version=version) from None

    def _pin(self, uow: UnitOfWork, d: Definition) -> None:
        """The first case opened under a definition version pins its fingerprint; a file edited in
        place under the same version is refused from then on."""
        if uow.cases.pin(d.key, d.version, d.fingerprint, self.ctx.clock()) != d.fingerprint:
            raise Validation("definition.changed_new", file=d.source, label=d.label, procedure=d.key)

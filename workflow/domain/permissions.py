"""THE table of who may do what.

On a case: an action is taken by the step's role (staff, a supervisor, or the head of the case's
unit — the designated head or a deputy whose delegation is in force — as the definition says),
by a supervisor whatever the step, by the head, or by a body that only gives an opinion at that
step (the inspection committee at appraisal: that one record and nothing else). Some actions need
the case to await something (an approval, the head's decision, a supervisor's decision after a
failed gate, a correction's approval), others are refused while an approval is pending; the
approver is never the one who asked (four eyes). Beyond cases: who opens cases, who searches and
verifies the record, who lists and manages users and units. Checks run in a fixed order, so each
refusal is always the same error."""
from __future__ import annotations

from dataclasses import dataclass

from .case import AWAIT_APPROVAL, AWAIT_CORRECTION, AWAIT_DECISION, AWAIT_HEAD, OPEN, Case
from .definition import Step
from .errors import Forbidden, FourEyes, NotAllowed
from .people import User

ACTING_ROLES = ("staff", "supervisor")      # the others read and change nothing …
OPINION_ROLES = ("inspection",)             # … but a body's opinion where a step asks for it
STEP, SUPERVISOR, HEAD, OPINION = "step", "supervisor", "head", "opinion"


@dataclass(frozen=True)
class Who:
    by: str                             # STEP (the step's role) | SUPERVISOR | HEAD | OPINION
    needs: str | None = None            # the case must await this
    not_while: str | None = None        # refused while the case awaits this
    four_eyes: bool = False             # never by the one who asked (for the approval, the correction)


CASE_ACTIONS: dict[str, Who] = {
    "record": Who(STEP, not_while=AWAIT_APPROVAL),
    "tally": Who(STEP, not_while=AWAIT_APPROVAL),
    "attach": Who(STEP, not_while=AWAIT_APPROVAL),
    "announce": Who(STEP, not_while=AWAIT_APPROVAL),
    "advance": Who(STEP, not_while=AWAIT_APPROVAL),
    "request_approval": Who(STEP, not_while=AWAIT_APPROVAL),
    "approve": Who(SUPERVISOR, needs=AWAIT_APPROVAL, four_eyes=True),
    "return": Who(SUPERVISOR),
    "decide": Who(SUPERVISOR, needs=AWAIT_DECISION),
    "head_decision": Who(HEAD, needs=AWAIT_HEAD),
    "approve_correction": Who(SUPERVISOR, needs=AWAIT_CORRECTION, four_eyes=True),
    "reject_correction": Who(SUPERVISOR, needs=AWAIT_CORRECTION),
    "opinion": Who(OPINION, not_while=AWAIT_APPROVAL),
    "cancel": Who(SUPERVISOR),
}

# Beyond a case: the roles that may, and the message key of a refusal.
OPEN_CASE = ("staff",)
SEARCH_RECORD = ("auditor", "admin", "supervisor")
VERIFY_RECORD = ("auditor", "admin", "supervisor")
LIST_USERS = ("admin", "auditor")
MANAGE_PEOPLE = ("admin",)
HEADS = ("supervisor",)                      # who may be designated the head of a unit, or a deputy
SEES_SYSTEM_EVENTS = ("auditor", "admin")    # sign-ins, user changes: events of no case


def require(user: User, roles: tuple[str, ...], key: str) -> None:
    if user.role not in roles:
        raise Forbidden(key, role=user.role)


def acts_as_head(case: Case, user: User) -> bool:
    return case.heads.acts_as_head(user.id, case.today)


def _head(case: Case, user: User, step: Step) -> None:
    """The head's decision: the unit's designated head or a deputy in force; where the vote rule
    does not ask for the head (v1) and no head is designated, any supervisor."""
    decided_by = step.vote.decided_by if step.vote else None
    if decided_by == "supervisor" or (decided_by is None and case.heads.head_id is None):
        return
    if case.heads.head_id is None:
        raise Forbidden("forbidden.no_head", unit=case.row.unit_name)
    if not acts_as_head(case, user):
        raise Forbidden("forbidden.not_head", unit=case.row.unit_name)


SUPERVISOR_ONLY = {"approve": "forbidden.supervisor.approve", "return": "forbidden.supervisor.return",
                   "head_decision": "forbidden.supervisor.head_decision", "cancel": "forbidden.supervisor.cancel",
                   "decide": "forbidden.supervisor.decide", "approve_correction": "forbidden.supervisor.correction",
                   "reject_correction": "forbidden.supervisor.correction"}


def _by(case: Case, user: User, who: Who, action: str, step: Step) -> None:
    if who.by == OPINION:
        if step.opinion(user.role) is None:
            raise Forbidden("forbidden.opinion", step=step.key, role=user.role)
        return
    if who.by == HEAD:
        _head(case, user, step)
    if who.by == STEP and step.role == "head":
        if not acts_as_head(case, user):
            raise Forbidden("forbidden.head_step", step=step.key, unit=case.row.unit_name)
    elif who.by == STEP and user.role != step.role:
        raise Forbidden("forbidden.step_role", step=step.key, needed=step.role, role=user.role)


def permit(case: Case, user: User, action: str) -> Step:
    """The current step, if `user` may take `action` on `case` now; else raise."""
    who, row = CASE_ACTIONS[action], case.row
    if who.by != OPINION and user.role not in ACTING_ROLES:
        raise Forbidden("forbidden.read_only", role=user.role)
    if who.by == OPINION and user.role not in OPINION_ROLES:
        raise Forbidden("forbidden.opinion_role", role=user.role)
    if who.by in (SUPERVISOR, HEAD) and user.role != "supervisor":
        raise Forbidden(SUPERVISOR_ONLY[action], role=user.role)
    if row.status != OPEN:
        raise NotAllowed("not_allowed.closed", status=row.status)
    step = case.definition.step(row.state)
    _by(case, user, who, action, step)
    if who.needs is not None and row.awaiting != who.needs:
        raise NotAllowed({AWAIT_APPROVAL: "not_allowed.no_approval_requested", AWAIT_HEAD: "not_allowed.no_head_decision",
                          AWAIT_DECISION: "not_allowed.no_decision_needed",
                          AWAIT_CORRECTION: "not_allowed.no_correction"}[who.needs])
    if who.not_while == AWAIT_APPROVAL and row.awaiting == AWAIT_APPROVAL:
        raise NotAllowed("not_allowed.awaiting_approval")
    return step


def check_four_eyes(case: Case, user: User, action: str) -> None:
    """The approver is not the one who asked: for an approval, the requester; for a corrected
    tally, the one who entered it."""
    if not CASE_ACTIONS[action].four_eyes:
        return
    if action == "approve_correction":
        pending = case.records(case.row.state).correction
        if pending is not None and pending.actor_id == user.id:
            raise FourEyes("four_eyes.correction")
    elif case.row.approval_requested_by == user.id:
        raise FourEyes("four_eyes")


def may(case: Case, user: User, action: str) -> bool:
    """Whether `user` passes every check of `action` on `case` now (four eyes included)."""
    try:
        permit(case, user, action)
        check_four_eyes(case, user, action)
    except (Forbidden, NotAllowed, FourEyes):
        return False
    return True

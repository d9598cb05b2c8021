"""THE table of who may do what.

On a case: an action is taken by the step's role (staff or a supervisor, as the definition says)
or by a supervisor whatever the step; some actions need the case to await something (an
approval, the head's decision), others are refused while an approval is pending; the approver
is never the one who asked (four eyes). Beyond cases: who opens cases, who searches and
verifies the record, who lists and manages users and units. Checks run in a fixed order, so
each refusal is always the same error."""
from __future__ import annotations

from dataclasses import dataclass

from .case import AWAIT_APPROVAL, AWAIT_HEAD, OPEN, Case
from .definition import Step
from .errors import Forbidden, FourEyes, NotAllowed
from .people import User

ACTING_ROLES = ("staff", "supervisor")      # the others read and change nothing
STEP, SUPERVISOR = "step", "supervisor"


@dataclass(frozen=True)
class Who:
    by: str                             # STEP (the step's role) | SUPERVISOR
    needs: str | None = None            # the case must await this
    not_while: str | None = None        # refused while the case awaits this
    four_eyes: bool = False             # never by the one who asked for the approval


CASE_ACTIONS: dict[str, Who] = {
    "record": Who(STEP, not_while=AWAIT_APPROVAL),
    "tally": Who(STEP, not_while=AWAIT_APPROVAL),
    "attach": Who(STEP, not_while=AWAIT_APPROVAL),
    "announce": Who(STEP, not_while=AWAIT_APPROVAL),
    "advance": Who(STEP, not_while=AWAIT_APPROVAL),
    "request_approval": Who(STEP, not_while=AWAIT_APPROVAL),
    "approve": Who(SUPERVISOR, needs=AWAIT_APPROVAL, four_eyes=True),
    "return": Who(SUPERVISOR),
    "head_decision": Who(SUPERVISOR, needs=AWAIT_HEAD),
    "cancel": Who(SUPERVISOR),
}

# Beyond a case: the roles that may, and the message key of a refusal.
OPEN_CASE = ("staff",)
SEARCH_RECORD = ("auditor", "admin", "supervisor")
VERIFY_RECORD = ("auditor", "admin", "supervisor")
LIST_USERS = ("admin", "auditor")
MANAGE_PEOPLE = ("admin",)
SEES_SYSTEM_EVENTS = ("auditor", "admin")    # sign-ins, user changes: events of no case


def require(user: User, roles: tuple[str, ...], key: str) -> None:
    if user.role not in roles:
        raise Forbidden(key, role=user.role)


def permit(case: Case, user: User, action: str) -> Step:
    """The current step, if `user` may take `action` on `case` now; else raise."""
    who, row = CASE_ACTIONS[action], case.row
    if user.role not in ACTING_ROLES:
        raise Forbidden("forbidden.read_only", role=user.role)
    if who.by == SUPERVISOR and user.role != "supervisor":
        raise Forbidden(f"forbidden.supervisor.{action}", role=user.role)
    if row.status != OPEN:
        raise NotAllowed("not_allowed.closed", status=row.status)
    step = case.definition.step(row.state)
    if who.by == STEP and user.role != step.role:
        raise Forbidden("forbidden.step_role", step=step.key, needed=step.role, role=user.role)
    if who.needs == AWAIT_APPROVAL and row.awaiting != AWAIT_APPROVAL:
        raise NotAllowed("not_allowed.no_approval_requested")
    if who.not_while == AWAIT_APPROVAL and row.awaiting == AWAIT_APPROVAL:
        raise NotAllowed("not_allowed.awaiting_approval")
    if who.needs == AWAIT_HEAD and row.awaiting != AWAIT_HEAD:
        raise NotAllowed("not_allowed.no_head_decision")
    return step


def check_four_eyes(case: Case, user: User, action: str) -> None:
    if CASE_ACTIONS[action].four_eyes and case.row.approval_requested_by == user.id:
        raise FourEyes("four_eyes")


def may(case: Case, user: User, action: str) -> bool:
    """Whether `user` passes every check of `action` on `case` now (four eyes included)."""
    try:
        permit(case, user, action)
        check_four_eyes(case, user, action)
    except (Forbidden, NotAllowed, FourEyes):
        return False
    return True

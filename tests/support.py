"""Small helpers shared by the engine tests."""
from __future__ import annotations

from sqlalchemy import func, select

from workflow.errors import WorkflowError
from workflow.store import events


def tally(summoned, candidates, *, present=None, members=None) -> dict:
    """A consistent tally: everyone summoned (or `present`) votes validly."""
    present = summoned if present is None else present
    t = {"summoned": summoned, "present": present, "issued": present, "collected": present, "valid": present,
         "invalid": 0, "candidates": candidates}
    if members is not None:
        t["members"] = members
    return t


def code_of(call) -> str | None:
    """None if the call went through, else the error code it raised."""
    try:
        call()
    except WorkflowError as e:
        return e.code
    return None


def n_events(wf) -> int:
    with wf.store.read() as c:
        return c.execute(select(func.count()).select_from(events)).scalar_one()

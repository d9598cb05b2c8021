"""The `transitions` state machine of a definition version: built once, reused for every case.

The machine holds the graph; a case's state lives in the database. To fire a trigger we hand the
machine a throw-away model holding the stored state (no add_model per request), and the guard
given by the caller (domain/actions.py) runs as the transition's condition: it raises a WorkflowError with
the precise reason (guard_failed, quorum_not_met…) instead of answering a bare False."""
from __future__ import annotations

import threading
from typing import Callable

from transitions import Machine, MachineError

from .definition import CANCELLED, COMPLETED, Definition
from .errors import NotAllowed

Guard = Callable[[str, str, str], None]   # (trigger, source, dest) -> None or raise


class _Model:
    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


def _condition(event) -> bool:
    guard = event.kwargs.get("guard")
    if guard is not None:
        guard(event.event.name, event.transition.source, event.transition.dest)
    return True


def return_trigger(dest: str) -> str:
    return f"return_to:{dest}"


def end_trigger(outcome: str) -> str:
    """A supervisor's decision after a failed gate: end the case with this outcome."""
    return f"end:{outcome}"


def branch_trigger(dest: str) -> str:
    """A supervisor's decision after a failed gate: go to the failed branch's step."""
    return f"branch_to:{dest}"


class CaseMachine:
    def __init__(self, definition: Definition):
        self.definition = definition
        states = [s.key for s in definition.steps] + [COMPLETED, CANCELLED]
        self.machine = Machine(model=None, states=states, initial=definition.first.key,
                               auto_transitions=False, send_event=True)
        for t in definition.transitions:
            if t.trigger == "return":
                self.machine.add_transition(return_trigger(t.dest), t.source, t.dest, conditions=[_condition])
            elif t.when == "failed":
                trigger = end_trigger(t.end) if t.end else branch_trigger(t.dest)
                self.machine.add_transition(trigger, t.source, t.dest or COMPLETED, conditions=[_condition])
            elif t.dest is not None:
                self.machine.add_transition("advance", t.source, t.dest, conditions=[_condition])
        self.machine.add_transition("advance", definition.steps[-1].key, COMPLETED, conditions=[_condition])
        self.machine.add_transition("cancel", [s.key for s in definition.steps], CANCELLED,
                                    conditions=[_condition])

    def fire(self, state: str, trigger: str, guard: Guard | None = None) -> str:
        """Fire `trigger` from `state`; return the new state. Raises NotAllowed when the trigger
        is not valid there, or whatever the guard raises."""
        event = self.machine.events.get(trigger)
        if event is None:
            raise NotAllowed("machine.unknown_trigger", trigger=trigger, state=state, label=self.definition.label)
        model = _Model(state)
        try:
            event.trigger(model, guard=guard)
        except MachineError:
            raise NotAllowed("machine.not_allowed", trigger=trigger, state=state) from None
        return model.state


_cache: dict[tuple[str, int, str], CaseMachine] = {}
_lock = threading.Lock()
builds = 0   # how many machines were built (a test pins: once per definition version)


def machine_for(definition: Definition) -> CaseMachine:
    global builds
    key = (definition.key, definition.version, definition.fingerprint)
    m = _cache.get(key)
    if m is None:
        with _lock:
            m = _cache.get(key)
            if m is None:
                m = _cache[key] = CaseMachine(definition)
                builds += 1
    return m


def forget() -> None:
    """Drop every machine built so far (a benchmark counts the builds from none)."""
    with _lock:
        _cache.clear()

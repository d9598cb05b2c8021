"""The state-machine part of one request, in microseconds: `machine_for(definition).fire(…)` with
the guard hook (the cached machine, as the service uses it), against building a `transitions`
Machine for the request and firing on it, and against a plain dict lookup (no library at all);
and `machine.builds` counting one build per definition version, however many requests.

    python -m bench.machine_cost [--quick]
"""
from __future__ import annotations

import time

from workflow.domain import machine as machine_module
from workflow.domain.definition import Definition
from workflow.domain.errors import GuardFailed
from workflow.domain.machine import CaseMachine, machine_for

from . import common

PROCEDURE = "committee-personnel"


def _guard_for(d: Definition):
    """What the service's guard does in shape: look the step up, check something on it."""
    def guard(trigger: str, source: str, dest: str) -> None:
        if trigger == "advance" and d.step(source).key != source:
            raise GuardFailed("guard.no_tally")
    return guard


def _per_call_us(fn, n: int, batches: int) -> tuple[float, float]:
    """Median and p95 over `batches` of the mean µs per call in a batch of n calls."""
    fn()
    per = []
    for _ in range(batches):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        per.append((time.perf_counter() - t0) / n * 1e6)
    return common.median(per), common.pct(per, 95)


def main(quick: bool = False, no_pg: bool = False) -> dict:
    reg = common.registry()
    d = reg.get(PROCEDURE)
    guard = _guard_for(d)
    state, dest = d.steps[2].key, d.steps[3].key
    table = {(t.source, "advance" if t.trigger == "advance" else f"return_to:{t.dest}"): t.dest
             for t in d.transitions}
    n, batches = (2000, 5) if quick else (10000, 15)
    n_build = n // 50

    def cached():
        assert machine_for(d).fire(state, "advance", guard=guard) == dest

    def built():
        assert CaseMachine(d).fire(state, "advance", guard=guard) == dest

    def plain():
        new = table[(state, "advance")]
        guard("advance", state, new)
        assert new == dest

    common.heading("State machine per request: cached machine vs a machine built per request")
    rows = {}
    for name, fn, k in (("machine_for(d).fire(…) + guard (what the service does)", cached, n),
                        ("CaseMachine(d).fire(…) + guard (a machine built per request)", built, n_build),
                        ("dict lookup + guard (no state-machine library)", plain, n)):
        rows[name] = _per_call_us(fn, k, batches)
    base = rows["machine_for(d).fire(…) + guard (what the service does)"][0]
    common.table(["per request", "µs (median of batches)", "p95 of batches", "× cached"],
                 [[name, f"{p50:.2f}", f"{p95:.2f}", f"{p50 / base:.2f}"] for name, (p50, p95) in rows.items()])

    # builds: a fresh cache, then many requests over every installed definition version
    machine_module.forget()
    before = machine_module.builds
    defs = reg.all()
    for _ in range(1000):
        for x in defs:
            machine_for(x)
    built_n = machine_module.builds - before
    print(f"\nmachine.builds after 1000 requests on each of the {len(defs)} installed definition versions: "
          f"{built_n} (one per definition version: {'yes' if built_n == len(defs) else 'NO'})")
    return {"cached_us": base, "built_us": rows["CaseMachine(d).fire(…) + guard (a machine built per request)"][0],
            "plain_us": rows["dict lookup + guard (no state-machine library)"][0], "builds": built_n,
            "definitions": len(defs)}


if __name__ == "__main__":
    a = common.arguments(__doc__.splitlines()[0])
    main(a.quick, a.no_pg)

"""verify() alone, the raw path against the Core path, alternating, on one generated database per
backend (bench.scale's data): each round times audit.verify (with and without its read-ahead thread, PostgreSQL only), audit.verify_core and bench.scale's
plain_pass (raw driver read + hashlib, the floor) in turn, so a busy minute touches all alike.

    python -m bench.verify_speed [--quick] [--no-pg] [--cases 10000] [--rounds 5]
"""
from __future__ import annotations

import random
import statistics
import time
from contextlib import ExitStack

from workflow import audit
from workflow.service import Workflow

from . import common
from .scale import World, grow, plain_pass


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(kind: str, cases: int, rounds: int) -> None:
    with ExitStack() as stack:
        url, sync = stack.enter_context(common.database(kind))
        store = common.new_store(url, sync)
        stack.callback(store.dispose)
        wf = Workflow(store, common.registry())
        grow(wf, World(wf), 0, cases, random.Random(2026))
        t = {"verify": [], "verify, no read-ahead": [], "verify_core": [], "raw read + hash": [], "hash alone": []}
        n = 0
        for _ in range(rounds):
            with store.read() as c:
                s, v = timed(lambda: audit.verify(c))
            t["verify"].append(s)
            audit.READ_AHEAD = False
            try:
                with store.read() as c:
                    s, v1 = timed(lambda: audit.verify(c))
            finally:
                audit.READ_AHEAD = True
            t["verify, no read-ahead"].append(s)
            with store.read() as c:
                s, v0 = timed(lambda: audit.verify_core(c))
            t["verify_core"].append(s)
            assert v == v0 == v1 and v.ok, (v, v0, v1)
            reading, hashing, n = plain_pass(store)
            t["raw read + hash"].append(reading + hashing)
            t["hash alone"].append(hashing)
        med = {k: statistics.median(x) for k, x in t.items()}
        print(f"\n{common.label(kind)}: {n:,} events, median of {rounds} rounds, load average {common.load_average()}")
        for k, s in med.items():
            print(f"  {k:21} {s:6.2f} s  {n / s:>9,.0f} events/s")
        for k in ("verify", "verify, no read-ahead", "verify_core"):
            print(f"  {k:21} / (raw read + hash) {med['raw read + hash'] / med[k]:.2f}   "
                  f"/ hash alone {med['hash alone'] / med[k]:.2f}")


def main() -> None:
    def extra(p):
        p.add_argument("--cases", type=int, default=None)
        p.add_argument("--rounds", type=int, default=5)
    a = common.arguments(__doc__.splitlines()[0], extra)
    cases = a.cases or (1_000 if a.quick else 10_000)
    run("sqlite-full", cases, a.rounds)
    if not a.no_pg and not common.pg_unavailable():
        run("postgresql", cases, a.rounds)


if __name__ == "__main__":
    main()

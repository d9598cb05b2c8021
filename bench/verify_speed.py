"""verify() alone, alternating, on one generated database per backend (bench.scale's data): each
round times audit.verify, the path it replaced on that backend (SQLite: batches of rows read
through sqlite3, CHECK_IN_SCAN off; PostgreSQL: no read-ahead thread), audit.verify_core and
bench.scale's plain_pass (raw driver read + hashlib, and hashlib alone over rows in memory) in
turn, so a busy minute touches all alike. Each figure also says how many cores it kept busy: this
process's CPU time over the wall time (hashlib alone is one loop on one core; PostgreSQL's server
works in its own process besides, not counted).

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
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def _verify(store, **switches):
    saved = {k: getattr(audit, k) for k in switches}
    for k, v in switches.items():
        setattr(audit, k, v)
    try:
        with store.read(snapshot=True) as c:
            return timed(lambda: audit.verify(c))
    finally:
        for k, v in saved.items():
            setattr(audit, k, v)


def run(kind: str, cases: int, rounds: int) -> None:
    with ExitStack() as stack:
        url, sync = stack.enter_context(common.database(kind))
        store = common.new_store(url, sync)
        stack.callback(store.dispose)
        wf = Workflow(store, common.registry())
        grow(wf, World(wf), 0, cases, random.Random(2026))
        before = ("verify, batches (before: no check in the scan)" if store.is_sqlite
                  else "verify, no read-ahead thread")
        t = {"verify": [], before: [], "verify_core": [], "raw read + hash": [], "hash alone": []}
        cpu: dict[str, list] = {k: [] for k in t if k != "hash alone"}
        hash_cpu: list[float] = []
        n = 0
        for _ in range(rounds):
            s, c, v = _verify(store)
            t["verify"].append(s), cpu["verify"].append(c)
            s, c, v1 = _verify(store, **({"CHECK_IN_SCAN": False} if store.is_sqlite else {"READ_AHEAD": False}))
            t[before].append(s), cpu[before].append(c)
            with store.read(snapshot=True) as conn:
                s, c, v0 = timed(lambda: audit.verify_core(conn))
            t["verify_core"].append(s), cpu["verify_core"].append(c)
            assert v == v0 == v1 and v.ok, (v, v0, v1)
            w0, c0, plain_cpu = time.perf_counter(), time.process_time(), {}
            reading, hashing, n = plain_pass(store, cpu=plain_cpu)
            t["raw read + hash"].append(reading + hashing)
            cpu["raw read + hash"].append(time.process_time() - c0)
            t["hash alone"].append(hashing)
            hash_cpu.append(plain_cpu["hashing"])
        med = {k: statistics.median(x) for k, x in t.items()}
        cores = {k: f"{sum(cpu[k]) / sum(t[k]):.2f}" for k in cpu if cpu[k]}
        cores["hash alone"] = "one loop"
        print(f"\n{common.label(kind)}: {n:,} events, median of {rounds} rounds, load average {common.load_average()}")
        print(f"  {'':48} {'wall':>8}  {'events/s':>9}   this process's CPU / wall (cores it kept busy)")
        for k, s in med.items():
            print(f"  {k:48} {s:6.2f} s  {n / s:>9,.0f}   {cores[k]}")
        for k in ("verify", before, "verify_core"):
            print(f"  {k:48} / (raw read + hash) {med['raw read + hash'] / med[k]:.2f}   "
                  f"/ hash alone {med['hash alone'] / med[k]:.2f}   in CPU time: "
                  f"{statistics.median(hash_cpu) / statistics.median(cpu[k]):.2f}"
                  + (" (client only)" if not store.is_sqlite else ""))
        if not store.is_sqlite:
            print("  (PostgreSQL: its server reads and sends the rows in its own process, on the other core.)")


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

"""The chain verifier alone, on one generated database per backend (bench.scale's data): each round
times verify() (workflow/adapters/eventlog.py: keyset batches on the driver's cursor, each event
hashed by domain/chain.py) and bench.scale's plain_pass (raw driver read + hashlib, and hashlib
alone over rows in memory) in turn, so a busy minute touches all alike. Each figure also says how
many cores it kept busy: this process's CPU time over the wall time (hashlib alone is one loop on
one core; PostgreSQL's server works in its own process besides, not counted).

    python -m bench.verify_speed [--quick] [--no-pg] [--cases 10000] [--rounds 5]
"""
from __future__ import annotations

import random
import statistics
import time
from contextlib import ExitStack

from workflow.usecases.engine import Workflow

from . import common
from .scale import World, grow, plain_pass


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def run(kind: str, cases: int, rounds: int) -> dict:
    with ExitStack() as stack:
        url, sync = stack.enter_context(common.database(kind))
        store = common.new_store(url, sync)
        stack.callback(store.dispose)
        wf = Workflow(store, common.registry())
        grow(wf, World(wf), 0, cases, random.Random(2026))
        t = {"verify": [], "raw read + hash": [], "hash alone": []}
        cpu: dict[str, list] = {"verify": [], "raw read + hash": []}
        hash_cpu: list[float] = []
        n = 0
        for _ in range(rounds):
            s, c, v = timed(wf.queries.verify)
            assert v.ok, v
            t["verify"].append(s), cpu["verify"].append(c)
            c0, plain_cpu = time.process_time(), {}
            reading, hashing, n = plain_pass(store, cpu=plain_cpu)
            t["raw read + hash"].append(reading + hashing)
            cpu["raw read + hash"].append(time.process_time() - c0)
            t["hash alone"].append(hashing)
            hash_cpu.append(plain_cpu["hashing"])
        med = {k: statistics.median(x) for k, x in t.items()}
        cores = {k: f"{sum(cpu[k]) / sum(t[k]):.2f}" for k in cpu if cpu[k]}
        cores["hash alone"] = "one loop"
        print(f"\n{common.label(kind)}: {n:,} events, median of {rounds} rounds, load average {common.load_average()}")
        print(f"  {'':24} {'wall':>8}  {'events/s':>9}   this process's CPU / wall (cores it kept busy)")
        for k, s in med.items():
            print(f"  {k:24} {s:6.2f} s  {n / s:>9,.0f}   {cores[k]}")
        cpu_ratio = statistics.median(hash_cpu) / statistics.median(cpu["verify"])
        print(f"  verify / (raw read + hash) {med['raw read + hash'] / med['verify']:.2f}   "
              f"/ hash alone {med['hash alone'] / med['verify']:.2f}   in CPU time: {cpu_ratio:.2f}"
              + (" (client only)" if not store.is_sqlite else ""))
        if not store.is_sqlite:
            print("  (PostgreSQL: its server reads and sends the rows in its own process, on the other core.)")
        return {"kind": kind, "events": n, **{k: med[k] for k in med}}


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

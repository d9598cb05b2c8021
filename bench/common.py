"""What every benchmark needs: throw-away databases (SQLite in a temp dir, PostgreSQL as a
`bench_…` database dropped afterwards), the people a case needs, timing, and how to print.

Benchmarks print figures; none of them asserts on time."""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import create_engine, text

from workflow.adapters.definitions import load_folder
from workflow.usecases.engine import Workflow
from workflow.adapters.db import Store, normalise_url

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = ROOT / "definitions"
# The server the PostgreSQL runs use; any database in it can be the admin one (we CREATE/DROP ours).
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"


def arguments(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a smaller run (seconds, not minutes)")
    p.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    if extra:
        extra(p)
    return p.parse_args()


def registry():
    reg = load_folder(DEFINITIONS)
    if reg.errors:
        raise SystemExit("definitions do not load: " + "; ".join(e.message for e in reg.errors))
    return reg


# ---- databases ---------------------------------------------------------------------------------

def pg_unavailable() -> str | None:
    try:
        eng = create_engine(normalise_url(PG_ADMIN_URL))
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
    except Exception as e:  # noqa: BLE001 - any failure means: skip PostgreSQL, and say why
        return f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({e.__class__.__name__})"
    return None


@contextmanager
def pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database `bench_…`; dropped on the way out whatever happens."""
    admin = create_engine(normalise_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield normalise_url(PG_ADMIN_URL).rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def sqlite_path() -> Iterator[Path]:
    d = tempfile.mkdtemp(prefix="cadreflow-bench-")
    try:
        yield Path(d) / "bench.db"
    finally:
        shutil.rmtree(d, ignore_errors=True)


@contextmanager
def database(kind: str) -> Iterator[tuple[str, str | None]]:
    """kind: 'sqlite-full' | 'sqlite-normal' | 'postgresql' -> (url, sqlite synchronous or None)."""
    if kind == "postgresql":
        with pg_database() as url:
            yield url, None
    else:
        with sqlite_path() as path:
            yield f"sqlite:///{path}", kind.split("-", 1)[1].upper()


def label(kind: str) -> str:
    return {"sqlite-full": "SQLite WAL, synchronous=FULL", "sqlite-normal": "SQLite WAL, synchronous=NORMAL",
            "postgresql": "PostgreSQL"}[kind]


def new_store(url: str, sync: str | None) -> Store:
    store = Store(url, synchronous=sync or "FULL")
    store.create_all()
    return store


# ---- people ------------------------------------------------------------------------------------

@dataclass
class People:
    unit: int
    staff: int
    supervisor: int
    supervisor2: int
    auditor: int


def people(wf: Workflow) -> People:
    unit = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam", "Huyện ủy Duy Xuyên"])
    mk = lambda name, role: wf.people.create_user(None, name, PASSWORD, role, unit).id  # noqa: E731
    return People(unit, mk("staff", "staff"), mk("lead", "supervisor"), mk("lead2", "supervisor"),
                  mk("audit", "auditor"))


# ---- timing and printing -----------------------------------------------------------------------

def rate(fn: Callable[[int], None], *, seconds: float, min_ops: int = 20) -> tuple[float, int]:
    """Call fn(i) for i = 0, 1, … for about `seconds` (at least min_ops calls); (ops/s, ops)."""
    n, t0 = 0, time.perf_counter()
    while True:
        fn(n)
        n += 1
        if n >= min_ops and time.perf_counter() - t0 >= seconds:
            break
    return n / (time.perf_counter() - t0), n


@dataclass
class Side:
    ops: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    block_rates: list = None

    @property
    def rate(self) -> float:
        return self.ops / self.wall if self.wall else float("nan")

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.ops * 1e6 if self.ops else float("nan")


def alternate(sides: dict[str, Callable[[int], None]], *, seconds: float, block: float = 0.25) -> dict[str, Side]:
    """Run each side in turn in short blocks (about `block` s) for about `seconds` in all per side, so
    that a load which comes and goes on a shared machine weighs on every side alike. Per side:
    operations, wall time, this process's CPU time."""
    out = {name: Side(block_rates=[]) for name in sides}
    counters = {name: 0 for name in sides}
    while min(s.wall for s in out.values()) < seconds:
        for name, fn in sides.items():
            s, n = out[name], 0
            t0, c0 = time.perf_counter(), time.process_time()
            while True:
                fn(counters[name])
                counters[name] += 1
                n += 1
                if time.perf_counter() - t0 >= block:
                    break
            wall = time.perf_counter() - t0
            s.ops, s.wall, s.cpu = s.ops + n, s.wall + wall, s.cpu + time.process_time() - c0
            s.block_rates.append(n / wall)
    return out


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def timings(fn: Callable[[], object], *, repeat: int) -> list[float]:
    """Seconds per call, `repeat` calls (one warm-up call first, not counted)."""
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def table(headers: list[str], rows: list[list], out=None) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    text_ = "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                      + [line(r) for r in cells[1:]])
    print(f"\n{text_}\n", file=out or sys.stdout, flush=True)     # blank lines: Markdown tables stand alone
    return text_


def heading(title: str) -> None:
    print(f"\n## {title}\n", flush=True)


def machine() -> dict:
    """What the figures were measured on."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        mem = subprocess.run(["free", "-h"], capture_output=True, text=True, timeout=5).stdout.splitlines()[1]
        mem = " ".join(mem.split()[:2])
    except (OSError, IndexError, subprocess.SubprocessError):
        pass
    pg = "not reachable"
    if not pg_unavailable():
        eng = create_engine(normalise_url(PG_ADMIN_URL))
        with eng.connect() as c:
            pg = c.execute(text("show server_version")).scalar_one()
        eng.dispose()
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "postgresql": pg, "platform": platform.platform()}

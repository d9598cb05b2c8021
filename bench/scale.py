"""Scale of data at the service level: N cases with history (~20 chained events and 4 records
each), for N = 1k, 10k, 100k, on SQLite and PostgreSQL. The data is made in bulk (big transactions
through SQLAlchemy's connection, rows handed to the driver's executemany / COPY) with a valid hash
chain built by `workflow.domain.chain.event_hash`, not through the use cases; one database per N, made from the
same seed (each holds the first N cases of the largest): cases opened at a steady 50 a day, so a
day's worth of events is the same size at every N.

Timed, p50/p95 over repeated calls, each call alternating between the sizes (a slower minute of a
shared machine touches every size alike), mostly as a province-level auditor (who sees every case):
list_cases filtered by procedure + status (page 1, page 4 and the last page), with a common and a
rare text filter (and the rare one past its last page: the search without a page to show), a
district supervisor's open cases, the home page's work queue of a district's staff and supervisor,
get_case (a case page with its history), search_events by user and by one day, and a full verify(); then
verification speed against reading the same rows with the raw driver and hashing them with plain
hashlib in a loop, and against hashing them alone (rows already in memory, one loop on one core),
with the CPU time verify's process spent over its wall time (how many cores it kept busy).

    python -m bench.scale [--quick] [--no-pg] [--sizes 1000,10000]
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from contextlib import ExitStack

from sqlalchemy import JSON, event, func, select, update

from workflow.domain import credentials
from workflow.domain.calendar import day_start
from workflow.domain.chain import canonical, event_hash
from workflow.domain.search import accented, fold, search_text
from workflow.usecases.engine import Workflow
from workflow.adapters.tables import cases, chain_head, events, records

from . import common

PER_DAY = 50                      # cases opened per day
EVENTS_PER_CASE = 20
RECORDS_PER_CASE = 4
EVENT_GAP = dt.timedelta(hours=12)
T0 = dt.datetime(2020, 1, 1, 1, 0, tzinfo=dt.timezone.utc)
DISTRICTS = 10
GROWTH_TARGET = 1.5               # each query at 100k within 1.5× of 1k
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Ngọc"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc", "Quang",
         "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vân", "Yến"]
VERBS = {"committee-personnel": "Kiện toàn cấp ủy", "appointment-internal": "Bổ nhiệm",
         "appointment-external": "Bổ nhiệm từ nguồn ngoài", "reappointment": "Bổ nhiệm lại",
         "confidence-vote": "Lấy phiếu tín nhiệm", "dismissal-resignation": "Cho thôi chức vụ",
         "party-admission": "Kết nạp đảng viên"}


class World:
    """The units and users the generated history belongs to, made through the service."""

    def __init__(self, wf: Workflow):
        n = credentials.SCRYPT_N
        credentials.SCRYPT_N = 2 ** 8              # cheap scrypt for ~30 throw-away accounts; real hashes still
        try:
            self.province = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam"])
            self.districts = [wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam", f"Huyện ủy số {i + 1}"])
                              for i in range(DISTRICTS)]
            mk = lambda name, role, unit: wf.people.create_user(None, name, common.PASSWORD, role, unit)  # noqa: E731
            self.staff = {u: [mk(f"staff_{i}_{k}", "staff", u) for k in range(2)] for i, u in enumerate(self.districts)}
            self.leads = {u: mk(f"lead_{i}", "supervisor", u) for i, u in enumerate(self.districts)}
            self.auditor = mk("audit_province", "auditor", self.province)
        finally:
            credentials.SCRYPT_N = n


NAMES = [f"{a} {b} {c}" for a in SURNAMES for b in MIDDLE for c in GIVEN]


def _name(rng: random.Random) -> str:
    return NAMES[rng.randrange(len(NAMES))]


class _Texts:
    """Canonical payload texts, made once per distinct payload: json.dumps per row would cost more
    than the hashing."""

    def __init__(self):
        self.memo: dict[tuple, str] = {}

    def get(self, *key) -> str:
        t = self.memo.get(key)
        if t is None:
            kind, step, to, j = key
            payload = ({"step": step, "to": to} if kind == "advanced" else
                       {"step": step} if kind == "completed" else
                       {"step": step, "reason": "Thôi"} if kind == "cancelled" else
                       {"step": step, "fields": {"note": f"ghi nhận {j}", "by": NAMES[j * 37 % len(NAMES)]}})
            t = self.memo[key] = canonical(payload)
        return t


def _sqlite_value(v):
    """A value as SQLAlchemy's SQLite types store it (DateTime/Date as text, JSON as text)."""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        return json.dumps(v)
    return v


def _bulk(c, table, rows: list[dict]) -> None:
    """Insert many rows in the caller's SQLAlchemy transaction, with the driver's fastest path:
    executemany on SQLite, COPY on PostgreSQL (Core's executemany costs ~15 µs a row on SQLite and
    ~50 µs on PostgreSQL, which would take the 100k step past the 5-minute budget)."""
    cols = list(rows[0])
    cur = c.connection.driver_connection.cursor()
    try:
        if c.dialect.name == "sqlite":
            cur.executemany(f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                            [tuple(_sqlite_value(r[k]) for k in cols) for r in rows])
            return
        json_cols = {i for i, k in enumerate(cols) if isinstance(table.c[k].type, JSON)}
        with cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([json.dumps(r[k], ensure_ascii=False) if i in json_cols else r[k]
                                for i, k in enumerate(cols)])
    finally:
        cur.close()


def grow(wf: Workflow, world: World, start: int, stop: int, rng: random.Random, batch: int = 5000) -> None:
    """Add cases number start..stop-1 (ids start+1…), their records and events, chaining on."""
    defs = wf.registry.all()
    store = wf.store
    texts = _Texts()
    for lo in range(start, stop, batch):
        hi = min(stop, lo + batch)
        case_rows, record_rows, event_rows = [], [], []
        with store.core() as c:
            head = c.execute(select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)
                             .with_for_update()).one()
            seq, prev = head.seq, head.hash
            for i in range(lo, hi):
                cid = i + 1
                d = defs[i % len(defs)]
                unit = world.districts[rng.randrange(DISTRICTS)]
                staff = world.staff[unit][rng.randrange(2)]
                lead = world.leads[unit]
                opened = T0 + dt.timedelta(seconds=i * 86400 / PER_DAY)
                r = rng.random()
                status = "open" if r < 0.6 else "completed" if r < 0.93 else "cancelled"
                steps = [s.key for s in d.steps]
                reached = rng.randrange(len(steps)) if status != "completed" else len(steps) - 1
                state = steps[reached] if status == "open" else status
                title = f"{VERBS[d.key]} đồng chí {_name(rng)}"
                at = opened
                path = [steps[min(k * len(steps) // EVENTS_PER_CASE, reached)] for k in range(EVENTS_PER_CASE)]
                for k in range(EVENTS_PER_CASE):
                    who = staff if k % 5 != 4 else lead
                    if k == 0:
                        kind, frm, to = "case_opened", None, path[0]
                        body = canonical({"title": title, "procedure": d.key, "version": d.version, "unit_id": unit})
                    elif k == EVENTS_PER_CASE - 1 and status != "open":
                        kind, frm, to = ("completed" if status == "completed" else "cancelled"), path[k], status
                        body = texts.get(kind, path[k], None, 0)
                    elif path[k] != path[k - 1]:
                        kind, frm, to = "advanced", path[k - 1], path[k]
                        body = texts.get(kind, path[k - 1], path[k], 0)
                    else:
                        kind, frm, to = "form_recorded", path[k], path[k]
                        body = texts.get(kind, path[k], None, (i + k) % 50)
                    seq += 1
                    h = event_hash(seq, prev, cid, at, who.id, who.username, who.role, who.unit_id, kind, frm, to, body)
                    event_rows.append({"seq": seq, "case_id": cid, "at": at, "actor_id": who.id, "actor": who.username,
                                       "role": who.role, "unit_id": who.unit_id, "kind": kind, "from_state": frm,
                                       "to_state": to, "payload": body, "prev_hash": prev, "hash": h})
                    prev = h
                    at = at + EVENT_GAP
                updated = at - EVENT_GAP
                case_rows.append({"id": cid, "definition_key": d.key, "definition_version": d.version, "title": title,
                                  "unit_id": unit, "state": state, "status": status, "version": EVENTS_PER_CASE,
                                  "step_started_at": updated, "step_due": None, "awaiting": None,
                                  "approval_requested_by": None, "opened_by": staff.id, "opened_at": opened,
                                  "updated_at": updated, "search": search_text(title),
                                  "search_fold": fold(search_text(title))})
                for k in range(RECORDS_PER_CASE):
                    record_rows.append({"case_id": cid, "step_key": steps[min(k, reached)], "kind": "form",
                                        "payload": {"note": f"hồ sơ {k}", "by": NAMES[(i + k) % len(NAMES)]},
                                        "actor_id": staff.id, "created_at": opened + k * EVENT_GAP,
                                        "superseded": False})
            _bulk(c, cases, case_rows)
            _bulk(c, records, record_rows)
            _bulk(c, events, event_rows)
            c.execute(update(chain_head).where(chain_head.c.id == 1).values(seq=seq, hash=prev))
    if not store.is_sqlite:
        # new rows: fresh planner statistics and the visibility map (index-only scans), as autovacuum
        # does on its own after inserts (autovacuum_vacuum_insert_threshold, PostgreSQL 13+)
        with store.engine.connect() as c:
            c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    else:
        with store.core() as c:
            c.exec_driver_sql("ANALYZE")


def plain_pass(store, batch: int = 50_000, cpu: dict | None = None) -> tuple[float, float, int]:
    """Read every event's hashed fields with the raw driver (keyset batches, no SQLAlchemy) and
    sha256 each row's fields with hashlib in a loop: the floor for a verifier that reads the rows
    through the driver. Returns
    (seconds reading, seconds hashing, rows); `cpu`, if given, gets "hashing": the CPU seconds of
    the hashing loop (this thread's)."""
    mark = "?" if store.is_sqlite else "%s"
    sql = ("SELECT seq, prev_hash, case_id, at, actor_id, actor, role, unit_id, kind, from_state, to_state, "
           f"payload, hash FROM events WHERE seq > {mark} ORDER BY seq LIMIT {batch}")
    raw = store.engine.raw_connection()
    reading = hashing = hashing_cpu = 0.0
    n, last, compared = 0, 0, 0
    try:
        cur = raw.cursor()
        while True:
            t0 = time.perf_counter()
            cur.execute(sql, (last,))
            rows = cur.fetchall()
            t1, c1 = time.perf_counter(), time.thread_time()
            if not rows:
                break
            for r in rows:
                h = hashlib.sha256(f"{r[0]}\n{r[1]}\n{r[2]}\n{r[3]}\n{r[4]}\n{r[5]}\n{r[6]}\n{r[7]}\n{r[8]}\n{r[9]}\n"
                                   f"{r[10]}\n{r[11]}".encode("utf-8")).hexdigest()
                compared += h == r[12]      # compared as verify does (the driver's text differs: no match)
            reading, hashing = reading + t1 - t0, hashing + time.perf_counter() - t1
            hashing_cpu += time.thread_time() - c1
            n, last = n + len(rows), rows[-1][0]
        cur.close()
        raw.rollback()
    finally:
        raw.close()
    if cpu is not None:
        cpu["hashing"] = hashing_cpu
    return reading, hashing, n


RARE_NAME = "Nguyễn Văn An"


def exact_counts(store, username: str, day: dt.date) -> dict:
    """The true sizes behind the queries (the pager itself counts at most 1,000 past a page)."""
    lo = day_start(day)
    with store.core() as c:
        one = lambda q: c.execute(q).scalar_one()  # noqa: E731
        return {"matching_open_cp": one(select(func.count()).select_from(cases).where(
                    cases.c.definition_key == "committee-personnel", cases.c.status == "open")),
                # (both written with diacritics: those must match, as the text filter says)
                "text_matches": one(select(func.count()).select_from(cases).where(
                    cases.c.search.contains(accented("Nguyễn"), autoescape=True))),
                "rare_matches": one(select(func.count()).select_from(cases).where(
                    cases.c.search.contains(accented(RARE_NAME), autoescape=True))),
                "user_events": one(select(func.count()).select_from(events).where(events.c.actor == username)),
                "day_events": one(select(func.count()).select_from(events).where(
                    events.c.at >= lo, events.c.at < lo + dt.timedelta(days=1)))}


class _CountClock:
    """Time spent inside `SELECT count(*)` statements, to say how much of a query is the count."""

    def __init__(self, engine):
        self.engine, self.spent, self._t = engine, 0.0, None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, many):
        self._t = time.perf_counter() if statement.startswith("SELECT count(") else None

    def _after(self, conn, cursor, statement, params, context, many):
        if self._t is not None:
            self.spent += time.perf_counter() - self._t

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def queries(wf: Workflow, world: World, n: int) -> tuple[dict, dict]:
    """The timed calls on a database of n cases, and the true sizes behind them."""
    aud = world.auditor.id
    district_lead = world.leads[world.districts[3]].id
    district_staff = world.staff[world.districts[3]][1].id
    someone = world.staff[world.districts[3]][1].username
    day = (T0 + dt.timedelta(seconds=(n // 2) * 86400 / PER_DAY)).date()
    facts = exact_counts(wf.store, someone, day)
    last_page = facts["last_page"] = -(-facts["matching_open_cp"] // 25)
    mid_case = n // 2 + 1
    return {
        "list_cases procedure+status, page 1":
            lambda: wf.queries.list_cases(aud, procedure="committee-personnel", status="open"),
        "list_cases procedure+status, page 4":
            lambda: wf.queries.list_cases(aud, procedure="committee-personnel", status="open", page=4),
        "list_cases procedure+status, last page":
            lambda: wf.queries.list_cases(aud, procedure="committee-personnel", status="open", page=last_page),
        "list_cases text filter 'Nguyễn' (8% of titles)":
            lambda: wf.queries.list_cases(aud, text="Nguyễn"),
        f"list_cases text filter '{RARE_NAME}' (a person)":
            lambda: wf.queries.list_cases(aud, text=RARE_NAME),
        # the search alone: no page to read and show at either size (at 1k the name matches nothing,
        # so the line above compares 25 cases read and shown against none)
        f"list_cases text filter '{RARE_NAME}', past its last page":
            lambda: wf.queries.list_cases(aud, text=RARE_NAME, page=10),
        "list_cases open, district supervisor":
            lambda: wf.queries.list_cases(district_lead, status="open"),
        "work_queue (home page), district staff":
            lambda: wf.queries.work_queue(district_staff),
        "work_queue (home page), district supervisor":
            lambda: wf.queries.work_queue(district_lead),
        "get_case (case page with history)":
            lambda: wf.queries.get_case(aud, mid_case),
        "search_events by user":
            lambda: wf.queries.search_events(aud, username=someone),
        "search_events one day":
            lambda: wf.queries.search_events(aud, date_from=day, date_to=day),
    }, facts


def time_interleaved(sides: list[tuple[int, Workflow, World]], repeat: int) -> dict[int, dict]:
    """Each query on every size in turn, `repeat` rounds: a slower minute of a shared machine then
    touches every size alike, so the growth ratios hold even when the absolute times drift."""
    calls = {n: queries(wf, world, n) for n, wf, world in sides}
    out = {n: {"n": n, "queries": {}, "count_share": {}, "facts": calls[n][1]} for n, _, _ in sides}
    clocks = {n: _CountClock(wf.store.engine) for n, wf, _ in sides}
    try:
        for name in calls[sides[0][0]][0]:
            times: dict[int, list[float]] = {n: [] for n, _, _ in sides}
            for n, _, _ in sides:
                calls[n][0][name]()                      # warm-up
                clocks[n].spent = 0.0
            for _ in range(repeat):
                for n, _, _ in sides:
                    fn = calls[n][0][name]
                    t0 = time.perf_counter()
                    fn()
                    times[n].append(time.perf_counter() - t0)
            for n, t in times.items():
                out[n]["queries"][name] = (common.pct(t, 50), common.pct(t, 95))
                out[n]["count_share"][name] = clocks[n].spent / sum(t)
    finally:
        for c in clocks.values():
            c.close()
    return out


def verification(wf: Workflow, world: World, repeat: int) -> dict:
    vt, cpu = [], 0.0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        v = wf.queries.verify(world.auditor.id)
        vt.append(time.perf_counter() - t0)
        cpu += time.process_time() - c0
    if not v.ok:
        raise RuntimeError(f"the generated chain does not verify: {v.problem}")
    plain_cpu: dict = {}
    reading, hashing, rows = plain_pass(wf.store, cpu=plain_cpu)
    return {"events": v.events, "p50": common.pct(vt, 50), "p95": common.pct(vt, 95),
            "cores": cpu / sum(vt), "cpu": cpu / len(vt), "raw_read_and_hash": reading + hashing,
            "hash_only": hashing, "hash_only_cpu": plain_cpu["hashing"], "plain_rows": rows}


def run_backend(kind: str, sizes: list[int], repeat: int) -> list[dict]:
    """One database per size (the same seed, so each is the first n cases of the largest), all open
    at once so the queries can alternate between them."""
    with ExitStack() as stack:
        sides, made = [], {}
        for n in sizes:
            url, sync = stack.enter_context(common.database(kind))
            store = common.new_store(url, sync)
            stack.callback(store.dispose)
            wf = Workflow(store, common.registry())
            world = World(wf)
            t0 = time.perf_counter()
            grow(wf, world, 0, n, random.Random(2026))
            made[n] = time.perf_counter() - t0
            print(f"  {common.label(kind)}: {n} cases, {n * EVENTS_PER_CASE} events made in {made[n]:.1f} s", flush=True)
            sides.append((n, wf, world))
        results = time_interleaved(sides, repeat)
        for n, wf, world in sides:
            results[n]["verify"] = verification(wf, world, 3 if n <= 1_000 else 1)
            results[n]["kind"], results[n]["made_s"] = kind, made[n]
        return [results[n] for n in sizes]


def report(results: list[dict]) -> None:
    by_kind: dict[str, list[dict]] = {}
    for r in results:
        by_kind.setdefault(r["kind"], []).append(r)
    for kind, rs in by_kind.items():
        print(f"\n### {common.label(kind)}\n")
        names = list(rs[0]["queries"])
        headers = ["query"] + [f"N={r['n']:,}: p50 / p95" for r in rs] + [f"count(*) share at N={rs[-1]['n']:,}"] + \
                  ([f"{rs[-1]['n'] // rs[0]['n']}× data: p50 growth", "target ≤ 1.5×"] if len(rs) > 1 else [])
        rows = []
        for q in names:
            row = [q] + [f"{common.ms(r['queries'][q][0])} / {common.ms(r['queries'][q][1])}" for r in rs] + \
                  [f"{rs[-1]['count_share'][q]:.0%}"]
            if len(rs) > 1:
                g = rs[-1]["queries"][q][0] / rs[0]["queries"][q][0]
                row += [f"{g:.2f}×", "met" if g <= GROWTH_TARGET else "NOT met"]
            rows.append(row)
        common.table(headers, rows)
        print()
        common.table(["N", "matching (procedure+open)", "last page", "text matches", f"'{RARE_NAME}' matches",
                      "user's events",
                      "events on the day", "data made in"],
                     [[f"{r['n']:,}", r["facts"]["matching_open_cp"], r["facts"]["last_page"],
                       r["facts"]["text_matches"], r["facts"]["rare_matches"], r["facts"]["user_events"], r["facts"]["day_events"],
                       f"{r['made_s']:.1f} s"] for r in rs])
        print()
        common.table(["N", "events", "verify() p50", "verify: this process's CPU / wall", "verify events/s",
                      "raw read + hashlib events/s",
                      "verify / (raw read + hash)", "hashlib alone events/s", "verify / hashlib alone",
                      "target ≥ 0.5 of hashlib alone", "the same in CPU time (PostgreSQL: its client's only)",
                      "reading's bound: hashlib alone / (raw read + hash)"],
                     [[f"{r['n']:,}", f"{r['verify']['events']:,}", f"{r['verify']['p50']:.2f} s",
                       f"{r['verify']['cores']:.2f}",
                       f"{r['verify']['events'] / r['verify']['p50']:,.0f}",
                       f"{r['verify']['events'] / r['verify']['raw_read_and_hash']:,.0f}",
                       f"{r['verify']['raw_read_and_hash'] / r['verify']['p50']:.2f}",
                       f"{r['verify']['events'] / r['verify']['hash_only']:,.0f}",
                       f"{r['verify']['hash_only'] / r['verify']['p50']:.2f}",
                       "met" if r['verify']['hash_only'] / r['verify']['p50'] >= 0.5 else "NOT met",
                       f"{r['verify']['hash_only_cpu'] / r['verify']['cpu']:.2f}",
                       f"{r['verify']['hash_only'] / r['verify']['raw_read_and_hash']:.2f}"] for r in rs])
        print("\n(hashlib alone: one loop on one core over rows already in memory. The reading's bound holds for a "
              "verifier that reads every row's 13 columns through the driver and hashes them in one thread, as verify "
              "does. CPU / wall is this process's; on PostgreSQL its server reads and sends the rows in its own "
              "process besides. verify and hashlib alone are timed one after the other: on a shared machine whose "
              "load changes between them the CPU-time ratio is the steadier one.)")
        big = [r for r in rs if r["n"] >= 10_000]
        if len(big) >= 2:
            a, b = big[0], big[-1]
            print(f"\nverify() {a['n']:,} → {b['n']:,} cases ({b['n'] // a['n']}× the events): "
                  f"{a['verify']['p50']:.2f} s → {b['verify']['p50']:.2f} s, "
                  f"{b['verify']['p50'] / a['verify']['p50']:.1f}× the time.")


def main(quick: bool = False, no_pg: bool = False, sizes: list[int] | None = None) -> list[dict]:
    sizes = sizes or ([1_000, 10_000] if quick else [1_000, 10_000, 100_000])
    repeat = 10 if quick else 20
    kinds = ["sqlite-full"]
    skip = None if no_pg else common.pg_unavailable()
    if not no_pg and not skip:
        kinds.append("postgresql")
    common.heading("Scale of data: queries and verification at N = " + ", ".join(f"{n:,}" for n in sizes))
    print(f"{EVENTS_PER_CASE} events and {RECORDS_PER_CASE} records per case, {PER_DAY} cases opened a day, "
          f"{DISTRICTS} districts; p50/p95 over {repeat} calls; load average before: {common.load_average()}.",
          flush=True)
    if skip:
        print(f"PostgreSQL skipped: {skip}")
    results = []
    for k in kinds:
        results += run_backend(k, sizes, repeat)
    report(results)
    return results


if __name__ == "__main__":
    def extra(p):
        p.add_argument("--sizes", help="comma-separated case counts, e.g. 1000,10000")
    a = common.arguments(__doc__.splitlines()[0], extra)
    main(a.quick, a.no_pg, [int(x) for x in a.sizes.split(",")] if a.sizes else None)

"""Reliability under real concurrency: gunicorn with several worker processes on 127.0.0.1,
many clients at once, then a SIGKILL in the middle of the load. Bounded in count and time.
Figures go to artifacts/load-figures.json (and stdout with -s)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from workflow.adapters.tables import cases, events

pytestmark = pytest.mark.load
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
WORKERS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url: str, tmp: Path):
        self.url, self.tmp, self.port, self.proc = url, tmp, _free_port(), None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self) -> "Server":
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": "load-test-secret", "CADREFLOW_ENV": "production",
               "CADREFLOW_INSTANCE": str(self.tmp / "instance")}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = open(self.tmp / f"gunicorn-{self.port}.log", "ab")
        self.proc = subprocess.Popen([str(gunicorn), "-w", str(WORKERS), "-b", f"127.0.0.1:{self.port}",
                                      "--timeout", "60", "wsgi:app"], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/openapi.json", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {(self.tmp / f'gunicorn-{self.port}.log').read_text()[-2000:]}")
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not come up in 60 s")

    def kill(self) -> None:
        """SIGKILL the master and every worker: no shutdown handlers run."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def server(store, tmp_path, wf):
    s = Server(store.url, tmp_path)
    yield s
    s.stop()


def _record_figures(name: str, figures: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "load-figures.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = figures
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    print(f"\n{name}: {json.dumps(figures)}")


def _open_cases(wf, staff: int, n: int) -> list[int]:
    out = []
    for i in range(n):
        cid = wf.cases.open_case(staff, "committee-personnel", f"Tải thử {i}").case["id"]
        out.append(cid)
    return out


def _counts(wf) -> tuple[int, dict[int, int], dict[int, int]]:
    with wf.store.core() as c:
        total = c.execute(select(func.count()).select_from(events)).scalar_one()
        per_case = dict(c.execute(select(events.c.case_id, func.count()).where(events.c.case_id.is_not(None))
                                  .group_by(events.c.case_id)).all())
        versions = dict(c.execute(select(cases.c.id, cases.c.version)).all())
    return total, per_case, versions


def test_racing_clients_on_several_workers_each_race_has_exactly_one_winner(server, wf, people, request):
    db = request.node.callspec.params["store"]
    token = wf.people.create_token(people.staff, "load")[1]
    case_ids = _open_cases(wf, people.staff, 12)
    server.start()
    rounds, racers = 5, 6
    version = {c: 1 for c in case_ids}
    events_before, _, _ = _counts(wf)
    wins = conflicts = other = 0
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def fire(cid: int, r: int, k: int, v: int):
        resp = session.post(f"{server.base}/cases/{cid}/record", timeout=60,
                            json={"expected_version": v, "fields": {"criteria": f"vòng {r} người {k}"},
                                  "reason": "sửa"})
        return cid, resp.status_code, resp.json()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=24) as pool:
        for r in range(rounds):
            results = list(pool.map(lambda a: fire(*a), [(c, r, k, version[c]) for c in case_ids for k in range(racers)]))
            for cid in case_ids:
                mine = [(s, b) for c, s, b in results if c == cid]
                ok = [b for s, b in mine if s == 200]
                lost = [b for s, b in mine if s == 409 and b["error"] == "version_conflict"]
                assert len(ok) == 1, f"round {r}, case {cid}: {len(ok)} winners: {mine}"
                assert len(lost) == racers - 1, mine
                wins, conflicts = wins + 1, conflicts + len(lost)
                version[cid] = ok[0]["case"]["version"]
            other += sum(1 for _, s, _ in results if s not in (200, 409))
    elapsed = time.monotonic() - started
    total, per_case, versions = _counts(wf)
    assert other == 0
    assert total - events_before == wins, "events in the record must equal the successful actions"
    assert all(per_case[c] == versions[c] for c in case_ids), "each case: one event per version"
    v = wf.queries.verify()
    assert v.ok, v.problem
    _record_figures(f"races[{db}]", {"workers": WORKERS, "requests": rounds * racers * len(case_ids),
                                     "races": rounds * len(case_ids), "winners": wins, "conflicts": conflicts,
                                     "new_events": total - events_before, "chain_ok": v.ok,
                                     "seconds": round(elapsed, 2)})


def test_sigkill_mid_load_leaves_no_half_changed_case_and_retries_do_not_duplicate(server, wf, people, request):
    db = request.node.callspec.params["store"]
    token = wf.people.create_token(people.staff, "crash")[1]
    case_ids = _open_cases(wf, people.staff, 8)
    server.start()
    stop = threading.Event()
    acked: dict[int, list[str]] = {c: [] for c in case_ids}
    inflight: dict[int, tuple[str, dict] | None] = {c: None for c in case_ids}
    sent = [0]

    def client(cid: int):
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        v, n = 1, 0
        while not stop.is_set() and n < 400:
            key = f"crash-{cid}-{n}"
            body = {"expected_version": v, "fields": {"criteria": f"lần {n}"}, "reason": "sửa"}
            inflight[cid] = (key, body)
            try:
                resp = s.post(f"{server.base}/cases/{cid}/record", json=body, headers={"Idempotency-Key": key},
                              timeout=10)
            except requests.RequestException:
                return                      # the server died with this request in flight
            sent[0] += 1
            assert resp.status_code == 200, resp.text
            v = resp.json()["case"]["version"]
            acked[cid].append(key)
            inflight[cid] = None
            n += 1

    threads = [threading.Thread(target=client, args=(c,)) for c in case_ids]
    for t in threads:
        t.start()
    time.sleep(1.5)                         # let the load build up, then pull the plug
    server.kill()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    acked_before = sum(len(v) for v in acked.values())

    # After the crash, before any retry: every case is whole.
    total, per_case, versions = _counts(wf)
    assert all(per_case[c] == versions[c] for c in case_ids), "a case was half-changed"
    assert wf.queries.verify().ok

    server.start()
    replayed = applied = 0
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    for cid in case_ids:
        if inflight[cid] is None:
            continue
        key, body = inflight[cid]
        for _ in range(2):                  # retry twice: the second is always a replay
            resp = s.post(f"{server.base}/cases/{cid}/record", json=body, headers={"Idempotency-Key": key}, timeout=30)
            assert resp.status_code == 200, resp.text
            if resp.json()["replayed"]:
                replayed += 1
            else:
                applied += 1
    total2, per_case2, versions2 = _counts(wf)
    assert all(per_case2[c] == versions2[c] for c in case_ids)
    # exactly one event per distinct acknowledged-or-retried request, never two
    expected = {c: 1 + len(acked[c]) + (1 if inflight[c] else 0) for c in case_ids}
    assert {c: per_case2[c] for c in case_ids} == expected
    v = wf.queries.verify()
    assert v.ok, v.problem
    _record_figures(f"crash[{db}]", {"workers": WORKERS, "requests_answered_before_kill": sent[0],
                                     "acknowledged": acked_before, "per_client": [len(v) for v in acked.values()],
                                     "in_flight_at_kill": sum(1 for x in inflight.values() if x),
                                     "retries_replayed": replayed, "retries_applied": applied,
                                     "events_after": total2, "chain_ok": v.ok})

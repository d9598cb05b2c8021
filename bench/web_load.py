"""Web under load: gunicorn with 2 workers on 127.0.0.1, bounded wrk runs (a threaded Python client
when wrk is not installed: `apt-get install wrk`). Prints requests per second and p50/p95 latency for
the case page (HTML), the case API read, and an approve action; and memory per worker before and
after. Figures only, never pass/fail.

    python -m bench.web_load [--quick] [--pg URL]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workflow.adapters.definitions import load_folder  # noqa: E402
from workflow.usecases.engine import Workflow  # noqa: E402
from workflow.adapters.db import Store  # noqa: E402

PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, n_cases: int, n_approvals: int) -> dict:
    """Cases for reading, and cases waiting for approval (confidence-vote: list → poll → report)."""
    store = Store(url, synchronous="NORMAL")
    store.create_all()
    wf = Workflow(store, load_folder(ROOT / "definitions"))
    unit = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam", "Huyện ủy Duy Xuyên"])
    staff = wf.people.create_user(None, "staff", PASSWORD, "staff", unit).id
    lead = wf.people.create_user(None, "lead", PASSWORD, "supervisor", unit).id
    tally = {"summoned": 20, "present": 18, "issued": 18, "collected": 18, "valid": 18, "invalid": 0,
             "candidates": {"Nguyễn Văn A": {"high": 10, "confidence": 6, "low": 2}}}
    read_ids, approve = [], []
    for i in range(n_cases + n_approvals):
        cid = wf.cases.open_case(staff, "confidence-vote", f"Lấy phiếu tín nhiệm {i}").case["id"]
        wf.cases.record(staff, cid, {"period": "Năm 2026", "candidates": ["Nguyễn Văn A"], "exclusions_checked": True,
                               "participants": "Ban chấp hành"})
        wf.cases.advance(staff, cid)
        wf.cases.tally(staff, cid, tally)
        wf.cases.advance(staff, cid)
        wf.cases.record(staff, cid, {"report_no": f"{i}-BC/HU", "report_date": "2026-11-20"})
        r = wf.cases.advance(staff, cid)                      # report: asks for approval
        (read_ids if i < n_cases else approve).append((cid, r.case["version"]))
    token = wf.people.create_token(lead, "bench")[1]
    store.dispose()
    return {"read": [c for c, _ in read_ids], "approve": approve, "token": token}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def workers(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def session_cookie(base: str) -> str:
    """Sign in through the real form (CSRF token included) and return the session cookie."""
    s = requests.Session()
    for path in ("/auth/login", "/login", "/auth/sign-in"):
        page = s.get(base + path)
        if page.status_code == 200 and "csrf_token" in page.text:
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or \
                re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
            r = s.post(base + path, data={"csrf_token": token.group(1), "username": "lead", "password": PASSWORD},
                       allow_redirects=False)
            if r.status_code in (302, 303) and "session" in s.cookies:
                return "session=" + s.cookies["session"]
    raise RuntimeError("could not sign in through the web form")


LUA_READ = """
counter = 0
ids = {%s}
request = function()
  counter = counter + 1
  return wrk.format("GET", string.format("%s", ids[(counter %% #ids) + 1]))
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f\\n", summary.requests, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.duration / 1e6))
end
"""

def run_wrk(base: str, lua: str, headers: dict, seconds: int, conns: int, tmp: Path) -> dict:
    script = tmp / f"s{abs(hash(lua)) % 10**8}.lua"
    script.write_text(lua)
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [base], capture_output=True, text=True, timeout=seconds + 60).stdout
    m = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    n, non2xx, p50, p95, dur = int(m[1]), int(m[2]), float(m[3]), float(m[4]), float(m[5])
    return {"requests": n, "non_2xx": non2xx, "rps": round(n / dur, 1), "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2), "tool": "wrk", "connections": conns}


def _threads(worker, conns: int, lat: list[float]) -> dict:
    """Run `conns` copies of `worker` to the end; rate and p50/p95 of the latencies it collected (ms)."""
    ts = [threading.Thread(target=worker) for _ in range(conns)]
    start = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dur = time.monotonic() - start
    lat.sort()
    return {"rps": round(len(lat) / dur, 1), "p50_ms": round(statistics.median(lat), 2),
            "p95_ms": round(lat[max(0, int(len(lat) * 0.95) - 1)], 2), "tool": "python-threads",
            "connections": conns}


def run_python(base: str, paths: list[tuple[str, str, bytes | None]], headers: dict, seconds: int,
               conns: int) -> dict:
    """Fallback load generator: `conns` threads, each with keep-alive, for `seconds`."""
    lat, errors, lock, stop = [], [0], threading.Lock(), time.monotonic() + seconds
    counter = [0]

    def worker():
        s = requests.Session()
        s.headers.update(headers)
        while time.monotonic() < stop:
            with lock:
                i = counter[0]
                counter[0] += 1
            method, path, body = paths[i % len(paths)]
            t = time.perf_counter()
            r = s.request(method, base + path, data=body, headers={"Content-Type": "application/json"} if body else {})
            dt = time.perf_counter() - t
            with lock:
                lat.append(dt * 1000)
                errors[0] += r.status_code >= 300
    timing = _threads(worker, conns, lat)          # runs the load; counts are read after it
    return {"requests": len(lat), "non_2xx": errors[0], **timing}


def approve_each_once(base: str, cases: list[tuple[int, int]], headers: dict, conns: int, seconds: int) -> dict:
    """Every waiting case approved exactly once (`conns` clients share the queue): the rate counts real
    approvals — each one a version-checked update, an event in the chain and a committed transaction."""
    import queue
    q: queue.Queue = queue.Queue()
    for item in cases:
        q.put(item)
    lat, bad, lock, stop = [], [0], threading.Lock(), time.monotonic() + seconds

    def worker():
        s = requests.Session()
        s.headers.update(headers)
        while time.monotonic() < stop:
            try:
                cid, v = q.get_nowait()
            except queue.Empty:
                return
            t = time.perf_counter()
            r = s.post(f"{base}/api/v1/cases/{cid}/approve", json={"expected_version": v, "comment": "bench"})
            dt = time.perf_counter() - t
            with lock:
                if r.status_code == 200:
                    lat.append(dt * 1000)
                else:
                    bad[0] += 1
    timing = _threads(worker, conns, lat)          # runs the load; counts are read after it
    return {"approvals": len(lat), "refused": bad[0], **timing}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pg", default=None, help="PostgreSQL URL of an EMPTY database to use (default: SQLite)")
    args = ap.parse_args(argv)
    seconds, n_read, n_approve = (5, 50, 400) if args.quick else (10, 200, 1500)
    tmp = Path(tempfile.mkdtemp(prefix="cadreflow-webload-"))
    url = args.pg or f"sqlite:///{tmp / 'web.db'}"
    t0 = time.monotonic()
    data = seed(url, n_read, n_approve)
    print(f"seeded {n_read} + {n_approve} cases in {time.monotonic() - t0:.1f} s ({'PostgreSQL' if args.pg else 'SQLite WAL FULL'})")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "CADREFLOW_ENV": "production",
           "CADREFLOW_INSTANCE": str(tmp / "instance")}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "-b", f"127.0.0.1:{port}",
                             "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    results: dict = {"database": "postgresql" if args.pg else "sqlite", "seconds_per_run": seconds}
    try:
        for _ in range(150):
            try:
                if requests.get(base + "/api/v1/openapi.json", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        pids = workers(proc.pid)
        # warm both workers once
        token_h = {"Authorization": f"Bearer {data['token']}"}
        for cid in data["read"][:20]:
            requests.get(f"{base}/api/v1/cases/{cid}", headers=token_h)
        results["rss_mb_before"] = [round(rss_kb(p) / 1024, 1) for p in pids]
        cookie = session_cookie(base)
        have_wrk = shutil.which("wrk") is not None
        ids = ",".join(f'"/cases/{c}"' for c in data["read"])
        api_ids = ",".join(f'"/api/v1/cases/{c}"' for c in data["read"])
        if have_wrk:
            results["case_page_html"] = run_wrk(base, LUA_READ % (ids, "%s"), {"Cookie": cookie}, seconds, 8, tmp)
            results["case_api_read"] = run_wrk(base, LUA_READ % (api_ids, "%s"), token_h, seconds, 8, tmp)
        else:
            results["case_page_html"] = run_python(base, [("GET", f"/cases/{c}", None) for c in data["read"]],
                                                   {"Cookie": cookie}, seconds, 8)
            results["case_api_read"] = run_python(base, [("GET", f"/api/v1/cases/{c}", None) for c in data["read"]],
                                                  token_h, seconds, 8)
        results["approve_action"] = approve_each_once(base, data["approve"], token_h, 4, seconds * 3)
        results["rss_mb_after"] = [round(rss_kb(p) / 1024, 1) for p in pids]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return results


if __name__ == "__main__":
    main()

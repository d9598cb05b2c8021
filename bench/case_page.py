"""The CPU one case page costs the server, in process (Flask's test client, no network): a supervisor's
page of a seven-step case awaiting approval (the demo's case 7: records of five steps, two tallies, the
history, the diagram), a tally form, and the tally form's live figures (one answer of its preview, as
the form's script asks for it while figures are typed), each many times; the CPU per request (median
of batches) and the share of it inside Flask-Babel (one profiled batch).

    python -m bench.case_page [--quick]
"""
from __future__ import annotations

import cProfile
import pstats
import re
import statistics
import tempfile
import time
from pathlib import Path

from . import common

PREVIEW = ("chuyenvien.dx", "/cases/8/tally/preview")
PAGES = {"case page (supervisor, case 7)": ("lanhdao.dx", "/cases/7"),
         "tally form (staff, case 8)": ("chuyenvien.dx", "/cases/8/tally"),
         "tally form's live figures (JSON)": PREVIEW}
FIGURES = {"rows": "4", "summoned": "20", "present": "18", "issued": "18", "collected": "18", "valid": "18",
           "invalid": "0", "c0-agree": "12", "c1-agree": "6"}     # what the preview is asked, as typed
DEMO_PASSWORD = "demo-cadreflow-2026"


def _client(app, user: str):
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = c.post("/login", data={"csrf_token": token, "username": user, "password": DEMO_PASSWORD})
    assert r.status_code == 302, r.status_code
    return c


def _request(c, url: str, form: dict | None):
    if form is None:
        return c.get(url)
    return c.post(url, data=form, headers={"Accept": "application/json"})


def _cpu_ms(c, url: str, n: int, form: dict | None = None) -> float:
    t0 = time.process_time()
    for _ in range(n):
        assert _request(c, url, form).status_code == 200
    return (time.process_time() - t0) * 1000 / n


def _babel_share(c, url: str, n: int, form: dict | None = None) -> float:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        _request(c, url, form)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    babel = sum(v[2] for k, v in stats.stats.items() if "flask_babel" in k[0] or "/babel/" in k[0])
    return babel / total if total else 0.0


def _preview_form(c) -> dict:
    page = c.get("/cases/8/tally").get_data(as_text=True)
    return {**FIGURES, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}


def main(quick: bool = False, no_pg: bool = True) -> dict:
    from web import create_app
    from workflow.usecases.demo import seed
    n, batches = (20, 3) if quick else (100, 7)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{Path(tmp) / 'demo.db'}", "CADREFLOW_ENV": "test",
                          "SECRET_KEY": "bench", "INSTANCE_DIR": tmp, "SQLITE_SYNCHRONOUS": "OFF"})
        wf = app.extensions["cadreflow"]
        wf.init_database()
        for _line in seed(wf):
            pass
        for what, (user, url) in PAGES.items():
            c = _client(app, user)
            form = _preview_form(c) if url == PREVIEW[1] else None
            _cpu_ms(c, url, 5, form)                     # templates compiled, caches warm
            runs = [_cpu_ms(c, url, n, form) for _ in range(batches)]
            share = _babel_share(c, url, n, form)
            out[what] = {"cpu_ms_median": statistics.median(runs), "cpu_ms_min": min(runs), "babel_share": share}
            print(f"{what:34} {statistics.median(runs):6.2f} ms CPU per page (min {min(runs):.2f}, {batches} batches "
                  f"of {n}); Flask-Babel {share:.0%} of the profiled time", flush=True)
        wf.close()
    return out


if __name__ == "__main__":
    a = common.arguments(__doc__.splitlines()[0])
    common.heading("One case page, in process")
    main(a.quick)

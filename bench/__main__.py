"""Run every benchmark, then a short summary. Figures only: nothing here passes or fails on time.

    python -m bench [--quick] [--no-pg]        (make bench)

Each part also runs alone: python -m bench.transitions | bench.peer | bench.scale | bench.machine_cost |
bench.web_load (gunicorn + wrk, run last here) | bench.verify_speed (not run here: the chain verifier
against the raw read and hashlib alone, on one database) | bench.case_page (not run here: the CPU of a
case page, a tally form and its live figures, in process). The full figures of a run are also written to
bench/out/last-run.json (not committed).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from . import common, machine_cost, peer, scale, transitions, web_load


def main() -> None:
    a = common.arguments(__doc__.splitlines()[0])
    m = common.machine()
    print(f"# cadreflow benchmarks{' (--quick)' if a.quick else ''}\n")
    print(f"{m['cpus']} CPUs ({m['cpu']}), {m['memory']} memory; Python {m['python']}, SQLite {m['sqlite']}, "
          f"PostgreSQL {m['postgresql']}; load average {common.load_average()}", flush=True)
    started = time.perf_counter()
    took = {}
    out: dict = {"machine": m, "quick": a.quick}
    for name, part in (("machine_cost", machine_cost), ("transitions", transitions), ("peer", peer),
                       ("scale", scale)):
        t0 = time.perf_counter()
        out[name] = part.main(a.quick, a.no_pg)
        took[name] = time.perf_counter() - t0

    t0 = time.perf_counter()
    common.heading("Web under load (gunicorn, 2 workers; SQLite WAL FULL)")
    out["web_load"] = web_load.main(["--quick"] if a.quick else [])
    took["web_load"] = time.perf_counter() - t0

    common.heading("Summary")
    lines = []
    mc = out["machine_cost"]
    lines.append(f"state machine per request: {mc['cached_us']:.1f} µs cached, {mc['built_us']:.0f} µs built per "
                 f"request; builds = {mc['builds']} for {mc['definitions']} definition versions")
    for r in out["transitions"]:
        target = f" (target ≥ {r['target']}: {'met' if r['ratio'] >= r['target'] else 'NOT met'})" if r["target"] else ""
        lines.append(f"durable transitions, {common.label(r['kind'])}: {r['engine']:.0f} ops/s, "
                     f"ceiling {r['raw']:.0f} ops/s, ratio {r['ratio']:.2f}{target}; against the engine's own "
                     f"statements by hand {r['same']:.0f} ops/s, ratio {r['same_ratio']:.2f} (bound for any "
                     f"engine sending them: {r['same_bound']:.2f})")
    for r in out["peer"]:
        lines.append(f"seven-step instances, {common.label(r['kind'])}: cadreflow {r['cadreflow']:.1f}/s, "
                     f"SpiffWorkflow {r['spiff']:.1f}/s, ratio {r['ratio']:.2f} (target ≥ {peer.TARGET:g}: "
                     f"{'met' if r['ratio'] >= peer.TARGET else 'NOT met'})")
    by_kind: dict[str, list] = {}
    for r in out["scale"]:
        by_kind.setdefault(r["kind"], []).append(r)
    for kind, rs in by_kind.items():
        if len(rs) > 1:
            grown = [q for q in rs[0]["queries"]
                     if rs[-1]["queries"][q][0] / rs[0]["queries"][q][0] > scale.GROWTH_TARGET]
            lines.append(f"scale, {common.label(kind)}, {rs[0]['n']:,} → {rs[-1]['n']:,} cases: "
                         f"{len(rs[0]['queries']) - len(grown)} of {len(rs[0]['queries'])} queries within "
                         f"{scale.GROWTH_TARGET}×" + (f"; grew more: {', '.join(grown)}" if grown else ""))
        v = rs[-1]["verify"]
        lines.append(f"verify, {common.label(kind)}, {v['events']:,} events: {v['events'] / v['p50']:,.0f} events/s, "
                     f"{v['raw_read_and_hash'] / v['p50']:.2f} of raw read + hashlib, "
                     f"{v['hash_only'] / v['p50']:.2f} of hashlib alone")
    w = out["web_load"]
    lines.append(f"web under load, gunicorn 2 workers: case page {w['case_page_html']['rps']:.0f} req/s "
                 f"(p95 {w['case_page_html']['p95_ms']:.0f} ms), case API {w['case_api_read']['rps']:.0f} req/s "
                 f"(p95 {w['case_api_read']['p95_ms']:.0f} ms), approve {w['approve_action']['rps']:.0f}/s "
                 f"(p95 {w['approve_action']['p95_ms']:.0f} ms); worker memory {w['rss_mb_before']} → "
                 f"{w['rss_mb_after']} MB")
    for line in lines:
        print(f"- {line}")
    print(f"\nran in {time.perf_counter() - started:.0f} s ("
          + ", ".join(f"{k} {v:.0f} s" for k, v in took.items()) + f"); load average now {common.load_average()}")
    target = Path(__file__).resolve().parent / "out"
    target.mkdir(exist_ok=True)
    (target / "last-run.json").write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()

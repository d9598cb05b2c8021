"""Against a peer: the same linear seven-step approval procedure run to the end through
SpiffWorkflow (bench/seven_steps.bpmn: seven user tasks in sequence) — its workflow state
serialized with its JSON serializer after every step and written to the same database (a table of
id + JSON text, one committed write per step, the way a BPMN engine persists) — and through
cadreflow (bench/seven_approvals.v1.yaml, loaded by the project's loader beside the shipped
definitions: the same seven steps, each one body's approval that staff record by advancing),
alternating in the same run on the same database. Both sides commit 8 durable writes per instance
(Spiff: insert + 7 updates; cadreflow: open_case + 7 advances, each an audited transaction).
Instances per second for both, the ratio, and the bound the disk sets: the raw driver's rate of
one-row commits, divided by 8.

Beside it, the real procedure: cadreflow's shipped committee-personnel (forms, tallies, approval,
announcement: 17 audited transactions) against the same BPMN carrying the same form data.

    python -m bench.peer [--quick] [--no-pg]
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, Text, func, insert, select, update

from workflow.adapters.definitions import load_file
from workflow.usecases.engine import Workflow
from workflow.adapters.db import normalise_url
from workflow.adapters.tables import cases, events

from . import common

HERE = Path(__file__).resolve().parent
BPMN = HERE / "seven_steps.bpmn"
PROCESS = "committee_personnel"            # the process id in the BPMN file
SEVEN = HERE / "seven_approvals.v1.yaml"   # bench-only cadreflow definition of the same seven steps
SEVEN_KEY = "seven_approvals"
TARGET = 10.0
WRITES = 8                                 # per instance, both sides: 1 insert/open + 7 steps

# What each committee-personnel step records, the same for both engines (the form fields, tallies, announcement).
CRITERIA = {"criteria": "Theo HD 38-HD/BTCTW", "structure": "9 đồng chí", "seats": 9,
            "candidates": ["Nguyễn Văn A", "Trần Thị B"]}
TALLY = {"summoned": 30, "present": 25, "issued": 25, "collected": 25, "valid": 25, "invalid": 0,
         "candidates": {"Nguyễn Văn A": {"agree": 20, "disagree": 5}, "Trần Thị B": {"agree": 16, "disagree": 9}}}
TALLY_BLOCK = {**TALLY, "candidates": {"Nguyễn Văn A": {"agree": 20, "disagree": 5},
                                       "Lê Văn C": {"agree": 18, "disagree": 7}}}
APPRAISAL = {"appraisal": "Đạt tiêu chuẩn", "submission_no": "12-TTr/HU", "submission_date": "2026-01-10"}
DECISION = {"decision_no": "45-QĐ/HU", "decision_date": "2026-01-12", "appointees": "Nguyễn Văn A – bí thư"}
ANNOUNCEMENT = {"decision_no": "45-QĐ/HU", "date": "2026-01-15", "signer": "Bí thư", "text": "Công bố quyết định"}
ELECTION = {**TALLY, "summoned": 9, "present": 9, "issued": 9, "collected": 9, "valid": 9,
            "candidates": {"Phạm Thị D": {"agree": 9, "disagree": 0}}}
FIRST_MEETING = {"assignments": "Phân công cấp ủy viên", "plan": "Phương hướng nhiệm vụ"}
SPIFF_DATA = {"criteria": {"form": CRITERIA}, "members_conference": {"tally": TALLY},
              "block_conference": {"tally": TALLY_BLOCK}, "appraisal": {"form": APPRAISAL},
              "decision": {"form": DECISION, "approved_by": "lead"}, "announcement": {"announcement": ANNOUNCEMENT},
              "first_meeting": {"tally": ELECTION, "form": FIRST_MEETING}}


def forms_data(task: str) -> dict:
    """The committee-personnel records of a step (the real procedure)."""
    return SPIFF_DATA[task]


def approval_data(task: str) -> dict:
    """What a cadreflow advance of the seven-approvals procedure records: who approved which step."""
    return {task: {"approved_by": "staff"}}


spiff_meta = MetaData()
spiff_instances = Table("bench_spiff_instances", spiff_meta,
                        Column("id", Integer, primary_key=True), Column("state", Text, nullable=False))
commit_probe = Table("bench_commit_probe", spiff_meta,
                     Column("id", Integer, primary_key=True), Column("n", Integer, nullable=False))


def registry():
    """The shipped definitions plus the bench-only seven approvals, through the project's loader."""
    reg = common.registry()
    reg.add(load_file(SEVEN))
    return reg


class Spiff:
    """SpiffWorkflow as a BPMN engine uses it: spec parsed once, the instance serialized to JSON and
    written after each completed user task. With reload=True every step also reads the row back
    and deserializes it first, as a web request per step would."""

    def __init__(self, store, data, reload: bool = False):
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.util.task import TaskState
        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec(PROCESS)
        self.BpmnWorkflow, self.READY = BpmnWorkflow, TaskState.READY
        self.serializer = BpmnWorkflowSerializer()
        self.store, self.data, self.reload = store, data, reload
        self.ids: list[int] = []

    def instance(self, _i: int = 0) -> None:
        wf = self.BpmnWorkflow(self.spec)
        wf.do_engine_steps()
        with self.store.core() as c:
            iid = c.execute(insert(spiff_instances).values(state=self.serializer.serialize_json(wf))).inserted_primary_key[0]
        self.ids.append(iid)
        steps = 0
        while not wf.is_completed():
            if self.reload:
                with self.store.core() as c:
                    wf = self.serializer.deserialize_json(
                        c.execute(select(spiff_instances.c.state).where(spiff_instances.c.id == iid)).scalar_one())
            task = wf.get_tasks(state=self.READY, manual=True)[0]
            task.data.update(self.data(task.task_spec.name))
            task.run()
            wf.do_engine_steps()
            state = self.serializer.serialize_json(wf)
            with self.store.core() as c:
                c.execute(update(spiff_instances).where(spiff_instances.c.id == iid).values(state=state))
            steps += 1
        if steps != 7:
            raise RuntimeError(f"the BPMN process ran {steps} user tasks, not 7")


def _finished(r, cid) -> None:
    if r.case["status"] != "completed":
        raise RuntimeError(f"case {cid} ended {r.case['status']}, not completed")


class CadreflowSeven:
    """The seven-approvals case: open_case + 7 advances (the last completes it), each with the
    version the previous answer gave, as the web form does: 8 committed, audited transactions."""

    def __init__(self, wf: Workflow, who: common.People):
        self.wf, self.who = wf, who

    def instance(self, i: int = 0) -> None:
        wf, s = self.wf, self.who.staff
        r = wf.cases.open_case(s, SEVEN_KEY, f"Bảy bước phê duyệt {i}")
        cid = r.case["id"]
        for _ in range(7):
            r = wf.cases.advance(s, cid, expected_version=r.case["version"])
        _finished(r, cid)


class CadreflowCommittee:
    """A committee-personnel case from opening to completion through the service layer: 17 transactions."""

    def __init__(self, wf: Workflow, who: common.People):
        self.wf, self.who = wf, who

    def instance(self, i: int = 0) -> None:
        wf, s, lead = self.wf, self.who.staff, self.who.supervisor
        r = wf.cases.open_case(s, "committee-personnel", f"Kiện toàn đảng bộ {i}")
        cid = r.case["id"]
        v = lambda: r.case["version"]  # noqa: E731 - the version the last answer gave
        r = wf.cases.record(s, cid, CRITERIA, expected_version=v())
        r = wf.cases.advance(s, cid, expected_version=v())
        r = wf.cases.tally(s, cid, TALLY, expected_version=v())
        r = wf.cases.advance(s, cid, expected_version=v())
        r = wf.cases.tally(s, cid, TALLY_BLOCK, expected_version=v())
        r = wf.cases.advance(s, cid, expected_version=v())
        r = wf.cases.record(s, cid, APPRAISAL, expected_version=v())
        r = wf.cases.advance(s, cid, expected_version=v())
        r = wf.cases.record(s, cid, DECISION, expected_version=v())
        r = wf.cases.advance(s, cid, expected_version=v())                    # asks for the supervisor's approval
        r = wf.cases.approve(lead, cid, expected_version=v())
        r = wf.cases.announce(s, cid, ANNOUNCEMENT, expected_version=v())
        r = wf.cases.advance(s, cid, expected_version=v())
        r = wf.cases.tally(s, cid, ELECTION, expected_version=v())
        r = wf.cases.record(s, cid, FIRST_MEETING, expected_version=v())
        r = wf.cases.advance(s, cid, expected_version=v())
        _finished(r, cid)


COMMITTEE_TRANSACTIONS = 17   # open + 16 actions above


class RawCommit:
    """The disk's bound: one-row INSERT transactions committed on the raw driver (sqlite3 with the
    store's WAL + synchronous setting on the same file; psycopg 3 on the same database)."""

    def __init__(self, url: str, sync: str | None):
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.c = sqlite3.connect(url[len("sqlite:///"):], isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=WAL", f"synchronous={sync or 'FULL'}", "busy_timeout=30000"):
                self.c.execute(f"PRAGMA {pragma}")
        else:
            import psycopg
            self.c = psycopg.connect(normalise_url(url).replace("postgresql+psycopg://", "postgresql://"))

    def op(self, i: int = 0) -> None:
        if self.sqlite:
            self.c.execute("BEGIN IMMEDIATE")
            self.c.execute("INSERT INTO bench_commit_probe (n) VALUES (?)", (i,))
            self.c.execute("COMMIT")
        else:
            self.c.execute("INSERT INTO bench_commit_probe (n) VALUES (%s)", (i,))
            self.c.commit()

    def close(self) -> None:
        self.c.close()


class RawAudited:
    """No engine at all: 8 audited transactions an instance written by hand on the raw driver, each
    bench.transitions' ceiling (version-checked update, a record, the chained event), as fast as an
    audited step can be made without rules, authorisation or a form to merge."""

    def __init__(self, url: str, sync: str | None, who: common.People, case_ids: list[int]):
        from .transitions import RawPostgres, RawSQLite
        self.raw = (RawSQLite(url[len("sqlite:///"):], sync or "FULL", who, case_ids) if url.startswith("sqlite")
                    else RawPostgres(url, who, case_ids))
        self.n = 0

    def instance(self, _i: int = 0) -> None:
        for _ in range(WRITES):
            self.raw.op(self.n)
            self.n += 1

    def close(self) -> None:
        self.raw.close()


def run_backend(kind: str, seconds: float) -> dict:
    with common.database(kind) as (url, sync):
        store = common.new_store(url, sync)
        raw = None
        try:
            spiff_meta.create_all(store.engine)
            wf = Workflow(store, registry())
            who = common.people(wf)
            raw = RawCommit(url, sync)
            by_hand_ids = [wf.cases.open_case(who.staff, "committee-personnel", f"Bench {i}").case["id"] for i in range(100)]
            by_hand = RawAudited(url, sync, who, by_hand_ids)
            spiff_a, spiff_ar = Spiff(store, approval_data), Spiff(store, approval_data, reload=True)
            spiff_f, spiff_fr = Spiff(store, forms_data), Spiff(store, forms_data, reload=True)
            seven, committee = CadreflowSeven(wf, who), CadreflowCommittee(wf, who)
            sides = {"cadreflow": seven.instance, "spiff": spiff_a.instance, "spiff_reload": spiff_ar.instance,
                     "raw_commit": raw.op, "raw_audited": by_hand.instance,
                     "cadreflow_committee": committee.instance, "spiff_forms": spiff_f.instance,
                     "spiff_forms_reload": spiff_fr.instance}
            for f in sides.values():
                f(0)                                               # warm-up
            out = common.alternate(sides, seconds=seconds, block=0.5)
            with store.core() as c:
                engines = cases.c.id.notin_(by_hand_ids)          # the engine's cases (the by-hand ones only record)
                ev = dict(c.execute(select(cases.c.definition_key, func.count(events.c.seq))
                                    .select_from(events.join(cases, events.c.case_id == cases.c.id)).where(engines)
                                    .group_by(cases.c.definition_key)).all())
                n_cases = dict(c.execute(select(cases.c.definition_key, func.count()).where(engines)
                                         .group_by(cases.c.definition_key)).all())
                unfinished = c.execute(select(func.count()).select_from(cases)
                                       .where(cases.c.status != "completed", engines)).scalar_one()
                json_bytes = {name: float(c.execute(select(func.avg(func.length(spiff_instances.c.state)))
                                                    .where(spiff_instances.c.id.in_(sp.ids))).scalar_one())
                              for name, sp in (("spiff", spiff_a), ("spiff_forms", spiff_f))}
            ok = wf.queries.verify().ok
        finally:
            if raw is not None:
                raw.close()
                by_hand.close()
            store.dispose()
    if unfinished:
        raise RuntimeError(f"{unfinished} cadreflow cases did not complete")
    r = {"kind": kind, **{name: s.rate for name, s in out.items()},
         **{f"{name}_cpu_ms": s.cpu_us / 1000 for name, s in out.items()}}
    r.update(ratio=r["cadreflow"] / r["spiff"], ratio_reload=r["cadreflow"] / r["spiff_reload"],
             ratio_committee=r["cadreflow_committee"] / r["spiff_forms"],
             ratio_committee_reload=r["cadreflow_committee"] / r["spiff_forms_reload"],
             bound=r["raw_commit"] / WRITES)
    r.update(best_ratio=r["bound"] / r["spiff"], ratio_by_hand=r["raw_audited"] / r["spiff"],
             events_per_case=ev[SEVEN_KEY] / n_cases[SEVEN_KEY],
             events_per_committee_case=ev["committee-personnel"] / n_cases["committee-personnel"],
             spiff_json_bytes=json_bytes["spiff"], spiff_forms_json_bytes=json_bytes["spiff_forms"], chain_ok=ok)
    return r


def spiff_in_memory(data, seconds: float, *, serialize: bool = False) -> float:
    """SpiffWorkflow alone, no database; `serialize`: its state turned into JSON after every step,
    kept in memory (the brief's reference figure, ~88 instances/s where it was measured)."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.util.task import TaskState
    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec(PROCESS)
    serializer = BpmnWorkflowSerializer()

    def one(_i):
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        kept = serializer.serialize_json(wf) if serialize else None
        while not wf.is_completed():
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(data(task.task_spec.name))
            task.run()
            wf.do_engine_steps()
            if serialize:
                kept = serializer.serialize_json(wf)
        return kept
    return common.rate(one, seconds=seconds)[0]


def _met(ratio: float) -> str:
    return f"≥ {TARGET:g} " + ("met" if ratio >= TARGET else "NOT met")


def main(quick: bool = False, no_pg: bool = False) -> list[dict]:
    import SpiffWorkflow
    seconds = 3.0 if quick else 12.0
    kinds = ["sqlite-full"]
    skip = None if no_pg else common.pg_unavailable()
    if not no_pg and not skip:
        kinds.append("postgresql")
    common.heading("Against a peer: SpiffWorkflow (BPMN, JSON state per step) vs cadreflow, the same seven steps")
    version = getattr(SpiffWorkflow, "__version__", None)
    if version is None:
        from importlib.metadata import version as _v
        version = _v("SpiffWorkflow")
    print(f"SpiffWorkflow {version}; eight sides (below) alternate in 0.5 s blocks, {seconds:.0f} s each; "
          f"load average before: {common.load_average()}.", flush=True)
    if skip:
        print(f"PostgreSQL skipped: {skip}")
    mem = spiff_in_memory(approval_data, 2.0 if quick else 5.0)
    mem_forms = spiff_in_memory(forms_data, 2.0 if quick else 5.0)
    mem_serialized = spiff_in_memory(approval_data, 2.0 if quick else 5.0, serialize=True)
    results = [run_backend(k, seconds) for k in kinds]

    print("\nLike for like — seven approvals, one durable write per step on both sides (the headline):")
    common.table(["database", "cadreflow instances/s", "SpiffWorkflow instances/s", "cadreflow / Spiff", "target",
                  "raw one-row commits/s", "cadreflow bound at zero CPU (commits/s ÷ 8)", "best possible ratio",
                  "no engine: 8 audited transactions by hand, instances/s (× Spiff)",
                  "Spiff, reloading per step", "cadreflow / Spiff reloading", "CPU per instance: cadreflow / Spiff",
                  "commits/s: cadreflow / Spiff", "audited events per cadreflow case", "Spiff JSON per instance",
                  "chain verifies"],
                 [[common.label(r["kind"]), f"{r['cadreflow']:.1f}", f"{r['spiff']:.1f}", f"{r['ratio']:.2f}",
                   _met(r["ratio"]), f"{r['raw_commit']:.0f}", f"{r['bound']:.1f}", f"{r['best_ratio']:.2f}",
                   f"{r['raw_audited']:.1f} ({r['ratio_by_hand']:.2f}×)",
                   f"{r['spiff_reload']:.1f}", f"{r['ratio_reload']:.2f}",
                   f"{r['cadreflow_cpu_ms']:.1f} ms / {r['spiff_cpu_ms']:.1f} ms",
                   f"{r['cadreflow'] * WRITES:.0f} / {r['spiff'] * WRITES:.0f}",
                   f"{r['events_per_case']:.0f} ({WRITES} transactions)",
                   f"{r['spiff_json_bytes'] / 1024:.1f} KiB, rewritten 7×", "yes" if r["chain_ok"] else "NO"]
                  for r in results])
    for r in results:
        print(f"{common.label(r['kind'])}: cadreflow upper bound at zero CPU = {r['raw_commit']:.0f} commits/s / "
              f"{WRITES} = {r['bound']:.1f} instances/s → best possible ratio = {r['bound']:.1f} / {r['spiff']:.1f} "
              f"(Spiff) = {r['best_ratio']:.2f}× (target {TARGET:g}×: "
              + ("reachable" if r["best_ratio"] >= TARGET else "not reachable on this disk") + "). "
              f"{WRITES} bare commits take {WRITES / r['raw_commit'] * 1000:.1f} ms; an instance takes "
              f"{1000 / r['cadreflow']:.1f} ms in cadreflow, {1000 / r['spiff']:.1f} ms in Spiff.")
    print(f"\nBoth sides commit {WRITES} writes per instance: cadreflow opens the case and advances it 7 times "
          f"({SEVEN.name}, each advance a version-checked, audited transaction with a chained event); Spiff "
          "inserts its serialized state and updates it after each of the 7 user tasks (task data: who approved "
          "the step). The raw commit rate is measured in the same alternation, on the same database.")

    print("\nThe real procedure — cadreflow's committee-personnel (17 audited transactions) vs the same BPMN "
          "carrying the same form data (8 writes):")
    common.table(["database", "cadreflow committee-personnel instances/s", "SpiffWorkflow instances/s",
                  "cadreflow / Spiff", "Spiff, reloading per step", "cadreflow / Spiff reloading",
                  "CPU per instance: cadreflow / Spiff", "commits/s: cadreflow / Spiff",
                  "audited events per cadreflow case", "Spiff JSON per instance"],
                 [[common.label(r["kind"]), f"{r['cadreflow_committee']:.1f}", f"{r['spiff_forms']:.1f}",
                   f"{r['ratio_committee']:.2f}", f"{r['spiff_forms_reload']:.1f}",
                   f"{r['ratio_committee_reload']:.2f}",
                   f"{r['cadreflow_committee_cpu_ms']:.1f} ms / {r['spiff_forms_cpu_ms']:.1f} ms",
                   f"{r['cadreflow_committee'] * COMMITTEE_TRANSACTIONS:.0f} / {r['spiff_forms'] * WRITES:.0f}",
                   f"{r['events_per_committee_case']:.0f} ({COMMITTEE_TRANSACTIONS} transactions)",
                   f"{r['spiff_forms_json_bytes'] / 1024:.1f} KiB, rewritten 7×"]
                  for r in results])
    print(f"A committee-personnel case commits {COMMITTEE_TRANSACTIONS} audited transactions (open, 4 forms, "
          "3 tallies, 6 advances, a request for approval and the approval, an announcement).")
    print(f"SpiffWorkflow alone in memory (no serializing, no database): {mem:.0f} instances/s with the approvals' "
          f"task data, {mem_forms:.0f} instances/s with the committee-personnel form data; serializing its state "
          f"to JSON after every step, still without a database: {mem_serialized:.0f} instances/s (the brief's "
          "reference for this: ~88 instances/s).")
    for r in results:
        print(f"{common.label(r['kind'])}: no engine at all — {WRITES} audited transactions an instance written by "
              f"hand on the raw driver (bench.transitions' ceiling) — makes {r['raw_audited']:.1f} instances/s, "
              f"{r['ratio_by_hand']:.2f}× SpiffWorkflow in the same alternation. 10× SpiffWorkflow serializing in "
              f"memory, the brief's reference ({mem_serialized:.0f} instances/s here, ~88 where the brief measured "
              f"it), would be {10 * mem_serialized * WRITES:,.0f} durable commits/s; this disk commits "
              f"{r['raw_commit']:,.0f} bare one-row transactions/s.")
    return [{**r, "spiff_in_memory": mem, "spiff_in_memory_forms": mem_forms,
             "spiff_in_memory_serialized": mem_serialized} for r in results]


if __name__ == "__main__":
    a = common.arguments(__doc__.splitlines()[0])
    main(a.quick, a.no_pg)

"""Against a peer: the linear seven-step committee-personnel procedure run to the end through
SpiffWorkflow (bench/seven_steps.bpmn: seven user tasks in sequence) — its workflow state
serialized with its JSON serializer after every step and written to the same database (a table of
id + JSON text, one committed UPDATE per step, the way a BPMN engine persists) — and through
cadreflow (a committee-personnel case with the records every step needs: 17 audited transactions),
alternating in the same run on the same database. Instances per second for both, and the ratio.

    python -m bench.peer [--quick] [--no-pg]
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, Text, func, insert, select, update

from workflow.service import Workflow
from workflow.store import events

from . import common

BPMN = Path(__file__).resolve().parent / "seven_steps.bpmn"
PROCESS = "committee_personnel"
TARGET = 10.0

# What each step records, the same for both engines (the form fields, tallies, announcement).
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

spiff_meta = MetaData()
spiff_instances = Table("bench_spiff_instances", spiff_meta,
                        Column("id", Integer, primary_key=True), Column("state", Text, nullable=False))


class Spiff:
    """SpiffWorkflow as a BPMN engine uses it: spec parsed once, the instance serialized to JSON and
    written after each completed user task. With reload=True every step also reads the row back
    and deserializes it first, as a web request per step would."""

    def __init__(self, store, reload: bool = False):
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.util.task import TaskState
        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec(PROCESS)
        self.BpmnWorkflow, self.READY = BpmnWorkflow, TaskState.READY
        self.serializer = BpmnWorkflowSerializer()
        self.store, self.reload = store, reload
        self.bytes = 0

    def instance(self, _i: int = 0) -> None:
        wf = self.BpmnWorkflow(self.spec)
        wf.do_engine_steps()
        with self.store.write() as c:
            iid = c.execute(insert(spiff_instances).values(state=self.serializer.serialize_json(wf))).inserted_primary_key[0]
        steps = 0
        while not wf.is_completed():
            if self.reload:
                with self.store.read() as c:
                    wf = self.serializer.deserialize_json(
                        c.execute(select(spiff_instances.c.state).where(spiff_instances.c.id == iid)).scalar_one())
            task = wf.get_tasks(state=self.READY, manual=True)[0]
            task.data.update(SPIFF_DATA[task.task_spec.name])
            task.run()
            wf.do_engine_steps()
            state = self.serializer.serialize_json(wf)
            self.bytes += len(state)
            with self.store.write() as c:
                c.execute(update(spiff_instances).where(spiff_instances.c.id == iid).values(state=state))
            steps += 1
        if steps != 7:
            raise RuntimeError(f"the BPMN process ran {steps} user tasks, not 7")


class Cadreflow:
    """A committee-personnel case from opening to completion through the service layer."""

    def __init__(self, wf: Workflow, who: common.People):
        self.wf, self.who = wf, who

    def instance(self, i: int = 0) -> None:
        wf, s, lead = self.wf, self.who.staff, self.who.supervisor
        cid = wf.open_case(s, "committee-personnel", f"Kiện toàn đảng bộ {i}").case["id"]
        wf.record(s, cid, CRITERIA)
        wf.advance(s, cid)
        wf.tally(s, cid, TALLY)
        wf.advance(s, cid)
        wf.tally(s, cid, TALLY_BLOCK)
        wf.advance(s, cid)
        wf.record(s, cid, APPRAISAL)
        wf.advance(s, cid)
        wf.record(s, cid, DECISION)
        wf.advance(s, cid)                    # asks for the supervisor's approval
        wf.approve(lead, cid)
        wf.announce(s, cid, ANNOUNCEMENT)
        wf.advance(s, cid)
        wf.tally(s, cid, ELECTION)
        wf.record(s, cid, FIRST_MEETING)
        r = wf.advance(s, cid)
        if r.case["status"] != "completed":
            raise RuntimeError(f"case {cid} ended {r.case['status']}, not completed")


TRANSACTIONS = 17   # open + 16 actions above


def run_backend(kind: str, seconds: float) -> dict:
    with common.database(kind) as (url, sync):
        store = common.new_store(url, sync)
        try:
            spiff_meta.create_all(store.engine)
            wf = Workflow(store, common.registry())
            who = common.people(wf)
            spiff, spiff_reload, cf = Spiff(store), Spiff(store, reload=True), Cadreflow(wf, who)
            for f in (spiff.instance, spiff_reload.instance, cf.instance):
                f(0)                                               # warm-up
            with store.read() as c:
                ev0 = c.execute(select(func.count()).select_from(events)).scalar_one()
            sides = common.alternate({"cadreflow": cf.instance, "spiff": spiff.instance,
                                      "spiff_reload": spiff_reload.instance}, seconds=seconds, block=0.5)
            with store.read() as c:
                ev = c.execute(select(func.count()).select_from(events)).scalar_one() - ev0
                avg_json = c.execute(select(func.avg(func.length(spiff_instances.c.state)))).scalar_one()
            ok = wf.verify().ok
        finally:
            store.dispose()
    c, s, sr = sides["cadreflow"], sides["spiff"], sides["spiff_reload"]
    return {"kind": kind, "cadreflow": c.rate, "spiff": s.rate, "spiff_reload": sr.rate, "ratio": c.rate / s.rate,
            "ratio_reload": c.rate / sr.rate, "events_per_case": ev / c.ops, "spiff_json_bytes": float(avg_json),
            "chain_ok": ok, "cadreflow_cpu_ms": c.cpu_us / 1000, "spiff_cpu_ms": s.cpu_us / 1000}


def spiff_in_memory(seconds: float) -> float:
    """SpiffWorkflow alone, no serializing, no database: the reference figure."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.util.task import TaskState
    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec(PROCESS)

    def one(_i):
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        while not wf.is_completed():
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(SPIFF_DATA[task.task_spec.name])
            task.run()
            wf.do_engine_steps()
    return common.rate(one, seconds=seconds)[0]


def main(quick: bool = False, no_pg: bool = False) -> list[dict]:
    import SpiffWorkflow
    seconds = 3.0 if quick else 15.0
    kinds = ["sqlite-full"]
    skip = None if no_pg else common.pg_unavailable()
    if not no_pg and not skip:
        kinds.append("postgresql")
    common.heading("Against a peer: SpiffWorkflow (BPMN, JSON state per step) vs cadreflow, seven steps")
    version = getattr(SpiffWorkflow, "__version__", None)
    if version is None:
        from importlib.metadata import version as _v
        version = _v("SpiffWorkflow")
    print(f"SpiffWorkflow {version}; the two (three) sides alternate in 0.5 s blocks, {seconds:.0f} s each; "
          f"load average before: {common.load_average()}.", flush=True)
    if skip:
        print(f"PostgreSQL skipped: {skip}")
    mem = spiff_in_memory(2.0 if quick else 5.0)
    results = [run_backend(k, seconds) for k in kinds]
    common.table(["database", "cadreflow instances/s", "SpiffWorkflow instances/s", "cadreflow / Spiff",
                  "target", "Spiff, reloading per step", "cadreflow / Spiff reloading", "CPU per instance: cadreflow / Spiff",
                  "commits/s: cadreflow / Spiff", "audited events per cadreflow case", "Spiff JSON per instance",
                  "chain verifies"],
                 [[common.label(r["kind"]), f"{r['cadreflow']:.1f}", f"{r['spiff']:.1f}", f"{r['ratio']:.2f}",
                   f"≥ {TARGET:g} " + ("met" if r["ratio"] >= TARGET else "NOT met"), f"{r['spiff_reload']:.1f}",
                   f"{r['ratio_reload']:.2f}", f"{r['cadreflow_cpu_ms']:.1f} ms / {r['spiff_cpu_ms']:.1f} ms",
                   f"{r['cadreflow'] * TRANSACTIONS:.0f} / {r['spiff'] * 8:.0f}",
                   f"{r['events_per_case']:.0f} ({TRANSACTIONS} transactions)",
                   f"{r['spiff_json_bytes'] / 1024:.1f} KiB, rewritten 7×", "yes" if r["chain_ok"] else "NO"]
                  for r in results])
    print(f"\nA cadreflow case commits {TRANSACTIONS} audited transactions (open, 4 forms, 3 tallies, 6 advances, "
          "a request for approval and the approval, an announcement); a Spiff instance commits 8 writes (insert + 7 updates).")
    print(f"SpiffWorkflow alone in memory (no serializing, no database): {mem:.0f} instances/s "
          "(the brief's reference: ~88 instances/s).")
    return [{**r, "spiff_in_memory": mem} for r in results]


if __name__ == "__main__":
    a = common.arguments(__doc__.splitlines()[0])
    main(a.quick, a.no_pg)

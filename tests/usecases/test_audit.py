"""The record: tamper detection (SQLite and PostgreSQL), the `audit verify` command, and one
event per change with who (actor, role, unit) and where from → to."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from workflow.domain import chain as audit
from workflow.adapters.definitions import load_folder
from workflow.domain.errors import WorkflowError
from workflow.usecases.engine import Workflow
from workflow.adapters.db import Store
from workflow.adapters.tables import chain_head, events
from tests.support import ANNOUNCEMENT, APPT_C1, APPT_C3, CRITERIA, PASSWORD, tally

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"



@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """The `people` fixture hashes 14 passwords; a lower scrypt cost keeps these tests fast."""
    monkeypatch.setattr("workflow.domain.credentials.SCRYPT_N", 2 ** 8)




def _build_history(wf: Workflow, people) -> int:
    """~20 events beyond the people fixture's: a committee-personnel case taken to step 4 and
    a second case cancelled. Returns the number of events in the log."""
    s = people.staff
    cid = wf.cases.open_case(s, "committee-personnel", "Kiện toàn đảng bộ khối doanh nghiệp").case["id"]
    wf.cases.record(s, cid, CRITERIA)
    wf.cases.attach(s, cid, "bien-ban.pdf", b"%PDF-1.4 minutes", doc_type="minutes")
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally(30, {"Nguyễn Văn A": {"agree": 20, "disagree": 5}, "Trần Thị B": {"agree": 16}}, present=25))
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally(20, {"Nguyễn Văn A": {"agree": 15}, "Lê Văn E": {"agree": 12}}))
    wf.cases.return_case(people.supervisor, cid, "kiểm phiếu lại", to="members-conference")
    other = wf.cases.open_case(people.staff2, "committee-personnel", "Hồ sơ bị hủy").case["id"]
    wf.cases.cancel(people.supervisor2, other, "trùng hồ sơ")
    with wf.store.core() as c:
        n = c.execute(select(func.count()).select_from(events)).scalar_one()
    assert n >= 20
    return n


def _tamper(wf: Workflow, *stmts) -> None:
    with wf.store.core() as c:
        for st in stmts:
            c.execute(st)


def _event(wf: Workflow, seq: int):
    with wf.store.core() as c:
        return c.execute(select(events).where(events.c.seq == seq)).one()


def test_an_untouched_log_verifies_with_the_right_count(wf, people):
    n = _build_history(wf, people)
    v = wf.queries.verify(people.auditor)
    assert v.ok and v.events == n and v.head_seq == n and v.first_bad_seq is None and v.problem is None


EDITS = [
    ("payload", '{"title":"Hồ sơ khác"}'),
    ("actor", "someone-else"),
    ("at", dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)),
    ("role", "admin"),
    ("unit_id", 999),
    ("kind", "case_cancelled"),
    ("from_state", "decision"),
    ("to_state", "completed"),
    ("case_id", 999),
    ("actor_id", 999),
]


def test_editing_any_field_of_an_event_names_that_event_and_undoing_the_edit_restores_the_record(wf, people):
    n = _build_history(wf, people)
    seq = n - 8                          # an event of the case, in the middle of the log
    original = _event(wf, seq)._mapping
    for column, new_value in EDITS:
        _tamper(wf, update(events).where(events.c.seq == seq).values({column: new_value}))
        v = wf.queries.verify()
        assert not v.ok and v.first_bad_seq == seq and "changed" in v.problem, column
        _tamper(wf, update(events).where(events.c.seq == seq).values({column: original[column]}))
        assert wf.queries.verify().ok, column


def test_shifting_an_events_time_by_one_microsecond_is_detected(wf, people):
    n = _build_history(wf, people)
    seq = n // 2
    at = _event(wf, seq).at
    _tamper(wf, update(events).where(events.c.seq == seq).values(at=at + dt.timedelta(microseconds=1)))
    v = wf.queries.verify()
    assert not v.ok and v.first_bad_seq == seq


def test_editing_a_payload_and_rehashing_that_event_is_caught_at_the_next_event(wf, people):
    n = _build_history(wf, people)
    seq = n - 5
    e = _event(wf, seq)
    forged_payload = audit.canonical({"step": "criteria", "fields": {"seats": 99}, "cleared": []})
    h = audit.event_hash(seq, e.prev_hash, e.case_id, e.at, e.actor_id, e.actor, e.role, e.unit_id, e.kind,
                         e.from_state, e.to_state, forged_payload)
    _tamper(wf, update(events).where(events.c.seq == seq).values(payload=forged_payload, hash=h))
    v = wf.queries.verify()
    assert not v.ok and v.first_bad_seq == seq + 1 and "does not follow" in v.problem


def test_deleting_a_middle_event_is_reported_missing_with_its_seq(wf, people):
    n = _build_history(wf, people)
    seq = n // 2
    _tamper(wf, delete(events).where(events.c.seq == seq))
    v = wf.queries.verify()
    assert not v.ok and v.first_bad_seq == seq and "missing" in v.problem and v.events == seq - 1


def test_deleting_the_newest_events_is_detected_through_the_chain_head(wf, people):
    n = _build_history(wf, people)
    _tamper(wf, delete(events).where(events.c.seq > n - 3))
    v = wf.queries.verify()
    assert not v.ok and v.events == n - 3 and v.head_seq == n
    assert v.first_bad_seq == n - 2 and "chain head" in v.problem


def test_deleting_only_the_newest_event_is_detected(wf, people):
    n = _build_history(wf, people)
    _tamper(wf, delete(events).where(events.c.seq == n))
    v = wf.queries.verify()
    assert not v.ok and v.first_bad_seq == n


def test_swapping_two_events_seqs_is_detected_as_reordering(wf, people):
    n = _build_history(wf, people)
    a, b = n - 6, n - 5
    _tamper(wf, update(events).where(events.c.seq == a).values(seq=-1),
            update(events).where(events.c.seq == b).values(seq=a),
            update(events).where(events.c.seq == -1).values(seq=b))
    v = wf.queries.verify()
    assert not v.ok and v.first_bad_seq == a and "does not follow" in v.problem


def _forge(seq: int, prev: str, case_id: int | None = None) -> dict:
    at = dt.datetime(2026, 1, 20, 8, 0, tzinfo=dt.timezone.utc)
    payload = audit.canonical({"step": "decision", "to": "announcement"})
    row = dict(seq=seq, case_id=case_id, at=at, actor_id=None, actor="lead", role="supervisor", unit_id=None,
               kind="approved", from_state="decision", to_state="announcement", payload=payload, prev_hash=prev)
    row["hash"] = audit.event_hash(seq, prev, case_id, at, None, "lead", "supervisor", None, "approved",
                                   "decision", "announcement", payload)
    return row


def test_a_forged_event_appended_with_a_correct_looking_hash_is_detected(wf, people):
    n = _build_history(wf, people)
    last = _event(wf, n)
    _tamper(wf, events.insert().values(**_forge(n + 1, last.hash, last.case_id)))
    v = wf.queries.verify()
    assert not v.ok and "chain head" in v.problem and v.events == n + 1


def test_a_forged_event_appended_past_the_chain_head_is_the_one_named(wf, people):
    n = _build_history(wf, people)
    last = _event(wf, n)
    _tamper(wf, events.insert().values(**_forge(n + 1, last.hash, last.case_id)))
    v = wf.queries.verify()
    assert not v.ok and v.first_bad_seq == n + 1


def test_a_forged_event_put_in_place_of_a_deleted_one_is_detected_at_the_seam(wf, people):
    n = _build_history(wf, people)
    seq = n - 4
    before = _event(wf, seq - 1)
    _tamper(wf, delete(events).where(events.c.seq == seq),
            events.insert().values(**_forge(seq, before.hash, before.case_id)))
    v = wf.queries.verify()
    # the forgery is self-consistent; the chain breaks where the next genuine event points back
    assert not v.ok and v.first_bad_seq in (seq, seq + 1) and v.events < n


def test_an_altered_chain_head_is_detected(wf, people):
    n = _build_history(wf, people)
    _tamper(wf, update(chain_head).where(chain_head.c.id == 1).values(hash="f" * 64))
    v = wf.queries.verify()
    assert not v.ok and v.events == n and "chain head" in v.problem


def test_verify_is_refused_to_staff_and_open_to_auditors(wf, people):
    _build_history(wf, people)
    with pytest.raises(WorkflowError) as e:
        wf.queries.verify(people.staff)
    assert e.value.code == "forbidden"
    assert wf.queries.verify(people.province_auditor).ok and wf.queries.verify(people.admin).ok


# ---- the CLI ---------------------------------------------------------------------------------------

def _flask(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_audit_verify_exits_1_on_a_tampered_sqlite_database_and_names_the_first_bad_seq(tmp_path):
    db = tmp_path / "cadreflow.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "CADREFLOW_INSTANCE": str(tmp_path / "instance"),
           "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("FLASK_APP", None)
    r = _flask(["init-db"], env)
    assert r.returncode == 0, r.stderr
    store = Store(f"sqlite:///{db}")
    try:
        wf = Workflow(store, load_folder(ROOT / "definitions"))
        unit = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam", "Huyện ủy Duy Xuyên"])
        staff = wf.people.create_user(None, "staff", PASSWORD, "staff", unit).id
        cid = wf.cases.open_case(staff, "committee-personnel", "Hồ sơ kiểm tra CLI").case["id"]
        wf.cases.record(staff, cid, CRITERIA)
        wf.cases.advance(staff, cid)
        with store.core() as c:
            n = c.execute(select(func.count()).select_from(events)).scalar_one()
    finally:
        store.dispose()

    r = _flask(["audit", "verify"], env)
    assert r.returncode == 0 and f"{n} events" in r.stdout, (r.stdout, r.stderr)

    store = Store(f"sqlite:///{db}")
    try:
        with store.core() as c:
            c.execute(update(events).where(events.c.seq == n - 1).values(payload='{"fields":{"seats":99}}'))
    finally:
        store.dispose()
    r = _flask(["audit", "verify"], env)
    assert r.returncode == 1 and f"RECORD BROKEN at event {n - 1}" in r.stdout, (r.stdout, r.stderr)
    r = _flask(["audit", "verify", "--json"], env)
    out = json.loads(r.stdout)
    assert r.returncode == 1 and out["ok"] is False and out["first_bad_seq"] == n - 1


# ---- one event per change -------------------------------------------------------------------------

class _Log:
    def __init__(self, wf: Workflow):
        self.wf = wf

    def seq(self) -> int:
        with self.wf.store.core() as c:
            return c.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one()

    def since(self, seq: int) -> list:
        with self.wf.store.core() as c:
            return c.execute(select(events).where(events.c.seq > seq).order_by(events.c.seq)).all()


def _one_event(wf, user_id, call, *, kind, from_state, to_state, case_id=None):
    log = _Log(wf)
    before = log.seq()
    result = call()
    new = log.since(before)
    assert len(new) == 1, f"{kind}: {[e.kind for e in new]}"
    e = new[0]
    u = wf.directory.get_user(user_id)
    assert (e.kind, e.actor_id, e.actor, e.role, e.unit_id) == (kind, u.id, u.username, u.role, u.unit_id)
    assert (e.from_state, e.to_state) == (from_state, to_state), kind
    cid = case_id if case_id is not None else result.case["id"]
    assert e.case_id == cid and result.event_seq == e.seq
    return result


def test_every_case_action_appends_exactly_one_event_naming_actor_role_unit_and_states(wf, people):
    s, s2, lead, lead2 = people.staff, people.staff2, people.supervisor, people.supervisor2
    cid = _one_event(wf, s, lambda: wf.cases.open_case(s, "committee-personnel", "Một sự kiện mỗi thao tác"),
                     kind="case_opened", from_state=None, to_state="criteria").case["id"]
    one = lambda user, call, kind, frm, to: _one_event(wf, user, call, kind=kind, from_state=frm,  # noqa: E731
                                                      to_state=to, case_id=cid)
    one(s, lambda: wf.cases.record(s, cid, CRITERIA), "form_recorded", "criteria", "criteria")
    one(s2, lambda: wf.cases.attach(s2, cid, "bb.pdf", b"%PDF minutes", doc_type="minutes"),
        "document_attached", "criteria", "criteria")
    one(s, lambda: wf.cases.advance(s, cid), "advanced", "criteria", "members-conference")
    t = tally(30, {"Nguyễn Văn A": {"agree": 20}, "Trần Thị B": {"agree": 16}})
    one(s, lambda: wf.cases.tally(s, cid, t), "tally_recorded", "members-conference", "members-conference")
    one(s, lambda: wf.cases.advance(s, cid), "advanced", "members-conference", "block-conference")
    one(lead, lambda: wf.cases.return_case(lead, cid, "thiếu biên bản", to="members-conference"),
        "returned", "block-conference", "members-conference")
    wf.cases.tally(s, cid, t)
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, t)
    wf.cases.advance(s, cid)
    wf.cases.record(s, cid, {"appraisal": "Đạt", "submission_no": "12-TTr/HU", "submission_date": "2026-01-10"})
    wf.cases.advance(s, cid)
    wf.cases.record(s, cid, {"decision_no": "45-QĐ/HU", "decision_date": "2026-01-12", "appointees": "A – bí thư"})
    one(s, lambda: wf.cases.request_approval(s, cid, comment="kính trình"), "approval_requested", "decision", "decision")
    one(lead, lambda: wf.cases.return_case(lead, cid, "bổ sung hồ sơ"), "returned", "decision", "decision")
    one(s, lambda: wf.cases.advance(s, cid), "approval_requested", "decision", "decision")
    one(lead2, lambda: wf.cases.approve(lead2, cid), "approved", "decision", "announcement")
    one(s, lambda: wf.cases.announce(s, cid, ANNOUNCEMENT), "announcement_published", "announcement", "announcement")
    one(s, lambda: wf.cases.advance(s, cid), "advanced", "announcement", "first-meeting")
    wf.cases.tally(s, cid, tally(9, {"Nguyễn Văn A": {"agree": 9}}))
    wf.cases.record(s, cid, {"assignments": "Phân công"})
    one(s, lambda: wf.cases.advance(s, cid), "completed", "first-meeting", "completed")

    other = wf.cases.open_case(s2, "committee-personnel", "Hồ sơ sẽ hủy").case["id"]
    _one_event(wf, lead2, lambda: wf.cases.cancel(lead2, other, "trùng"), kind="cancelled", from_state="criteria",
               to_state="cancelled", case_id=other)
    assert wf.queries.verify().ok


def test_a_head_decision_appends_exactly_one_event(wf, people):
    s, lead = people.staff, people.supervisor
    cid = wf.cases.open_case(s, "appointment-internal", "Bổ nhiệm phó giám đốc").case["id"]
    wf.cases.record(s, cid, APPT_C1)
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally(20, {"Lê Văn C": {"agree": 15}, "Phạm Thị D": {"agree": 5}}))
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally(10, {"Lê Văn C": {"agree": 8}}))
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally(30, {"Lê Văn C": {"agree": 25, "disagree": 5}}))
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally(10, {"Lê Văn C": {"agree": 5, "disagree": 5}}, members=10))
    r = _one_event(wf, lead, lambda: wf.cases.head_decision(lead, cid, "Lê Văn C", True, comment="đồng ý"),
                   kind="head_decision", from_state="collective-3", to_state="collective-3", case_id=cid)
    assert r.case["awaiting"] is None


def test_sign_in_events_name_the_user_and_failures_are_recorded(wf, people):
    log = _Log(wf)
    before = log.seq()
    wf.people.authenticate("staff", PASSWORD, source="127.0.0.1")
    with pytest.raises(WorkflowError):
        wf.people.authenticate("staff", "wrong password!", source="127.0.0.1")
    new = log.since(before)
    assert [(e.kind, e.actor, e.role, e.unit_id, e.case_id) for e in new] == [
        ("signed_in", "staff", "staff", people.district_a, None),
        ("sign_in_failed", "staff", "staff", people.district_a, None)]
    assert json.loads(new[1].payload)["reason"] == "bad_password"


def test_a_clock_in_vietnam_time_stores_the_right_instant_and_keeps_the_chain_intact(wf, people):
    """Workflow(clock=…) may hand back any aware datetime; the record must hold the same instant."""
    ict = dt.timezone(dt.timedelta(hours=7))
    at = dt.datetime(2026, 2, 13, 9, 0, tzinfo=ict)
    w = Workflow(wf.store, wf.registry, clock=lambda: at)
    cid = w.cases.open_case(people.staff, "committee-personnel", "Giờ Việt Nam").case["id"]
    assert w.queries.history(people.staff, cid)[0]["at"] == at                 # the same instant (02:00 UTC)
    v = w.queries.verify()
    assert v.ok, v.problem


def test_an_event_committed_while_the_chain_is_verified_is_not_taken_for_tampering(wf, people, monkeypatch):
    """The verifier reads the chain head, then the events: staff at work in between must not make
    the record look altered (on PostgreSQL this needs one snapshot: REPEATABLE READ)."""
    from workflow.adapters import eventlog
    cid = wf.cases.open_case(people.staff, "committee-personnel", "Kiện toàn").case["id"]
    before = wf.queries.verify(people.auditor).events
    fired = []

    class WriteMeanwhile(eventlog.Walk):
        """The walk starts once the head is read and before any event is: write then."""
        def __init__(self, *args):
            if not fired:
                fired.append(True)
                wf.cases.record(people.staff, cid, CRITERIA)        # another connection, committed at once
            super().__init__(*args)
    monkeypatch.setattr(eventlog, "Walk", WriteMeanwhile)
    v = wf.queries.verify(people.auditor)
    monkeypatch.undo()
    assert fired and v.ok, v.problem
    assert v.events == v.head_seq == before              # what was committed when it began
    assert wf.queries.verify(people.auditor).events == before + 1

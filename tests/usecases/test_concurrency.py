"""Two writers, one case, exactly one winner — on SQLite and on PostgreSQL.

Every thread calls the service itself, so each one takes its own connection from the store's
engine (SQLite: a new connection per unit of work; PostgreSQL: one from the pool). Threads start
together on a Barrier; every wait and join is bounded, so a hang fails instead of blocking."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from workflow.adapters.repository import CaseRepository, Keys
from workflow.usecases import people as people_module
from workflow.domain.errors import Validation, VersionConflict, WorkflowError
from workflow.usecases.common import ActionResult
from workflow.usecases.engine import Workflow
from workflow.adapters.tables import events, records
from tests.support import CRITERIA

WAIT = 60          # seconds: the bound for every barrier wait and thread join (never reached when healthy)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """The `people` fixture hashes 14 passwords; a lower scrypt cost keeps these tests fast.
    Hashes stay real scrypt hashes, checked with the parameters stored in them."""
    monkeypatch.setattr("workflow.domain.credentials.SCRYPT_N", 2 ** 8)


def _race(*calls, barrier: threading.Barrier | None = None) -> list:
    """Run the calls in threads that start at the same moment; return each one's result or the
    WorkflowError it raised. Any other exception fails the test."""
    barrier = barrier or threading.Barrier(len(calls), timeout=WAIT)
    out: list = [None] * len(calls)
    crashed: list[BaseException] = []

    def run(i, call):
        try:
            barrier.wait()
            out[i] = call()
        except WorkflowError as e:
            out[i] = e
        except BaseException as e:  # noqa: BLE001 - reported below, in the test's thread
            crashed.append(e)

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    if crashed:
        raise crashed[0]
    return out


def _case_events(wf: Workflow, case_id: int) -> list[tuple]:
    with wf.store.core() as c:
        return c.execute(select(events.c.seq, events.c.kind).where(events.c.case_id == case_id)
                         .order_by(events.c.seq)).all()


def _version(wf: Workflow, actor: int, case_id: int) -> int:
    return wf.queries.get_case(actor, case_id, history=False).summary.row_version


def _open(wf, people, title="Kiện toàn đảng bộ khối cơ quan") -> int:
    return wf.cases.open_case(people.staff, "committee-personnel", title).case["id"]


# ---- (a) same expected_version: exactly one winner ----------------------------------------------

def test_two_records_with_the_same_expected_version_one_wins_one_gets_version_conflict_20_rounds(wf, people):
    cid = _open(wf, people)
    wins = 0
    for rnd in range(20):
        v = _version(wf, people.staff, cid)
        res = _race(
            lambda: wf.cases.record(people.staff, cid, {"criteria": f"vòng {rnd} – người 1"}, expected_version=v,
                                    reason="sửa"),
            lambda: wf.cases.record(people.staff2, cid, {"criteria": f"vòng {rnd} – người 2"}, expected_version=v,
                                    reason="sửa"))
        ok = [r for r in res if isinstance(r, ActionResult)]
        lost = [r for r in res if isinstance(r, WorkflowError)]
        assert len(ok) == 1 and len(lost) == 1, f"round {rnd}: {res}"
        assert isinstance(lost[0], VersionConflict) and lost[0].code == "version_conflict"
        assert ok[0].case["version"] == v + 1
        # the stored form is the winner's, not a mix and not the loser's
        winner = 0 if isinstance(res[0], ActionResult) else 1
        form = wf.queries.get_case(people.staff, cid, history=False).steps["criteria"].form
        assert form["criteria"] == f"vòng {rnd} – người {winner + 1}"
        wins += 1
    assert _version(wf, people.staff, cid) == 1 + wins == 21
    evs = _case_events(wf, cid)
    assert [k for _, k in evs] == ["case_opened"] + ["form_recorded"] * wins
    v = wf.queries.verify()
    assert v.ok, v.problem


def test_advance_racing_a_record_on_the_same_version_exactly_one_applies(wf, people):
    for rnd in range(5):
        cid = _open(wf, people, f"Hồ sơ {rnd}")
        wf.cases.record(people.staff, cid, CRITERIA)
        res = _race(lambda: wf.cases.advance(people.staff, cid, expected_version=2),
                    lambda: wf.cases.record(people.staff2, cid, {"structure": "11 đồng chí"}, expected_version=2,
                                            reason="sửa"))
        ok = [r for r in res if isinstance(r, ActionResult)]
        assert len(ok) == 1, res
        assert all(r.code == "version_conflict" for r in res if isinstance(r, WorkflowError))
        detail = wf.queries.get_case(people.staff, cid, history=False)
        assert detail.summary.row_version == 3
        if isinstance(res[0], ActionResult):       # advance won: the step moved, the old form stands
            assert detail.summary.state == "members-conference"
            assert detail.steps["criteria"].form["structure"] == "9 đồng chí"
        else:                                      # record won: still on the first step
            assert detail.summary.state == "criteria"
            assert detail.steps["criteria"].form["structure"] == "11 đồng chí"
        assert len(_case_events(wf, cid)) == 3
    assert wf.queries.verify().ok


# ---- (b) no expected_version: the UPDATE … WHERE version = ? guard ------------------------------

def test_concurrent_records_without_expected_version_never_apply_twice_on_one_base_version(wf, people):
    cid = _open(wf, people)
    threads, per_thread = 4, 8
    barrier = threading.Barrier(threads, timeout=WAIT)
    outcomes: list = []
    lock = threading.Lock()
    crashed: list[BaseException] = []

    def writer(i):
        actor = people.staff if i % 2 == 0 else people.staff2
        try:
            barrier.wait()
            for n in range(per_thread):
                try:
                    r = wf.cases.record(actor, cid, {"criteria": f"luồng {i} lần {n}", "seats": i * 100 + n},
                                       reason="sửa")
                except VersionConflict as e:
                    r = e
                with lock:
                    outcomes.append(r)
        except BaseException as e:  # noqa: BLE001
            crashed.append(e)

    ts = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(WAIT)
    assert not any(t.is_alive() for t in ts) and not crashed, crashed
    assert len(outcomes) == threads * per_thread
    applied = [r for r in outcomes if isinstance(r, ActionResult)]
    assert applied, "at least one writer must get through"
    if wf.store.is_sqlite:
        # BEGIN IMMEDIATE: SQLite writers queue, each reads the version the previous one wrote
        assert len(applied) == threads * per_thread
    # every success moved the case one version further: no two applied on the same base version
    assert sorted(r.case["version"] for r in applied) == list(range(2, 2 + len(applied)))
    assert _version(wf, people.staff, cid) == 1 + len(applied)
    assert len(_case_events(wf, cid)) == 1 + len(applied)
    with wf.store.core() as c:
        forms = c.execute(select(records.c.superseded, func.count()).where(
            records.c.case_id == cid, records.c.kind == "form").group_by(records.c.superseded)).all()
    assert dict((bool(s), n) for s, n in forms) == {False: 1, True: len(applied) - 1}
    assert wf.queries.verify().ok


# ---- (c) idempotency ------------------------------------------------------------------------------

def test_the_same_idempotency_key_twice_in_a_row_applies_once_and_replays_the_first_result(wf, people):
    cid = _open(wf, people)
    first = wf.cases.record(people.staff, cid, CRITERIA, idempotency_key="form-1")
    again = wf.cases.record(people.staff, cid, CRITERIA, idempotency_key="form-1")
    assert first.replayed is False and again.replayed is True
    assert again.case == first.case and again.event_seq == first.event_seq
    assert _version(wf, people.staff, cid) == 2
    assert [k for _, k in _case_events(wf, cid)] == ["case_opened", "form_recorded"]


def test_opening_a_case_twice_with_one_idempotency_key_opens_one_case(wf, people):
    a = wf.cases.open_case(people.staff, "committee-personnel", "Một hồ sơ", idempotency_key="open-1")
    b = wf.cases.open_case(people.staff, "committee-personnel", "Một hồ sơ", idempotency_key="open-1")
    assert b.replayed and b.case["id"] == a.case["id"] and b.event_seq == a.event_seq
    assert wf.queries.list_cases(people.staff).total == 1


def test_an_idempotency_key_reused_for_a_different_request_is_refused_and_changes_nothing(wf, people):
    cid = _open(wf, people)
    wf.cases.record(people.staff, cid, CRITERIA, idempotency_key="k")
    with pytest.raises(Validation) as e:
        wf.cases.record(people.staff, cid, {**CRITERIA, "seats": 11}, idempotency_key="k")
    assert e.value.code == "validation" and "idempotency_key" in e.value.fields
    with pytest.raises(Validation):      # another action under the same key is a different request too
        wf.cases.advance(people.staff, cid, idempotency_key="k")
    assert _version(wf, people.staff, cid) == 2
    assert wf.queries.get_case(people.staff, cid, history=False).steps["criteria"].form["seats"] == 9
    assert len(_case_events(wf, cid)) == 2


def test_idempotency_keys_are_per_user_another_user_may_reuse_a_key(wf, people):
    cid = _open(wf, people)
    mine = wf.cases.record(people.staff, cid, {"criteria": "của người 1"}, idempotency_key="shared")
    theirs = wf.cases.record(people.staff2, cid, {"criteria": "của người 2"}, idempotency_key="shared",
                             reason="sửa")
    assert not mine.replayed and not theirs.replayed
    assert theirs.event_seq != mine.event_seq and theirs.case["version"] == 3
    assert len(_case_events(wf, cid)) == 3


def test_a_malformed_idempotency_key_is_a_validation_error(wf, people):
    cid = _open(wf, people)
    for bad in ("", "x" * 201, 42):
        with pytest.raises(Validation) as e:
            wf.cases.record(people.staff, cid, CRITERIA, idempotency_key=bad)
        assert "idempotency_key" in e.value.fields
    assert _version(wf, people.staff, cid) == 1


def _count_replays(monkeypatch) -> list:
    """Spy on the idempotency keys' lookup: every call's answer (None = the key was not found)."""
    calls: list = []
    real = Keys.replay

    def spy(self, actor_id, key):
        r = real(self, actor_id, key)
        calls.append(r)
        return r
    monkeypatch.setattr(Keys, "replay", spy)
    return calls


def _both_inside(monkeypatch, method: str, barrier: threading.Barrier) -> None:
    """PostgreSQL only: hold each writer inside its transaction, after `method` returned, until
    both are there — so neither has seen the other's key and the race is certain. (On SQLite
    BEGIN IMMEDIATE lets one writer in at a time: that is its guarantee, and the hold would only
    wait.) If the engine itself serialises the two, the barrier breaks and both go on."""
    real = getattr(CaseRepository, method)

    def held(self, *a, **kw):
        r = real(self, *a, **kw)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return r
    monkeypatch.setattr(CaseRepository, method, held)


def test_concurrent_open_with_one_idempotency_key_opens_one_case_and_the_loser_replays(wf, people, monkeypatch):
    wf.cases.open_case(people.staff, "committee-personnel", "Ghim phiên bản quy trình")   # definition pinned first
    replays = _count_replays(monkeypatch)
    if not wf.store.is_sqlite:
        _both_inside(monkeypatch, "pin", threading.Barrier(2, timeout=5))
    call = lambda: wf.cases.open_case(people.staff, "committee-personnel", "Hồ sơ gửi hai lần",  # noqa: E731
                                idempotency_key="open-twice")
    res = _race(call, call)
    assert all(isinstance(r, ActionResult) for r in res), res
    assert sorted(r.replayed for r in res) == [False, True]
    assert res[0].case == res[1].case and res[0].event_seq == res[1].event_seq
    assert wf.queries.list_cases(people.staff, text="gửi hai lần").total == 1
    with wf.store.core() as c:
        assert c.execute(select(func.count()).select_from(events).where(events.c.kind == "case_opened")).scalar() == 2
    if not wf.store.is_sqlite:
        # both checked the key and found nothing; the loser's INSERT of the key hit the primary key
        # (IntegrityError), its transaction rolled back, and the retry found the winner's answer
        assert len(replays) == 3 and replays[0] is None and replays[1] is None and replays[2] is not None
    else:
        assert len(replays) == 2 and sum(r is not None for r in replays) == 1
    assert wf.queries.verify().ok


def test_concurrent_record_with_one_idempotency_key_applies_once_and_the_loser_replays(wf, people, monkeypatch):
    cid = _open(wf, people)
    if not wf.store.is_sqlite:
        _both_inside(monkeypatch, "user_and_case", threading.Barrier(2, timeout=5))
    call = lambda: wf.cases.record(people.staff, cid, CRITERIA, idempotency_key="form-twice")  # noqa: E731
    res = _race(call, call)
    assert all(isinstance(r, ActionResult) for r in res), res
    assert sorted(r.replayed for r in res) == [False, True]
    assert res[0].case == res[1].case and res[0].event_seq == res[1].event_seq
    assert [k for _, k in _case_events(wf, cid)] == ["case_opened", "form_recorded"]


def test_keyed_writers_racing_on_one_version_the_loser_gets_version_conflict_not_anothers_replay(wf, people):
    cid = _open(wf, people)
    for rnd in range(10):
        v = _version(wf, people.staff, cid)
        res = _race(lambda: wf.cases.record(people.staff, cid, {"criteria": f"{rnd}-1"}, expected_version=v,
                                            idempotency_key=f"r{rnd}", reason="sửa"),
                    lambda: wf.cases.record(people.staff2, cid, {"criteria": f"{rnd}-2"}, expected_version=v,
                                            idempotency_key=f"r{rnd}", reason="sửa"))
        ok = [r for r in res if isinstance(r, ActionResult)]
        assert len(ok) == 1 and not ok[0].replayed, res
        assert [r.code for r in res if isinstance(r, WorkflowError)] == ["version_conflict"]
    assert len(_case_events(wf, cid)) == 11


def test_a_refused_request_does_not_use_up_its_idempotency_key(wf, people):
    cid = _open(wf, people)
    with pytest.raises(VersionConflict):
        wf.cases.record(people.staff, cid, CRITERIA, expected_version=7, idempotency_key="retry-me")
    with pytest.raises(Validation):
        wf.cases.record(people.staff, cid, {"seats": "chín"}, idempotency_key="retry-me-2")
    r = wf.cases.record(people.staff, cid, CRITERIA, expected_version=1, idempotency_key="retry-me")
    assert r.replayed is False and r.case["version"] == 2
    r = wf.cases.record(people.staff, cid, {"seats": 7}, idempotency_key="retry-me-2", reason="sửa")
    assert r.replayed is False and r.case["version"] == 3
    assert len(_case_events(wf, cid)) == 3


def _awaiting_approval(wf, people, title) -> int:
    s = people.staff
    cid = _open(wf, people, title)
    tally = {"summoned": 30, "present": 25, "issued": 25, "collected": 25, "valid": 25, "invalid": 0,
             "candidates": {"Nguyễn Văn A": {"agree": 20, "disagree": 5}}}
    wf.cases.record(s, cid, CRITERIA)
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally)
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, tally)
    wf.cases.advance(s, cid)
    wf.cases.record(s, cid, {"appraisal": "Đạt", "submission_no": "12-TTr/HU", "submission_date": "2026-01-10"})
    wf.cases.advance(s, cid)
    wf.cases.record(s, cid, {"decision_no": "45-QĐ/HU", "decision_date": "2026-01-12", "appointees": "A – bí thư"})
    assert wf.cases.advance(s, cid).case["awaiting"] == "approval"
    return cid


@pytest.mark.parametrize("second", ["approve", "return"])
def test_two_supervisors_answering_one_approval_at_once_only_one_answer_counts(wf, people, second):
    for rnd in range(3):
        cid = _awaiting_approval(wf, people, f"Phê duyệt {second} {rnd}")
        other = (lambda: wf.cases.approve(people.supervisor2, cid)) if second == "approve" else \
            (lambda: wf.cases.return_case(people.supervisor2, cid, "chưa đủ hồ sơ"))
        res = _race(lambda: wf.cases.approve(people.supervisor, cid), other)
        ok = [r for r in res if isinstance(r, ActionResult)]
        assert len(ok) == 1, res
        assert [r.code for r in res if isinstance(r, WorkflowError)][0] in ("version_conflict", "not_allowed")
        d = wf.queries.get_case(people.staff, cid, history=True)
        answers = [e["kind"] for e in d.history if e["kind"] in ("approved", "returned")]
        assert len(answers) == 1
        # approved once moves exactly one step; declined stays on the decision step
        assert d.summary.state == ("announcement" if answers == ["approved"] else "decision")
        assert d.summary.awaiting is None
    assert wf.queries.verify().ok


# ---- races outside case actions --------------------------------------------------------------------

def _hold_briefly(monkeypatch, owner, name: str, barrier: threading.Barrier) -> None:
    """Let the racing threads meet inside `owner.name` (a function or method) when they can all get
    there; if the engine lets only one in at a time, the barrier breaks after its short timeout
    and everyone goes on — so a correct engine passes instead of deadlocking."""
    real = getattr(owner, name)

    def held(*a, **kw):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return real(*a, **kw)
    monkeypatch.setattr(owner, name, held)


def test_parallel_wrong_passwords_cannot_get_more_than_five_guesses_before_the_lock(wf, people, monkeypatch):
    n = 10
    if not wf.store.is_sqlite:
        _hold_briefly(monkeypatch, people_module, "check_password", threading.Barrier(n, timeout=1.5))
    res = _race(*[lambda i=i: wf.people.authenticate("staff", f"guess number {i}") for i in range(n)])
    reasons = sorted(r.params["reason"] for r in res)
    assert reasons.count("bad_password") <= 5 and reasons.count("locked") >= n - 5, reasons
    with pytest.raises(WorkflowError) as e:
        wf.people.authenticate("staff", "correct horse battery")
    assert e.value.params["reason"] == "locked"


def test_two_first_cases_of_a_procedure_opened_at_once_both_open(wf, people, monkeypatch):
    """The first case of a definition version pins its fingerprint; two staff doing that at the
    same moment must both get their case (not a raw database error)."""
    if not wf.store.is_sqlite:
        _hold_briefly(monkeypatch, CaseRepository, "pin", threading.Barrier(2, timeout=1.5))
    out: list = []

    def open_as(uid, title):
        try:
            return wf.cases.open_case(uid, "committee-personnel", title)
        except Exception as e:  # noqa: BLE001 - a raw database error is what this test is about
            return e
    res = _race(lambda: out.append(open_as(people.staff, "Hồ sơ 1")),
                lambda: out.append(open_as(people.staff2, "Hồ sơ 2")))
    assert res == [None, None]
    assert all(isinstance(r, ActionResult) for r in out), out
    assert wf.queries.list_cases(people.staff).total == 2

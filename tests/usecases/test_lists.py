"""The case list and the auditor's search: the pager's capped count (exact up to COUNT_WINDOW
matches past the page, a lower bound beyond), and the unit scope, with the shortcut a user at the
only top unit takes (no scope condition) and the case where a second top unit exists."""
from __future__ import annotations

import pytest

from workflow.adapters import queries
from workflow.domain.definition import Registry
from workflow.domain.errors import AuthFailed
from tests.support import PASSWORD


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    monkeypatch.setattr("workflow.domain.credentials.SCRYPT_N", 2 ** 8)


@pytest.fixture
def small_window(monkeypatch):
    monkeypatch.setattr(queries, "COUNT_WINDOW", 5)


def _open(wf, staff, n, title="Bổ nhiệm đồng chí"):
    return [wf.cases.open_case(staff, "appointment-internal", f"{title} {i}").case["id"] for i in range(n)]


@pytest.mark.parametrize("page, total, exact, items", [
    (1, 5, False, 2),      # counted 5 past offset 0, there is more
    (3, 9, False, 2),      # offset 4 + 5
    (4, 11, False, 2),     # offset 6 + 5 = 11 < 12: still a lower bound
    (5, 12, True, 2),      # offset 8 + 5 = 13 >= 12: exact
    (6, 12, True, 2),      # the last page
    (7, 12, True, 0),      # past the end: nothing, and the true total
])
def test_the_case_list_counts_at_most_the_window_past_the_page(wf, people, small_window, page, total, exact, items):
    _open(wf, people.staff, 12)
    p = wf.queries.list_cases(people.province_auditor, page=page, per_page=2)
    assert (p.total, p.exact, len(p.items)) == (total, exact, items)
    assert p.has_next == (page < p.pages)
    if not exact:
        assert p.has_next          # a lower bound always leaves a next page to go to


def test_exactly_the_window_is_an_exact_count(wf, people, small_window):
    _open(wf, people.staff, 5)
    p = wf.queries.list_cases(people.staff, per_page=2)
    assert (p.total, p.exact, p.pages) == (5, True, 3)
    _open(wf, people.staff, 1, "Thêm")
    p = wf.queries.list_cases(people.staff, per_page=2)
    assert (p.total, p.exact) == (5, False)


def test_pages_of_a_capped_list_are_disjoint_and_ordered(wf, people, small_window):
    ids = _open(wf, people.staff, 7)
    seen = []
    page = 1
    while True:
        p = wf.queries.list_cases(people.staff, page=page, per_page=3)
        seen += [c.id for c in p.items]
        if not p.has_next:
            break
        page += 1
    assert seen == sorted(ids, reverse=True)       # newest first, each case once


def test_the_audit_search_counts_at_most_the_window(wf, people, small_window):
    _open(wf, people.staff, 4)
    p = wf.queries.search_events(people.province_auditor, per_page=2)
    assert (p.total, p.exact, len(p.items)) == (5, False, 2)
    # a page longer than the window: counted past the page, so every item is there and counted
    everything = wf.queries.search_events(people.province_auditor, per_page=500)
    assert (everything.total, everything.exact, len(everything.items)) == (18, True, 18)
    p = wf.queries.search_events(people.province_auditor, per_page=10)
    assert (p.total, p.exact, len(p.items), p.has_next) == (11, False, 10, True)


def test_a_second_top_unit_is_outside_the_first_ones_tree(wf, people):
    """The province auditor of Quảng Nam sees every case while Quảng Nam is the only top unit;
    once Đà Nẵng exists, its cases and its sign-in failures are not theirs."""
    mine = _open(wf, people.staff, 1)[0]
    before = {c.id for c in wf.queries.list_cases(people.province_auditor).items}
    assert mine in before
    dn = wf.people.find_or_create_unit_path(["Thành ủy Đà Nẵng"])
    dn_staff = wf.people.create_user(None, "staff_dn", PASSWORD, "staff", dn).id
    dn_audit = wf.people.create_user(None, "audit_dn", PASSWORD, "auditor", dn).id
    theirs = wf.cases.open_case(dn_staff, "appointment-internal", "Đà Nẵng 1").case["id"]
    with pytest.raises(AuthFailed):
        wf.people.authenticate("staff_dn", "wrong password")

    qn = wf.queries.list_cases(people.province_auditor)
    assert mine in {c.id for c in qn.items} and theirs not in {c.id for c in qn.items}
    assert wf.queries.list_cases(people.province_auditor, text="Đà Nẵng").total == 0
    qn_events = wf.queries.search_events(people.province_auditor, per_page=500).items
    assert not [e for e in qn_events if e["case_id"] == theirs]
    assert not [e for e in qn_events if e["actor"] in ("staff_dn", "audit_dn")]

    dn_list = wf.queries.list_cases(dn_audit)
    assert [c.id for c in dn_list.items] == [theirs] and dn_list.total == 1 and dn_list.exact
    dn_events = wf.queries.search_events(dn_audit, per_page=500).items
    assert {e["case_id"] for e in dn_events if e["case_id"]} == {theirs}
    assert "sign_in_failed" in {e["kind"] for e in dn_events}


def test_the_only_top_units_auditor_sees_every_event_and_a_supervisor_only_case_events(wf, people):
    cid = _open(wf, people.staff_b, 1)[0]
    with pytest.raises(AuthFailed):
        wf.people.authenticate("nobody-at-all", "x")           # no user, no unit
    with pytest.raises(AuthFailed):
        wf.people.authenticate("staff_b", "wrong password")
    kinds = {e["kind"] for e in wf.queries.search_events(people.province_auditor, per_page=500).items}
    assert {"case_opened", "sign_in_failed"} <= kinds
    actors = {e["actor"] for e in wf.queries.search_events(people.province_auditor, kind="sign_in_failed").items}
    assert actors == {"nobody-at-all", "staff_b"}
    # a supervisor at the top sees the events of cases only
    top_lead = wf.people.create_user(None, "lead_p", PASSWORD, "supervisor", people.province).id
    got = wf.queries.search_events(top_lead, per_page=500).items
    assert got and all(e["case_id"] is not None for e in got)
    assert cid in {e["case_id"] for e in got}
    # and a district auditor sees neither the other district's case nor its sign-in failure
    a_events = wf.queries.search_events(people.auditor, per_page=500).items
    assert cid not in {e["case_id"] for e in a_events}
    assert "staff_b" not in {e["actor"] for e in a_events}


# ---- deep pages and the work queue against a plain reference ---------------------------------------

import datetime as dt  # noqa: E402

from sqlalchemy import insert, select  # noqa: E402

from workflow.adapters.tables import cases, units  # noqa: E402

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _bulk(wf, people, n: int) -> None:
    """n cases written directly: two districts, two procedures, open and completed, three cases to
    each updated_at and to each step_started_at (ties the order breaks by id), every fifth awaiting
    an approval."""
    rows = []
    for i in range(n):
        key = "committee-personnel" if i % 3 else "appointment-internal"
        status = "open" if i % 4 else "completed"
        rows.append(dict(definition_key=key, definition_version=1, title=f"Hồ sơ {i}",
                         unit_id=people.district_a if i % 2 else people.district_b,
                         state=wf.registry.get(key, 1).steps[i % 3].key if status == "open" else status,
                         status=status, version=1, step_started_at=T0 + dt.timedelta(seconds=(i * 7 % n) // 3),
                         awaiting="approval" if i % 5 == 0 else None, opened_by=people.staff, opened_at=T0,
                         updated_at=T0 + dt.timedelta(seconds=(i * 11 % n) // 3)))
    with wf.store.core() as c:
        c.execute(insert(cases), rows)


def _reference(wf, where, offset, per_page, window):
    """(ids of the page, total, exact) as the pager means them, from one plain ordered SELECT."""
    with wf.store.core() as c:
        ids = list(c.execute(select(cases.c.id).where(*where)
                             .order_by(cases.c.updated_at.desc(), cases.c.id.desc())).scalars())
    cap = offset + max(window, per_page + 1)
    return ids[offset:offset + per_page], min(len(ids), cap), len(ids) <= cap


@pytest.mark.parametrize("window", [3, 8])
@pytest.mark.parametrize("per_page", [2, 5])
def test_every_page_deep_or_not_is_the_plain_ordered_selects_slice_with_its_capped_count(
        wf, people, monkeypatch, window, per_page):
    """Pages at least COUNT_WINDOW deep are found first and counted from their first case on; the
    others are counted first. Either way: the same cases in the same order, the same total and
    `exact` as the plain query — at the last page, the one before it, past the end, where the
    count turns exact, with ties in updated_at, for each filter and scope."""
    _bulk(wf, people, 61)
    monkeypatch.setattr(queries, "COUNT_WINDOW", window)
    in_a = cases.c.unit_id.in_(select(units.c.id).where(units.c.id == people.district_a))
    scenarios = [
        (people.province_auditor, {}, []),
        (people.province_auditor, {"procedure": "committee-personnel", "status": "open"},
         [cases.c.definition_key == "committee-personnel", cases.c.status == "open"]),
        (people.staff, {"status": "open"}, [in_a, cases.c.status == "open"]),
        (people.auditor, {"procedure": "appointment-internal"}, [in_a, cases.c.definition_key == "appointment-internal"]),
    ]
    for actor, filters, where in scenarios:
        matches = _reference(wf, where, 0, 10 ** 6, 10 ** 6)[1]
        for page in range(1, -(-matches // per_page) + 3):
            offset = (page - 1) * per_page
            p = wf.queries.list_cases(actor, page=page, per_page=per_page, **filters)
            got = ([c.id for c in p.items], p.total, p.exact)
            assert got == _reference(wf, where, offset, per_page, window), (filters, page, offset >= window)


def test_a_deep_page_counts_the_same_when_its_first_case_shares_its_time_with_others(wf, people, monkeypatch):
    """The count after a deep page starts at the page's first case by (updated_at, id): cases with
    the same updated_at before it are not counted again, those after it are."""
    monkeypatch.setattr(queries, "COUNT_WINDOW", 2)
    ids = _open(wf, people.staff, 9)
    with wf.store.core() as c:                      # every case at the same moment
        c.execute(cases.update().values(updated_at=T0))
    for page in range(1, 6):
        p = wf.queries.list_cases(people.province_auditor, page=page, per_page=2)
        offset = (page - 1) * 2
        assert [c.id for c in p.items] == sorted(ids, reverse=True)[offset:offset + 2]
        cap = offset + 3
        assert (p.total, p.exact) == (min(9, cap), 9 <= cap)


def _queue_reference(wf, user_id, limit, window):
    user = wf.directory.get_user(user_id)
    mine = wf.registry.steps_of_role(user.role)
    scope = cases.c.unit_id.in_(select(units.c.id).where(units.c.path.startswith(user.unit_path)))
    parts = []
    if mine:
        parts.append([cases.c.awaiting.is_(None)])
    if user.role == "supervisor":
        parts.append([cases.c.awaiting.in_(["approval", "head_decision"])])
    with wf.store.core() as c:
        rows = [r for r in c.execute(select(cases.c.id, cases.c.definition_key, cases.c.definition_version,
                                            cases.c.state, cases.c.awaiting, cases.c.step_started_at)
                                     .where(scope, cases.c.status == "open")
                                     .order_by(cases.c.step_started_at, cases.c.id))
                if (r.awaiting is None and (r.definition_key, r.definition_version, r.state) in mine)
                or (user.role == "supervisor" and r.awaiting in ("approval", "head_decision"))]
    ids = [r.id for r in rows]
    if len(ids) < limit:
        return ids, len(ids), True
    cap = max(window, limit + 1)
    return ids[:limit], min(len(ids), cap), len(ids) <= cap


@pytest.mark.parametrize("window", [4, 1000])
def test_the_work_queue_is_the_plain_ordered_selects_first_cases_with_its_capped_count(wf, people, monkeypatch,
                                                                                       window):
    """Staff: open cases at a staff step awaiting nothing; supervisors: those awaiting them (and at
    a supervisor's step): the oldest step first (ties by id), counted at most COUNT_WINDOW — on
    PostgreSQL through the written-out VALUES list, and through the bound list when a step key
    would need quoting."""
    _bulk(wf, people, 61)
    monkeypatch.setattr(queries, "COUNT_WINDOW", window)
    for user_id in (people.staff, people.staff_b, people.supervisor, people.supervisor_b, people.auditor):
        for limit in (3, 10, 100):
            q = wf.queries.work_queue(user_id, limit=limit)
            assert ([c.id for c in q.items], q.total, q.exact) == _queue_reference(wf, user_id, limit, window), \
                (user_id, limit)
    real = Registry.steps_of_role
    monkeypatch.setattr(Registry, "steps_of_role", lambda self, role: real(self, role) + [("x'y", 1, "a:b%")])
    assert ([c.id for c in wf.queries.work_queue(people.staff, limit=10).items]
            == _queue_reference(wf, people.staff, 10, window)[0])

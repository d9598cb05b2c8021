"""The case list and the auditor's search: the pager's capped count (exact up to COUNT_WINDOW
matches past the page, a lower bound beyond), and the unit scope, with the shortcut a user at the
only top unit takes (no scope condition) and the case where a second top unit exists."""
from __future__ import annotations

import pytest

from workflow import service
from workflow.errors import AuthFailed
from tests.support import PASSWORD


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    monkeypatch.setattr("workflow.security._N", 2 ** 8)


@pytest.fixture
def small_window(monkeypatch):
    monkeypatch.setattr(service, "COUNT_WINDOW", 5)


def _open(wf, staff, n, title="Bổ nhiệm đồng chí"):
    return [wf.open_case(staff, "appointment-internal", f"{title} {i}").case["id"] for i in range(n)]


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
    p = wf.list_cases(people.province_auditor, page=page, per_page=2)
    assert (p.total, p.exact, len(p.items)) == (total, exact, items)
    assert p.has_next == (page < p.pages)
    if not exact:
        assert p.has_next          # a lower bound always leaves a next page to go to


def test_exactly_the_window_is_an_exact_count(wf, people, small_window):
    _open(wf, people.staff, 5)
    p = wf.list_cases(people.staff, per_page=2)
    assert (p.total, p.exact, p.pages) == (5, True, 3)
    _open(wf, people.staff, 1, "Thêm")
    p = wf.list_cases(people.staff, per_page=2)
    assert (p.total, p.exact) == (5, False)


def test_pages_of_a_capped_list_are_disjoint_and_ordered(wf, people, small_window):
    ids = _open(wf, people.staff, 7)
    seen = []
    page = 1
    while True:
        p = wf.list_cases(people.staff, page=page, per_page=3)
        seen += [c.id for c in p.items]
        if not p.has_next:
            break
        page += 1
    assert seen == sorted(ids, reverse=True)       # newest first, each case once


def test_the_audit_search_counts_at_most_the_window(wf, people, small_window):
    _open(wf, people.staff, 4)
    p = wf.search_events(people.province_auditor, per_page=2)
    assert (p.total, p.exact, len(p.items)) == (5, False, 2)
    # a page longer than the window: counted past the page, so every item is there and counted
    everything = wf.search_events(people.province_auditor, per_page=500)
    assert (everything.total, everything.exact, len(everything.items)) == (18, True, 18)
    p = wf.search_events(people.province_auditor, per_page=10)
    assert (p.total, p.exact, len(p.items), p.has_next) == (11, False, 10, True)


def test_a_second_top_unit_is_outside_the_first_ones_tree(wf, people):
    """The province auditor of Quảng Nam sees every case while Quảng Nam is the only top unit;
    once Đà Nẵng exists, its cases and its sign-in failures are not theirs."""
    mine = _open(wf, people.staff, 1)[0]
    before = {c.id for c in wf.list_cases(people.province_auditor).items}
    assert mine in before
    dn = wf.find_or_create_unit_path(["Thành ủy Đà Nẵng"])
    dn_staff = wf.create_user(None, "staff_dn", PASSWORD, "staff", dn).id
    dn_audit = wf.create_user(None, "audit_dn", PASSWORD, "auditor", dn).id
    theirs = wf.open_case(dn_staff, "appointment-internal", "Đà Nẵng 1").case["id"]
    with pytest.raises(AuthFailed):
        wf.authenticate("staff_dn", "wrong password")

    qn = wf.list_cases(people.province_auditor)
    assert mine in {c.id for c in qn.items} and theirs not in {c.id for c in qn.items}
    assert wf.list_cases(people.province_auditor, text="Đà Nẵng").total == 0
    qn_events = wf.search_events(people.province_auditor, per_page=500).items
    assert not [e for e in qn_events if e["case_id"] == theirs]
    assert not [e for e in qn_events if e["actor"] in ("staff_dn", "audit_dn")]

    dn_list = wf.list_cases(dn_audit)
    assert [c.id for c in dn_list.items] == [theirs] and dn_list.total == 1 and dn_list.exact
    dn_events = wf.search_events(dn_audit, per_page=500).items
    assert {e["case_id"] for e in dn_events if e["case_id"]} == {theirs}
    assert "sign_in_failed" in {e["kind"] for e in dn_events}


def test_the_only_top_units_auditor_sees_every_event_and_a_supervisor_only_case_events(wf, people):
    cid = _open(wf, people.staff_b, 1)[0]
    with pytest.raises(AuthFailed):
        wf.authenticate("nobody-at-all", "x")           # no user, no unit
    with pytest.raises(AuthFailed):
        wf.authenticate("staff_b", "wrong password")
    kinds = {e["kind"] for e in wf.search_events(people.province_auditor, per_page=500).items}
    assert {"case_opened", "sign_in_failed"} <= kinds
    actors = {e["actor"] for e in wf.search_events(people.province_auditor, kind="sign_in_failed").items}
    assert actors == {"nobody-at-all", "staff_b"}
    # a supervisor at the top sees the events of cases only
    top_lead = wf.create_user(None, "lead_p", PASSWORD, "supervisor", people.province).id
    got = wf.search_events(top_lead, per_page=500).items
    assert got and all(e["case_id"] is not None for e in got)
    assert cid in {e["case_id"] for e in got}
    # and a district auditor sees neither the other district's case nor its sign-in failure
    a_events = wf.search_events(people.auditor, per_page=500).items
    assert cid not in {e["case_id"] for e in a_events}
    assert "staff_b" not in {e["actor"] for e in a_events}

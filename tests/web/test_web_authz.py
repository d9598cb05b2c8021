"""Who may see and do what: every role, in its own unit and in another, against each page and action.
Refusals are 403 (the role may not) or 404 (the case is outside the user's unit tree: its existence
is not theirs to know). A refused action changes nothing."""
from __future__ import annotations

import io

import pytest

from web_support import TALLY, awaiting_approval, committee_case

OK, REDIRECT, FORBIDDEN, MISSING = 200, 302, 403, 404

# role -> (what a GET answers, what a POST answers); A = a case in district A
ROLES = {
    #            pages: own-case  tally-form audit  admin  B-case   actions: record tally approve return open  upload admin-post
    "staff":    dict(case=OK, form=OK, audit=FORBIDDEN, admin=FORBIDDEN, case_b=MISSING,
                     record=REDIRECT, tally=REDIRECT, approve=FORBIDDEN, ret=FORBIDDEN, open=REDIRECT,
                     upload=REDIRECT, create_user=FORBIDDEN),
    "lead":     dict(case=OK, form=FORBIDDEN, audit=OK, admin=FORBIDDEN, case_b=MISSING,
                     record=FORBIDDEN, tally=FORBIDDEN, approve=REDIRECT, ret=REDIRECT, open=FORBIDDEN,
                     upload=FORBIDDEN, create_user=FORBIDDEN),
    "audit":    dict(case=OK, form=FORBIDDEN, audit=OK, admin=FORBIDDEN, case_b=MISSING,
                     record=FORBIDDEN, tally=FORBIDDEN, approve=FORBIDDEN, ret=FORBIDDEN, open=FORBIDDEN,
                     upload=FORBIDDEN, create_user=FORBIDDEN),
    "admin":    dict(case=OK, form=FORBIDDEN, audit=OK, admin=OK, case_b=MISSING,
                     record=FORBIDDEN, tally=FORBIDDEN, approve=FORBIDDEN, ret=FORBIDDEN, open=FORBIDDEN,
                     upload=FORBIDDEN, create_user=MISSING),          # unit B is not in A's tree
    "staff_b":  dict(case=MISSING, form=MISSING, audit=FORBIDDEN, admin=FORBIDDEN, case_b=OK,
                     record=MISSING, tally=MISSING, approve=MISSING, ret=MISSING, open=REDIRECT,
                     upload=MISSING, create_user=FORBIDDEN),
    "lead_b":   dict(case=MISSING, form=MISSING, audit=OK, admin=FORBIDDEN, case_b=OK,
                     record=MISSING, tally=MISSING, approve=MISSING, ret=MISSING, open=FORBIDDEN,
                     upload=MISSING, create_user=FORBIDDEN),
    "audit_p":  dict(case=OK, form=FORBIDDEN, audit=OK, admin=FORBIDDEN, case_b=OK,
                     record=FORBIDDEN, tally=FORBIDDEN, approve=FORBIDDEN, ret=FORBIDDEN, open=FORBIDDEN,
                     upload=FORBIDDEN, create_user=FORBIDDEN),
    "admin_p":  dict(case=OK, form=FORBIDDEN, audit=OK, admin=OK, case_b=OK,
                     record=FORBIDDEN, tally=FORBIDDEN, approve=FORBIDDEN, ret=FORBIDDEN, open=FORBIDDEN,
                     upload=FORBIDDEN, create_user=REDIRECT),
}


def _tally_data():
    d = {k: str(v) for k, v in TALLY.items()}
    d.update({"rows": "2", "c0-name": "Nguyễn Văn An", "c0-agree": "20", "c0-disagree": "5",
              "c1-name": "Lê Thị Bình", "c1-agree": "16", "c1-disagree": "9"})
    return d


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_sees_and_does_exactly_what_it_may(role, browser, wf, org):
    want = ROLES[role]
    fresh = wf.cases.open_case(org.staff, "committee-personnel", "Hồ sơ ở bước 1").case["id"]
    at_vote = committee_case(wf, org)
    pending = awaiting_approval(wf, org)
    pending2 = awaiting_approval(wf, org)
    in_b = wf.cases.open_case(org.staff_b, "committee-personnel", "Hồ sơ của Thăng Bình").case["id"]
    versions = {c: wf.queries.get_case(org.admin_p, c).summary.row_version for c in (fresh, at_vote, pending, pending2)}

    b = browser(role)
    c = b.client
    # pages every signed-in user has
    for url in ("/", "/announcements", "/account"):
        assert c.get(url).status_code == OK, url
    # pages about a case, and the areas
    assert c.get(f"/cases/{at_vote}").status_code == want["case"]
    assert c.get(f"/cases/{in_b}").status_code == want["case_b"]
    assert c.get(f"/cases/{at_vote}/tally").status_code == want["form"]
    assert c.get(f"/cases/{fresh}/record").status_code == want["form"]
    assert c.get(f"/audit/cases/{at_vote}/history.csv").status_code == want["case"]
    assert c.get(f"/audit/cases/{in_b}/history.json").status_code == want["case_b"]
    for url in ("/audit", "/audit/verify"):
        assert c.get(url).status_code == want["audit"], url
    for url in ("/admin", "/admin/users", "/admin/units", "/admin/definitions",
                "/admin/definitions/committee-personnel/1", f"/admin/users/{org.staff}"):
        assert c.get(url).status_code == want["admin"], url

    # actions (each on its own case, so one allowed action does not hide the next)
    case_page = f"/cases/{at_vote}" if want["case"] == OK else "/"
    assert b.post(f"/cases/{fresh}/record", {"criteria": "Nội dung", "expected_version": str(versions[fresh])},
                  page=case_page).status_code == want["record"]
    assert b.post(f"/cases/{at_vote}/tally", {**_tally_data(), "expected_version": str(versions[at_vote])},
                  page=case_page).status_code == want["tally"]
    assert b.post(f"/cases/{pending}/approve", {"comment": "ok", "expected_version": str(versions[pending])},
                  page=case_page).status_code == want["approve"]
    assert b.post(f"/cases/{pending2}/return", {"to": "appraisal", "reason": "Bổ sung",
                                                "expected_version": str(versions[pending2])},
                  page=case_page).status_code == want["ret"]
    now = str(wf.queries.get_case(org.admin_p, fresh).summary.row_version)
    upload = {"doc_type": "other", "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf"), "expected_version": now}
    assert b.post(f"/cases/{fresh}/documents", upload, page=case_page,
                  content_type="multipart/form-data").status_code == want["upload"]
    assert b.post("/cases/new", {"procedure": "party-admission", "title": "Kết nạp"},
                  page="/").status_code == want["open"]
    assert b.post("/admin/users", {"username": f"new_{role}", "password": "a long password", "role": "staff",
                                   "unit_id": str(org.b)}, page="/").status_code == want["create_user"]

    # a refused action changed nothing
    after = {x: wf.queries.get_case(org.admin_p, x).summary for x in (fresh, at_vote, pending, pending2)}
    if want["approve"] != REDIRECT:
        assert after[pending].state == "decision" and after[pending].awaiting == "approval"
    if want["ret"] != REDIRECT:
        assert after[pending2].state == "decision"
    if want["tally"] != REDIRECT:
        assert wf.queries.get_case(org.admin_p, at_vote).steps["members-conference"].tally is None
    if want["record"] != REDIRECT and want["upload"] != REDIRECT:
        assert after[fresh].row_version == versions[fresh]


def test_an_admin_of_a_district_cannot_see_or_change_a_user_of_another_district(browser, org, wf):
    b = browser("admin")
    assert b.client.get(f"/admin/users/{org.staff_b}").status_code == MISSING
    r = b.post(f"/admin/users/{org.staff_b}/active", {"active": "0"}, page="/admin/users")
    assert r.status_code == MISSING
    assert wf.directory.get_user(org.staff_b).active


def test_a_case_number_outside_the_tree_and_a_missing_one_look_the_same(browser, wf, org):
    in_b = wf.cases.open_case(org.staff_b, "committee-personnel", "Hồ sơ của Thăng Bình").case["id"]
    b = browser("staff")
    hidden, missing = b.client.get(f"/cases/{in_b}"), b.client.get("/cases/99999")
    assert hidden.status_code == missing.status_code == MISSING
    assert "Thăng Bình" not in hidden.get_data(as_text=True)

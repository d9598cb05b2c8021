"""Units and roles at the service level. A user sees and acts on the cases of their unit and the
units below it, nothing else — and a case outside their tree is `not_found`, never `forbidden`
(its existence is not theirs to know). Each role may take exactly its own actions."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflow.adapters.definitions import load_folder
from workflow.domain.errors import AuthFailed, WorkflowError
from workflow.usecases.engine import Workflow
from workflow.adapters.tables import events
from tests.support import ANNOUNCEMENT, APPRAISAL, APPT_C1, CRITERIA, DECISION, PASSWORD, code_of, n_events, tally

ROOT = Path(__file__).resolve().parents[2]



@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """The `people` fixture hashes 14 passwords; a lower scrypt cost keeps these tests fast."""
    monkeypatch.setattr("workflow.domain.credentials.SCRYPT_N", 2 ** 8)




T = tally(30, {"Nguyễn Văn A": {"agree": 20, "disagree": 5}, "Trần Thị B": {"agree": 16}})






# ---- getting a case where an action can be taken ------------------------------------------------

def _committee(wf, staff, sup, title, until: str) -> int:
    """A committee-personnel case taken to the named point."""
    cid = wf.cases.open_case(staff, "committee-personnel", title).case["id"]
    plan = [("criteria", None),
            ("criteria-filled", lambda: wf.cases.record(staff, cid, CRITERIA)),
            ("members-conference", lambda: wf.cases.advance(staff, cid)),
            ("members-tallied", lambda: wf.cases.tally(staff, cid, T)),
            ("block-conference", lambda: wf.cases.advance(staff, cid)),
            ("block-tallied", lambda: wf.cases.tally(staff, cid, T)),
            ("appraisal", lambda: wf.cases.advance(staff, cid)),
            ("appraisal-filled", lambda: wf.cases.record(staff, cid, APPRAISAL)),
            ("decision", lambda: wf.cases.advance(staff, cid)),
            ("decision-filled", lambda: wf.cases.record(staff, cid, DECISION)),
            ("awaiting-approval", lambda: wf.cases.advance(staff, cid)),
            ("announcement", lambda: wf.cases.approve(sup, cid)),
            ("announced", lambda: wf.cases.announce(staff, cid, ANNOUNCEMENT))]
    for name, step in plan:
        if step is not None:
            step()
        if name == until:
            return cid
    raise AssertionError(until)


def _awaiting_head(wf, staff, title) -> int:
    """An appointment-internal case at the 3rd collective meeting, exactly at 50%: the head decides."""
    cid = wf.cases.open_case(staff, "appointment-internal", title).case["id"]
    wf.cases.record(staff, cid, APPT_C1)
    wf.cases.advance(staff, cid)
    wf.cases.tally(staff, cid, tally(20, {"Lê Văn C": {"agree": 15}, "Phạm Thị D": {"agree": 5}}))
    wf.cases.advance(staff, cid)
    wf.cases.tally(staff, cid, tally(10, {"Lê Văn C": {"agree": 8}}))
    wf.cases.advance(staff, cid)
    wf.cases.tally(staff, cid, tally(30, {"Lê Văn C": {"agree": 25, "disagree": 5}}))
    wf.cases.advance(staff, cid)
    r = wf.cases.tally(staff, cid, tally(10, {"Lê Văn C": {"agree": 5, "disagree": 5}}, members=10))
    assert r.case["awaiting"] == "head_decision"
    return cid


# action -> (the point a case must be at, who may do it, the call)
ACTIONS = {
    "record": ("criteria", "staff", lambda wf, u, c: wf.cases.record(u, c, {"criteria": "Sửa"})),
    "tally": ("members-conference", "staff", lambda wf, u, c: wf.cases.tally(u, c, T)),
    "attach": ("criteria", "staff", lambda wf, u, c: wf.cases.attach(u, c, "bb.pdf", b"%PDF-1.4 x", doc_type="minutes")),
    "announce": ("announcement", "staff", lambda wf, u, c: wf.cases.announce(u, c, ANNOUNCEMENT)),
    "advance": ("criteria-filled", "staff", lambda wf, u, c: wf.cases.advance(u, c)),
    "request_approval": ("decision-filled", "staff", lambda wf, u, c: wf.cases.request_approval(u, c)),
    "approve": ("awaiting-approval", "supervisor", lambda wf, u, c: wf.cases.approve(u, c)),
    "return": ("block-tallied", "supervisor",
               lambda wf, u, c: wf.cases.return_case(u, c, "kiểm phiếu lại", to="members-conference")),
    "head_decision": ("head", "supervisor", lambda wf, u, c: wf.cases.head_decision(u, c, "Lê Văn C", True)),
    "cancel": ("criteria", "supervisor", lambda wf, u, c: wf.cases.cancel(u, c, "trùng hồ sơ")),
}
ROLES = ("staff", "supervisor", "auditor", "admin")


def _prepare(wf, staff, sup, point, title) -> int:
    return _awaiting_head(wf, staff, title) if point == "head" else _committee(wf, staff, sup, title, point)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_matrix_each_role_may_take_only_its_own_actions_and_nothing_in_another_district(wf, people, action):
    point, allowed, call = ACTIONS[action]
    a_users = {"staff": people.staff, "supervisor": people.supervisor, "auditor": people.auditor,
               "admin": people.admin}
    case_a = _prepare(wf, people.staff, people.supervisor2, point, f"{action} – A")
    case_b = _prepare(wf, people.staff_b, people.supervisor_b, point, f"{action} – B")

    seen = {}
    # another district's case: not found, whatever the role — and nothing is written
    before = n_events(wf)
    for role, uid in a_users.items():
        seen[("B", role)] = code_of(lambda: call(wf, uid, case_b))
    assert n_events(wf) == before
    # the own district's case: the other roles are forbidden (nothing written), the right role acts
    for role in sorted(a_users, key=lambda r: r == allowed):
        before = n_events(wf)
        seen[("A", role)] = code_of(lambda: call(wf, a_users[role], case_a))
        assert n_events(wf) == before + (1 if role == allowed else 0), (action, role)

    expected = {("B", r): "not_found" for r in ROLES}
    expected.update({("A", r): (None if r == allowed else "forbidden") for r in ROLES})
    assert seen == expected


def test_role_matrix_for_opening_a_case(wf, people):
    users = {"staff": people.staff, "supervisor": people.supervisor, "auditor": people.auditor, "admin": people.admin}
    seen = {}
    for role, uid in users.items():
        seen[("A", role)] = code_of(lambda: wf.cases.open_case(uid, "committee-personnel", f"Mở bởi {role}"))
        seen[("B", role)] = code_of(lambda: wf.cases.open_case(uid, "committee-personnel", f"Mở bởi {role} ở B",
                                                         unit_id=people.district_b))
    assert seen == {("A", "staff"): None, ("B", "staff"): "not_found",
                    **{(u, r): "forbidden" for u in "AB" for r in ("supervisor", "auditor", "admin")}}
    assert wf.queries.list_cases(people.province_auditor).total == 1


def test_province_staff_may_open_a_case_for_a_district_below(wf, people):
    prov_staff = wf.people.create_user(None, "staff_p", PASSWORD, "staff", people.province).id
    r = wf.cases.open_case(prov_staff, "committee-personnel", "Hồ sơ của huyện A", unit_id=people.district_a)
    assert r.case["unit_id"] == people.district_a
    assert wf.queries.get_case(people.staff, r.case["id"]).summary.unit_id == people.district_a


# ---- seeing ------------------------------------------------------------------------------------

@pytest.fixture
def two_cases(wf, people):
    """A committee-personnel case in each district, announced, with a document attached."""
    a = _committee(wf, people.staff, people.supervisor2, "Đảng bộ A", "announced")
    b = _committee(wf, people.staff_b, people.supervisor_b, "Đảng bộ B", "announced")
    wf.cases.attach(people.staff, a, "qd-a.pdf", b"%PDF decision A", doc_type="other")
    sha_a = wf.queries.get_case(people.staff, a).steps["announcement"].documents[-1]["sha256"]
    wf.cases.attach(people.staff_b, b, "qd-b.pdf", b"%PDF decision B")
    sha_b = wf.queries.get_case(people.staff_b, b).steps["announcement"].documents[-1]["sha256"]
    return a, b, sha_a, sha_b


def test_another_districts_case_is_not_found_for_every_read(wf, people, two_cases):
    a, b, sha_a, _ = two_cases
    sb = people.staff_b
    assert code_of(lambda: wf.queries.get_case(sb, a)) == "not_found"
    assert code_of(lambda: wf.queries.history(sb, a)) == "not_found"
    assert code_of(lambda: wf.queries.document(sb, a, sha_a)) == "not_found"
    # a document is reached only through the case it belongs to, even knowing its hash
    assert code_of(lambda: wf.queries.document(sb, b, sha_a)) == "not_found"
    assert [c.id for c in wf.queries.list_cases(sb).items] == [b]
    assert {x["case_id"] for x in wf.queries.announcements(sb)} == {b}
    assert all(c.id != a for c in wf.queries.work_queue(sb).items)
    assert {x["case_id"] for x in wf.queries.announcements(people.staff)} == {a}
    meta, content = wf.queries.document(people.staff, a, sha_a)
    assert content == b"%PDF decision A" and meta["name"] == "qd-a.pdf"


def test_a_case_that_does_not_exist_and_one_in_another_district_answer_the_same(wf, people, two_cases):
    a, b, _, _ = two_cases
    missing = max(a, b) + 1000
    for call in (lambda c: wf.queries.get_case(people.staff_b, c), lambda c: wf.queries.history(people.staff_b, c),
                 lambda c: wf.cases.record(people.staff_b, c, {"criteria": "x"}),
                 lambda c: wf.cases.cancel(people.supervisor_b, c, "x")):
        assert code_of(lambda: call(a)) == code_of(lambda: call(missing)) == "not_found"


def test_province_auditor_sees_both_districts_district_auditors_only_their_own(wf, people, two_cases):
    a, b, _, _ = two_cases
    assert {c.id for c in wf.queries.list_cases(people.province_auditor).items} == {a, b}
    assert wf.queries.get_case(people.province_auditor, b).summary.id == b
    assert len(wf.queries.history(people.province_auditor, a)) > 5
    assert {x["case_id"] for x in wf.queries.announcements(people.province_auditor)} == {a, b}
    assert {c.id for c in wf.queries.list_cases(people.auditor).items} == {a}
    assert code_of(lambda: wf.queries.get_case(people.auditor, b)) == "not_found"
    assert {c.id for c in wf.queries.list_cases(people.auditor_b).items} == {b}
    assert code_of(lambda: wf.queries.history(people.auditor_b, a)) == "not_found"
    found = wf.queries.search_events(people.auditor_b, per_page=500).items
    assert {e["case_id"] for e in found if e["case_id"] is not None} == {b}


def test_a_sibling_unit_whose_id_starts_with_the_same_digits_is_not_below(wf, people):
    # district A's path is '/1/2/'; make a sibling with id 2x ('/1/2x/'), which must not count as below A
    sibling = None
    for i in range(40):
        u = wf.people.create_unit(None, f"Đảng ủy khối {i}", people.province)
        if str(u["id"]).startswith(str(people.district_a)) and u["id"] != people.district_a:
            sibling = u
            break
    assert sibling is not None
    sib_staff = wf.people.create_user(None, "staff_sib", PASSWORD, "staff", sibling["id"]).id
    cid = wf.cases.open_case(sib_staff, "committee-personnel", "Hồ sơ đơn vị bên cạnh").case["id"]
    assert code_of(lambda: wf.queries.get_case(people.staff, cid)) == "not_found"
    assert wf.queries.list_cases(people.staff).total == 0
    assert code_of(lambda: wf.cases.open_case(people.staff, "committee-personnel", "x", unit_id=sibling["id"])) == "not_found"
    assert wf.queries.list_cases(people.province_auditor).total == 1


TRICKY = ["%", "_", "'", '"', "\\", "%%", "' OR '1'='1", "'; DROP TABLE cases; --", "\" OR 1=1 --",
          "B%' OR title LIKE '%", "_%_", "%Đảng bộ%"]


def test_list_cases_text_filter_never_crosses_districts_and_matches_literally(wf, people):
    a_titles = ["Hồ sơ đạt 100%", "Mã_số 7", "Ý kiến 'đặc biệt'", 'Trích "nguyên văn"', "Đường dẫn C:\\hs",
                "Thường", "' OR '1'='1 trong tiêu đề"]
    b_titles = ["Huyện B 50%", "B_x", "B 'nháy'", "Đảng bộ B"]
    for t in a_titles:
        wf.cases.open_case(people.staff, "committee-personnel", t)
    for t in b_titles:
        wf.cases.open_case(people.staff_b, "committee-personnel", t)
    titles = lambda uid, text: sorted(c.title for c in wf.queries.list_cases(uid, text=text, per_page=100).items)  # noqa: E731
    for text in TRICKY:
        literal = lambda ts: sorted(t for t in ts if text.lower() in t.lower())  # noqa: E731
        assert titles(people.staff_b, text) == literal(b_titles), text
        assert titles(people.staff, text) == literal(a_titles), text
        assert titles(people.province_auditor, text) == literal(a_titles + b_titles), text
        assert wf.queries.list_cases(people.staff_b, text=text).total == len(literal(b_titles)), text
    assert wf.queries.list_cases(people.province_auditor).total == len(a_titles) + len(b_titles)   # the table is intact


def test_other_list_filters_stay_inside_the_users_tree(wf, people, two_cases):
    a, b, _, _ = two_cases
    sb = people.staff_b
    assert wf.queries.list_cases(sb, unit_id=people.district_a).total == 0
    assert wf.queries.list_cases(sb, procedure="committee-personnel", state="announcement").total == 1
    assert wf.queries.list_cases(sb, status="open").items[0].id == b


# ---- deactivated users -------------------------------------------------------------------------

def test_a_deactivated_user_is_forbidden_every_action_and_cannot_sign_in(wf, people):
    cid = _committee(wf, people.staff, people.supervisor2, "Hồ sơ", "criteria-filled")
    token_staff = wf.people.create_token(people.staff, "máy tính bảng")[1]
    wf.people.update_user(people.admin, people.staff, active=False)
    wf.people.update_user(people.admin, people.supervisor, active=False)
    before = n_events(wf)
    s, lead = people.staff, people.supervisor
    calls = {
        "open": lambda u: wf.cases.open_case(u, "committee-personnel", "x"),
        **{name: (lambda u, call=call: call(wf, u, cid)) for name, (_, _, call) in ACTIONS.items()},
        "get_case": lambda u: wf.queries.get_case(u, cid), "history": lambda u: wf.queries.history(u, cid),
        "list_cases": lambda u: wf.queries.list_cases(u), "work_queue": lambda u: wf.queries.work_queue(u).items,
        "announcements": lambda u: wf.queries.announcements(u), "create_token": lambda u: wf.people.create_token(u, "x"),
    }
    seen = {(name, who): code_of(lambda: call(uid)) for name, call in calls.items()
            for who, uid in (("staff", s), ("supervisor", lead))}
    assert seen == {k: "forbidden" for k in seen}
    assert n_events(wf) == before
    assert wf.directory.user_for_token(token_staff) is None
    with pytest.raises(AuthFailed) as e:
        wf.people.authenticate("staff", PASSWORD)
    assert e.value.params["reason"] == "inactive"
    # the case itself is untouched and others carry on
    assert wf.queries.get_case(people.staff2, cid).summary.row_version == 2
    assert wf.cases.advance(people.staff2, cid).case["state"] == "members-conference"


# ---- four eyes -----------------------------------------------------------------------------------

@pytest.fixture
def wf_supervisor_decides(wf, tmp_path) -> Workflow:
    """committee-personnel with the `decision` step recorded by a supervisor (the shipped
    definitions only have staff-recorded steps), in its own Registry, over the same store."""
    text = (ROOT / "definitions" / "committee-personnel.v1.yaml").read_text(encoding="utf-8")
    text = text.replace("key: committee-personnel\n", "key: committee-personnel-sv\n", 1)
    at = text.index("  - key: decision\n")
    role = text.index("role: staff", at)
    text = text[:role] + "role: supervisor" + text[role + len("role: staff"):]
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "committee-personnel-sv.v1.yaml").write_text(text, encoding="utf-8")
    reg = load_folder(folder)
    assert not reg.errors, [e.message for e in reg.errors]
    assert reg.get("committee-personnel-sv").step("decision").role == "supervisor"
    return Workflow(wf.store, reg)


def _to_supervisor_decision(w: Workflow, people) -> int:
    s = people.staff
    cid = w.cases.open_case(s, "committee-personnel-sv", "Bốn mắt").case["id"]
    w.cases.record(s, cid, CRITERIA)
    w.cases.advance(s, cid)
    w.cases.tally(s, cid, T)
    w.cases.advance(s, cid)
    w.cases.tally(s, cid, T)
    w.cases.advance(s, cid)
    w.cases.record(s, cid, APPRAISAL)
    w.cases.advance(s, cid)
    return cid


def test_four_eyes_the_supervisor_who_asked_for_approval_cannot_give_it(wf_supervisor_decides, people):
    w, lead, lead2 = wf_supervisor_decides, people.supervisor, people.supervisor2
    cid = _to_supervisor_decision(w, people)
    assert code_of(lambda: w.cases.record(people.staff, cid, DECISION)) == "forbidden"
    assert any(c.id == cid for c in w.queries.work_queue(lead).items)          # a supervisor's own step is in their queue
    other = _to_supervisor_decision(w, people)
    w.cases.record(lead, other, DECISION)
    w.cases.advance(lead, other)                                        # awaits an approval now
    q = w.queries.work_queue(lead2)                                       # both ways of waiting, oldest step first
    assert [c.id for c in q.items] == [cid, other] and (q.total, q.exact) == (2, True)
    q = w.queries.work_queue(lead2, limit=1)
    assert [c.id for c in q.items] == [cid] and (q.total, q.exact) == (2, True)
    w.cases.record(lead, cid, DECISION)
    r = w.cases.advance(lead, cid)                                      # leaving needs approval: this asks for it
    assert r.case["awaiting"] == "approval"
    assert "approve" not in w.queries.get_case(lead, cid).actions and "approve" in w.queries.get_case(lead2, cid).actions
    v = r.case["version"]
    assert code_of(lambda: w.cases.approve(lead, cid)) == "four_eyes"
    assert w.queries.get_case(lead, cid, history=False).summary.row_version == v
    r = w.cases.approve(lead2, cid)
    assert r.case["state"] == "announcement" and r.case["awaiting"] is None
    assert w.queries.history(lead, cid)[-1]["payload"]["requested_by"] == lead


def test_four_eyes_holds_for_an_explicit_approval_request_too(wf_supervisor_decides, people):
    w, lead, lead2 = wf_supervisor_decides, people.supervisor, people.supervisor2
    cid = _to_supervisor_decision(w, people)
    w.cases.record(lead2, cid, DECISION)
    w.cases.request_approval(lead2, cid, comment="kính trình")
    assert code_of(lambda: w.cases.approve(lead2, cid)) == "four_eyes"
    # declined and asked again by the other supervisor: now the first one may approve
    w.cases.return_case(lead, cid, "bổ sung")
    w.cases.request_approval(lead, cid)
    assert code_of(lambda: w.cases.approve(lead, cid)) == "four_eyes"
    assert w.cases.approve(lead2, cid).case["state"] == "announcement"


def test_a_deactivated_user_replaying_an_earlier_idempotency_key_is_forbidden_too(wf, people):
    cid = _committee(wf, people.staff, people.supervisor2, "Hồ sơ", "criteria")
    wf.cases.record(people.staff, cid, CRITERIA, idempotency_key="k-1")
    wf.people.update_user(people.admin, people.staff, active=False)
    assert code_of(lambda: wf.cases.record(people.staff, cid, CRITERIA, idempotency_key="k-1")) == "forbidden"


def test_a_user_moved_to_another_district_cannot_replay_a_key_for_a_case_left_behind(wf, people):
    cid = _committee(wf, people.staff, people.supervisor2, "Hồ sơ", "criteria")
    wf.cases.record(people.staff, cid, CRITERIA, idempotency_key="k-1")
    wf.people.update_user(people.province_admin, people.staff, unit_id=people.district_b)
    assert code_of(lambda: wf.cases.record(people.staff, cid, CRITERIA, idempotency_key="k-1")) == "not_found"
    assert code_of(lambda: wf.queries.get_case(people.staff, cid)) == "not_found"

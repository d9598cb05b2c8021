"""The pages of the definition language's constructs (issue 14, item 6), through the test client, on a
miniature appointment (tests/scenarios/lang/definitions/lang-appointment.v1.yaml): a failed gate names
the lawful next actions and lands in the supervisor's work as "needs a decision"; a correction needs
its reason, waits for another supervisor, and shows the earlier count marked; a return puts its reason
at the top and reopens the step's form filled in; outcomes, opinions, the head's page, the API."""
from __future__ import annotations

import shutil

import pytest

from web import create_app
from workflow.adapters.definitions import load_folder
from workflow.domain.definition import Registry

from web_support import COMPILED, ROOT, Browser, _config

LANG = ROOT / "tests" / "scenarios" / "lang" / "definitions"
C1 = {"summoned": 10, "members": 10, "present": 10, "issued": 10, "collected": 10, "valid": 10, "invalid": 0}


@pytest.fixture(scope="module")
def registry(definitions):
    reg = Registry(definitions.all())
    for d in load_folder(LANG).all():
        reg.add(d)
    return reg


@pytest.fixture
def app(tmp_path, monkeypatch, registry, template_db):
    monkeypatch.setattr("workflow.usecases.engine.load_folder", lambda folder: registry)
    shutil.copy(template_db[0], tmp_path / "t.db")
    app = create_app(_config(tmp_path))
    app.jinja_env.bytecode_cache = COMPILED
    yield app
    app.extensions["cadreflow"].store.dispose()


def _at_collective(wf, org, agree: int, *, members: int = 10) -> int:
    """A lang-appointment case of unit A at its collective vote, the vote recorded (`agree` of `members`)."""
    s = org.staff
    cid = wf.cases.open_case(s, "lang-appointment", "Bổ nhiệm Phó Trưởng phòng").case["id"]
    wf.cases.record(s, cid, {"policy_date": "2026-03-02", "candidates": ["Võ Thị Hoa"], "members": members})
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, {"summoned": 30, "present": 25, "issued": 25, "collected": 25, "valid": 25, "invalid": 0,
                            "candidates": {"Võ Thị Hoa": {"agree": 20, "disagree": 5}}})
    wf.cases.advance(s, cid)
    counts = {**C1, "summoned": members, "members": members, "present": members, "issued": members,
              "collected": members, "valid": members}
    wf.cases.tally(s, cid, {**counts, "candidates": {"Võ Thị Hoa": {"agree": agree, "disagree": members - agree}}})
    return cid


def _b(app, user: str) -> Browser:
    b = Browser(app.test_client())
    assert b.login(user).status_code == 302
    return b


def test_a_failed_gate_names_the_lawful_next_actions_and_waits_in_the_supervisors_work(app, org):
    wf = app.extensions["cadreflow"]
    cid = _at_collective(wf, org, 4)
    staff = _b(app, "staff")
    staff.get(f"/cases/{cid}")
    assert 'id="needs-decision"' in staff.page and "kết thúc với kết quả “Không bổ nhiệm”" in staff.page
    assert f"/cases/{cid}/decide" not in staff.page                    # staff cannot decide
    lead = _b(app, "lead")
    lead.get("/")
    queue = lead.page.split('id="queue"')[1] if 'id="queue"' in lead.page else lead.page
    assert f"/cases/{cid}" in queue and "Cần lãnh đạo quyết định" in queue
    lead.get(f"/cases/{cid}")
    assert f"/cases/{cid}/decide" in lead.page and "Kết thúc hồ sơ với kết quả: Không bổ nhiệm" in lead.page
    r = lead.case_post(cid, "decide", {"outcome": "not-appointed", "reason": "Không đạt trên 50% thành viên"})
    assert r.status_code == 422 and "cần có quyết định: số, ngày và người ký" in lead.page     # no decision record
    r = lead.case_post(cid, "decide", {"outcome": "not-appointed", "reason": "Không đạt trên 50% thành viên",
                                       "decision_no": "12-TB/HU", "decision_date": "2026-03-20", "signer": "Bí thư"})
    assert r.status_code == 302
    lead.get(f"/cases/{cid}")
    assert "Kết quả" in lead.page and "Không bổ nhiệm" in lead.page and "12-TB/HU" in lead.page
    assert wf.queries.case_results(cid)["outcome"] == "not-appointed"


def test_a_corrected_tally_needs_its_reason_another_supervisors_approval_and_keeps_the_earlier_count(app, org):
    wf = app.extensions["cadreflow"]
    cid = _at_collective(wf, org, 5, members=11)
    staff = _b(app, "staff")
    staff.get(f"/cases/{cid}/tally")
    assert "lưu số liệu khác là sửa kết quả" in staff.page and 'name="reason"' in staff.page
    form = {**{k: str(v) for k, v in {**C1, "summoned": 11, "members": 11, "present": 11, "issued": 11,
                                      "collected": 11, "valid": 11}.items()},
            "rows": "1", "c0-name": "Võ Thị Hoa", "c0-agree": "8", "c0-disagree": "3"}
    r = staff.post(f"/cases/{cid}/tally", form)
    assert r.status_code == 422 and "hãy nêu lý do sửa" in staff.page
    r = staff.post(f"/cases/{cid}/tally", {**form, "reason": "Ban kiểm phiếu đếm nhầm"})
    assert r.status_code == 302 and wf.queries.case_summary(cid)["awaiting"] == "correction"
    staff.get(f"/cases/{cid}")
    assert "đang chờ một lãnh đạo khác phê duyệt" in staff.page and "approve-correction" not in staff.page
    lead = _b(app, "lead")
    lead.get(f"/cases/{cid}")
    assert "Ban kiểm phiếu đếm nhầm" in lead.page and "Võ Thị Hoa: Đồng ý 8" in lead.page
    assert lead.case_post(cid, "approve-correction").status_code == 302
    lead.get(f"/cases/{cid}")
    block = lead.page.split('id="step-collective"')[1].split("</article>")[0]
    assert "đã sửa" in block and "Kết quả trước khi sửa" in block and "Ban kiểm phiếu đếm nhầm" in block
    lead.get(f"/cases/{cid}/steps/collective/minutes")
    assert "3. Kết quả đã sửa" in lead.page and "Ban kiểm phiếu đếm nhầm" in lead.page


def test_a_return_puts_its_reason_at_the_top_and_reopens_the_form_filled_in(app, org):
    wf = app.extensions["cadreflow"]
    cid = _at_collective(wf, org, 7)
    lead = _b(app, "lead")
    assert lead.case_post(cid, "return", {"to": "proposal", "reason": "Bổ sung số thành viên tập thể"}).status_code == 302
    staff = _b(app, "staff")
    staff.get("/")
    assert "Bị trả lại" in staff.page
    staff.get(f"/cases/{cid}")
    top = staff.page.split('id="returned"')[1].split("</div>\n</div>")[0]
    assert "Bổ sung số thành viên tập thể" in top and "Người lead" in top
    staff.get(f"/cases/{cid}/record")
    assert "điền sẵn nội dung ghi trước khi hồ sơ bị trả lại" in staff.page
    assert 'value="2026-03-02"' in staff.page and "Võ Thị Hoa" in staff.page and 'value="10"' in staff.page
    assert staff.post(f"/cases/{cid}/record", {"policy_date": "2026-03-02", "candidates": "Võ Thị Hoa",
                                               "members": "11"}).status_code == 302
    staff.case_post(cid, "advance")
    staff.get("/")
    assert "Bị trả lại" not in staff.page


def test_a_changed_form_value_needs_a_reason_and_is_marked_corrected_an_unchanged_save_records_nothing(app, org):
    wf = app.extensions["cadreflow"]
    s = org.staff
    cid = wf.cases.open_case(s, "lang-appointment", "Bổ nhiệm").case["id"]
    wf.cases.record(s, cid, {"policy_date": "2026-03-02", "candidates": ["Võ Thị Hoa"], "members": 10})
    staff = _b(app, "staff")
    version = wf.queries.case_summary(cid)["version"]
    r = staff.post(f"/cases/{cid}/record", {"policy_date": "2026-03-02", "candidates": "Võ Thị Hoa", "members": "10"})
    assert r.status_code == 302 and wf.queries.case_summary(cid)["version"] == version
    r = staff.post(f"/cases/{cid}/record", {"policy_date": "2026-03-02", "candidates": "Võ Thị Hoa", "members": "-3"})
    assert r.status_code == 422 and "Tối thiểu 1." in staff.page            # beside the field
    r = staff.post(f"/cases/{cid}/record", {"policy_date": "2026-03-02", "candidates": "Võ Thị Hoa", "members": "9"})
    assert r.status_code == 422 and "hãy nêu lý do sửa" in staff.page
    r = staff.post(f"/cases/{cid}/record", {"policy_date": "2026-03-02", "candidates": "Võ Thị Hoa", "members": "9",
                                            "reason": "Một thành viên nghỉ hưu"})
    assert r.status_code == 302
    staff.get(f"/cases/{cid}")
    assert "đã sửa" in staff.page and "trước là “10”" in staff.page and "Một thành viên nghỉ hưu" in staff.page


def test_an_opinion_only_body_gives_its_opinion_and_nothing_else_and_the_head_is_designated_on_the_units_page(
        app, org):
    wf = app.extensions["cadreflow"]
    admin = _b(app, "admin")
    r = admin.post(f"/admin/units/{org.a}/head", {"user_id": str(org.lead2)}, page=f"/admin/units/{org.a}")
    assert r.status_code == 302
    admin.get(f"/admin/units/{org.a}")
    assert "Ủy quyền cho cấp phó" in admin.page
    r = admin.post(f"/admin/units/{org.a}/delegations", {"user_id": str(org.lead), "valid_from": "2026-01-01",
                                                         "valid_until": "2025-12-31", "reason": "Đi công tác"},
                   page=f"/admin/units/{org.a}")
    assert r.status_code == 422 and "Không được trước ngày 2026-01-01" in admin.page
    r = admin.post(f"/admin/units/{org.a}/delegations", {"user_id": str(org.lead), "valid_from": "2026-01-01",
                                                         "valid_until": "2099-12-31", "reason": "Đi công tác"},
                   page=f"/admin/units/{org.a}")
    assert r.status_code == 302
    admin.get(f"/admin/units/{org.a}")
    assert "đang hiệu lực" in admin.page
    cid = _at_collective(wf, org, 5)                       # exactly half: the head (or the deputy) decides
    lead = _b(app, "lead")                                 # the deputy in force
    lead.get(f"/cases/{cid}")
    assert f"/cases/{cid}/head-decision" in lead.page
    r = lead.case_post(cid, "head-decision", {"candidate": "Võ Thị Hoa", "accept": "1"})
    assert r.status_code == 422 and "ý kiến khác nhau" in lead.page
    r = lead.case_post(cid, "head-decision", {"candidate": "Võ Thị Hoa", "accept": "1",
                                              "differing_opinions": "5 ý kiến không đồng ý"})
    assert r.status_code == 302
    staff = _b(app, "staff")
    staff.case_post(cid, "advance")
    assert wf.queries.case_summary(cid)["state"] == "appraisal"
    staff.get(f"/cases/{cid}")
    assert "5 ý kiến không đồng ý" in staff.page


def test_the_api_case_shows_the_blocked_gate_its_lawful_next_actions_and_the_steps_results(app, org):
    wf = app.extensions["cadreflow"]
    cid = _at_collective(wf, org, 4)
    lead = _b(app, "lead")
    body = lead.client.get(f"/api/v1/cases/{cid}").get_json()
    assert body["case"]["awaiting"] == "decision" and "decide" in body["actions"]
    assert body["lawful_next"] == [{"kind": "end", "target": "not-appointed"}, {"kind": "return", "target": "proposal"}]
    assert body["blocked"]["error"] == "guard_failed"
    assert body["steps"]["collective"]["candidates"] == {"Võ Thị Hoa": "failed"}
    assert body["steps"]["key-cadres"]["gate"] is False


def test_the_administrators_definition_page_shows_conditions_opinions_outcomes_and_failed_branches(app, org):
    admin = _b(app, "admin")
    admin.get("/admin/definitions/lang-appointment/1")
    assert "Ý kiến của Ủy ban Kiểm tra (cho ý kiến)" in admin.page and "Kết quả và thời hạn" in admin.page
    assert "Nếu không đạt: kết thúc với kết quả “Không bổ nhiệm”" in admin.page
    assert "Người đứng đầu (hoặc người được ủy quyền)" in admin.page
    admin.get("/admin/definitions/lang-conditions/1")
    assert "Điều kiện: Đủ 18 tuổi đến đủ 60 tuổi (tính theo tháng) — test: 294-QĐ/TW mục 1.1" in admin.page
    assert "(chỉ cảnh báo)" in admin.page

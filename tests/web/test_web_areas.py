"""The auditor's area, administration, my account, and the demo seed."""
from __future__ import annotations

import csv
import io
import json

from sqlalchemy import text

from web_support import PASSWORD, committee_case
from workflow.domain.definition import Registry
from workflow.domain.errors import DefinitionError, Problem


# ---- audit -------------------------------------------------------------------------------------

def test_the_auditor_searches_the_record_by_case_user_procedure_and_dates(browser, wf, org):
    cid = committee_case(wf, org, to="block-conference")
    wf.cases.open_case(org.staff_b, "party-admission", "Kết nạp ở Thăng Bình")
    b = browser("audit_p")
    b.get(f"/audit?case={cid}")
    assert "Ghi kết quả kiểm phiếu" in b.page and "Kết nạp ở Thăng Bình" not in b.page
    b.get("/audit?user=staff_b")
    assert "Kết nạp ở Thăng Bình" in b.page and "Kiện toàn cấp ủy" not in b.page
    b.get("/audit?procedure=party-admission")
    assert "Kết nạp ở Thăng Bình" in b.page and f"#{cid}<" not in b.page
    b.get(f"/audit?unit={org.a}&kind=tally_recorded")
    assert "Ghi kết quả kiểm phiếu" in b.page and "Mở hồ sơ" not in b.page.split("Sự kiện</h2>")[1]
    b.get("/audit?from=2000-01-01&to=2000-01-02")
    assert "Không có sự kiện nào phù hợp" in b.page


def test_a_district_auditor_does_not_see_another_districts_cases(browser, wf, org):
    wf.cases.open_case(org.staff_b, "party-admission", "Kết nạp ở Thăng Bình")
    b = browser("audit")
    b.get("/audit")
    assert "Kết nạp ở Thăng Bình" not in b.page


def test_a_case_history_exports_as_csv_in_words_and_as_json(browser, wf, org):
    cid = committee_case(wf, org, to="block-conference")
    b = browser("audit")
    r = b.client.get(f"/audit/cases/{cid}/history.csv")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["Số thứ tự", "Thời gian", "Người thực hiện", "Vai trò", "Loại sự kiện"]
    assert rows[1][4] == "Mở hồ sơ" and "Nguyễn Văn An" in " ".join(sum(rows, []))
    assert len(rows) - 1 == len(wf.queries.history(org.audit, cid))
    j = b.client.get(f"/audit/cases/{cid}/history.json")
    assert j.status_code == 200 and j.headers["Content-Disposition"].startswith("attachment;")
    body = json.loads(j.data)
    assert body["case_id"] == cid and body["procedure"] == "committee-personnel"
    assert [e["kind"] for e in body["events"]][0] == "case_opened" and len(body["events"][0]["hash"]) == 64


def test_the_integrity_check_says_intact_in_green(browser, wf, org):
    committee_case(wf, org)
    b = browser("audit")
    r = b.get("/audit/verify")
    n = wf.queries.verify().events
    assert r.status_code == 200 and f"Nhật ký nguyên vẹn: {n} sự kiện" in b.page and "border-success" in b.page


def test_the_integrity_check_names_the_broken_event_in_red(browser, wf, org):
    committee_case(wf, org)
    with wf.store.core() as c:
        c.execute(text("UPDATE events SET payload = '{\"title\":\"sửa lén\"}' WHERE seq = 12"))
    b = browser("audit")
    b.get("/audit/verify")
    assert "Nhật ký bị phá vỡ tại sự kiện 12: sự kiện 12 đã bị sửa sau khi ghi" in b.page
    assert "border-danger" in b.page


# ---- administration --------------------------------------------------------------------------------

def test_the_administrator_creates_a_user_who_can_then_sign_in(browser, wf, org):
    b = browser("admin_p")
    r = b.post("/admin/users", {"username": "chuyenvien.moi", "display_name": "Trần Thị Mới", "role": "staff",
                                "unit_id": str(org.b), "password": "mật khẩu đủ dài"})
    assert r.status_code == 302
    b.get("/admin/users")
    assert "chuyenvien.moi" in b.page and "Trần Thị Mới" in b.page
    assert browser().login("chuyenvien.moi", "mật khẩu đủ dài").status_code == 302


def test_creating_a_user_with_bad_values_keeps_the_form(browser, wf, org):
    b = browser("admin_p")
    r = b.post("/admin/users", {"username": "x", "role": "staff", "unit_id": str(org.a), "password": "short"})
    assert r.status_code == 422
    assert "Từ 3 đến 80 ký tự" in b.page and "Mật khẩu có ít nhất 10 ký tự" in b.page and 'value="x"' in b.page


def test_deactivate_reactivate_reset_password_and_change_role_and_unit(browser, wf, org):
    b = browser("admin_p")
    page = f"/admin/users/{org.staff}"
    assert b.post(f"/admin/users/{org.staff}/active", {"active": "0"}, page=page).status_code == 302
    assert not wf.directory.get_user(org.staff).active
    assert browser().login("staff").status_code == 401
    assert b.post(f"/admin/users/{org.staff}/active", {"active": "1"}, page=page).status_code == 302
    assert b.post(f"/admin/users/{org.staff}/password", {"password": "mật khẩu mới dài"}, page=page).status_code == 302
    assert browser().login("staff", "mật khẩu mới dài").status_code == 302
    assert browser().login("staff", PASSWORD).status_code == 401
    r = b.post(f"/admin/users/{org.staff}", {"role": "supervisor", "unit_id": str(org.b), "display_name": "Tên mới"},
               page=page)
    assert r.status_code == 302
    u = wf.directory.get_user(org.staff)
    assert (u.role, u.unit_id, u.display_name) == ("supervisor", org.b, "Tên mới")


def test_an_administrator_cannot_deactivate_themself(browser, wf, org):
    b = browser("admin_p")
    r = b.post(f"/admin/users/{org.admin_p}/active", {"active": "0"}, page=f"/admin/users/{org.admin_p}")
    assert r.status_code == 409 and "tự vô hiệu hóa" in b.page
    assert wf.directory.get_user(org.admin_p).active


def test_the_administrator_adds_a_child_unit(browser, wf, org):
    b = browser("admin_p")
    r = b.post("/admin/units", {"parent_id": str(org.a), "name": "Đảng bộ Khối cơ quan"})
    assert r.status_code == 302
    b.get("/admin/units")
    assert "Đảng bộ Khối cơ quan" in b.page
    again = b.post("/admin/units", {"parent_id": str(org.a), "name": "Đảng bộ Khối cơ quan"})
    assert again.status_code == 422 and "cùng tên" in b.page


def test_definitions_show_steps_diagram_and_legal_basis(browser):
    b = browser("admin_p")
    b.get("/admin/definitions")
    assert "Quy trình bổ nhiệm cán bộ – nguồn nhân sự tại chỗ" in b.page and "377-QĐ/TW" in b.page
    b.get("/admin/definitions/appointment-internal/1")
    assert "<svg" in b.page and "Các bước" in b.page and "Căn cứ" in b.page
    assert "Đúng bằng ngưỡng thì người đứng đầu quyết định" in b.page
    assert b.client.get("/admin/definitions/appointment-internal/9").status_code == 404


def test_refused_definition_files_are_listed_with_their_messages(make_app, monkeypatch, definitions, org):
    bad = DefinitionError("definition.invalid", file="broken.v1.yaml", path="transitions[3].dest",
                          what=Problem("definition.unknown_step", step="decison"))
    monkeypatch.setattr("workflow.usecases.engine.load_folder", lambda folder: Registry(definitions.all(), [bad]))
    app = make_app()
    from web_support import Browser
    b = Browser(app.test_client())
    b.login("admin_p")
    b.get("/admin/definitions")
    assert "Tệp định nghĩa bị từ chối" in b.page and "unknown step &#39;decison&#39;" in b.page


# ---- my account ---------------------------------------------------------------------------------------

def test_an_api_token_is_shown_once_and_can_be_revoked(browser, wf, org):
    b = browser("staff")
    r = b.post("/account/tokens", {"name": "Đồng bộ báo cáo"})
    assert r.status_code == 201
    token = b.page.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("cf_") and wf.directory.user_for_token(token).id == org.staff
    b.get("/account")
    assert token not in b.page and "Đồng bộ báo cáo" in b.page
    tid = wf.directory.list_tokens(org.staff)[0]["id"]
    assert b.post(f"/account/tokens/{tid}/revoke", page="/account").status_code == 302
    assert wf.directory.user_for_token(token) is None
    b.get("/account")
    assert "Đã thu hồi" in b.page


def test_a_token_needs_a_name(browser):
    b = browser("staff")
    r = b.post("/account/tokens", {"name": "  "})
    assert r.status_code == 422 and "Hãy đặt tên cho mã truy cập" in b.page


def test_someone_elses_token_cannot_be_revoked(browser, wf, org):
    tid, token = wf.people.create_token(org.staff2, "của người khác")
    r = browser("staff").post(f"/account/tokens/{tid}/revoke", page="/account")
    assert r.status_code == 404
    assert wf.directory.user_for_token(token) is not None


# ---- the demo seed ---------------------------------------------------------------------------------------

def test_the_demo_seed_fills_units_users_and_cases_once(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/demo.db")
    wf = app.extensions["cadreflow"]
    wf.store.create_all()
    from workflow.usecases.demo import seed
    DEMO = "demo-cadreflow-2026"
    lines = seed(wf)
    assert "Demo data created." in lines and any(DEMO in x for x in lines)
    admin = wf.directory.user_by_name("quantri").id
    cases = wf.queries.list_cases(admin, per_page=100).items
    assert len(cases) >= 8 and len({c.procedure for c in cases}) >= 6
    assert any(c.status == "completed" for c in cases) and any(c.overdue for c in cases)
    assert sum(c.awaiting == "approval" for c in cases) >= 2 and any(c.awaiting == "head_decision" for c in cases)
    assert any(e["kind"] == "returned" for e in wf.queries.search_events(admin, kind="returned").items)
    assert wf.queries.verify().ok
    again = seed(wf)
    assert "already" in again[0] and len(wf.queries.list_cases(admin, per_page=100).items) == len(cases)

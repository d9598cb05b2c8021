"""Sign-in, sessions, CSRF, languages, error pages, headers, filters and the catalog."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from web import errors, formatting
from workflow.domain.errors import (FourEyes, GuardFailed, InvalidTally, NotAllowed, Problem, QuorumNotMet, Validation,
                             VersionConflict)

from web_support import PASSWORD, committee_case

ROOT = Path(__file__).resolve().parents[2]
TRACE = re.compile(r"Traceback|File \"/|line \d+, in ")


def test_sign_in_page_is_in_vietnamese_with_a_csrf_field(browser):
    b = browser()
    r = b.get("/login")
    assert r.status_code == 200
    assert 'lang="vi"' in b.page and "Đăng nhập" in b.page and "Tên đăng nhập" in b.page
    assert 'name="csrf_token"' in b.page


def test_signing_in_lands_on_my_work_with_name_role_and_unit_in_the_navbar(browser):
    b = browser()
    r = b.login("staff")
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    b.get("/")
    assert "Việc của tôi" in b.page and "Người staff" in b.page and "Chuyên viên" in b.page
    assert "Huyện ủy Duy Xuyên" in b.page


def test_a_failed_sign_in_is_refused_and_kept_on_the_record(browser, wf, org):
    b = browser()
    r = b.login("staff", "wrong password!")
    assert r.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in b.page
    found = wf.queries.search_events(org.admin_p, kind="sign_in_failed")
    assert found.total == 1 and found.items[0]["actor"] == "staff"
    assert found.items[0]["payload"]["reason"] == "bad_password"


def test_the_auditor_sees_the_failed_sign_in_in_words(browser, org):
    browser().login("nobody-here", "x" * 12)
    b = browser("audit_p")
    b.get("/audit?kind=sign_in_failed")
    assert "Đăng nhập không thành công" in b.page and "tên đăng nhập không tồn tại" in b.page


def test_signing_out_needs_a_post_with_the_csrf_token_and_is_recorded(browser, wf, org):
    b = browser("staff")
    assert b.client.get("/logout").status_code == 405
    assert b.client.post("/logout").status_code == 400            # no token
    r = b.post("/logout", page="/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert b.client.get("/").status_code == 302
    assert wf.queries.search_events(org.admin_p, kind="signed_out").total == 1


def test_pages_send_a_stranger_to_the_sign_in_page(browser):
    r = browser().client.get("/cases/1")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]


@pytest.mark.parametrize("target,expected", [("/cases/new", "/cases/new"), ("https://evil.example/x", "/"),
                                             ("//evil.example", "/"), ("/\\evil", "/")])
def test_after_sign_in_only_a_local_next_page_is_followed(browser, target, expected):
    b = browser()
    csrf = b.token("/login")
    r = b.client.post("/login?next=" + target, data={"csrf_token": csrf, "username": "staff", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == expected


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(browser, wf, org):
    b = browser("staff")
    r = b.client.post("/cases/new", data={"procedure": "committee-personnel", "title": "Không có mã bảo vệ"})
    assert r.status_code == 400
    assert "mã bảo vệ" in r.get_data(as_text=True)
    assert wf.queries.list_cases(org.staff).total == 0


def test_sign_in_without_csrf_token_is_refused(browser):
    r = browser().client.post("/login", data={"username": "staff", "password": PASSWORD})
    assert r.status_code == 400


def test_the_language_toggle_switches_to_english_and_stays_for_the_session(browser):
    b = browser("staff")
    b.get("/?lang=en")
    assert 'lang="en"' in b.page and "My work" in b.page and "Việc của tôi" not in b.page
    b.get("/announcements")
    assert "Announcements" in b.page
    b.get("/?lang=vi")
    assert "Việc của tôi" in b.page


def test_the_language_chosen_in_my_account_comes_back_at_the_next_sign_in(browser, wf, org):
    b = browser("staff")
    r = b.post("/account/language", {"locale": "en"}, page="/account")
    assert r.status_code == 302
    assert wf.directory.get_user(org.staff).locale == "en"
    again = browser("staff")
    again.get("/")
    assert "My work" in again.page


def test_the_login_page_can_be_shown_in_english(browser):
    b = browser()
    b.get("/login?lang=en")
    assert "User name" in b.page and "Password" in b.page


def test_a_deactivated_user_is_out_at_the_next_request(browser, wf, org):
    b = browser("staff")
    assert b.client.get("/").status_code == 200
    wf.people.update_user(org.admin, org.staff, active=False)
    r = b.client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert browser().login("staff").status_code == 401


def test_an_unknown_page_gets_the_404_page_in_the_layout(browser):
    b = browser("staff")
    r = b.get("/no/such/page")
    assert r.status_code == 404
    assert "Không tìm thấy trang" in b.page and "cadreflow" in b.page and not TRACE.search(b.page)


def test_a_crash_gets_the_500_page_without_a_stack_trace(make_app, browser):
    app = make_app()

    @app.get("/test-only/boom")
    def boom():
        raise RuntimeError("secret internal detail /work/main/web/site.py")

    client = app.test_client()
    r = client.get("/test-only/boom")
    page = r.get_data(as_text=True)
    assert r.status_code == 500
    assert "Đã có lỗi xảy ra" in page and "secret internal detail" not in page and not TRACE.search(page)


def test_every_page_carries_the_protective_headers(browser):
    r = browser("staff").client.get("/")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"


def test_bootstrap_is_served_from_this_server_not_a_cdn(browser):
    b = browser("staff")
    b.get("/")
    assert "cdn.jsdelivr" not in b.page and "https://" not in re.sub(r'xmlns="[^"]+"', "", b.page)
    assert b.client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_dates_are_dd_mm_yyyy_and_times_are_in_vietnam(app):
    with app.test_request_context("/"):
        assert formatting.fmt_date(dt.date(2026, 1, 2)) == "02/01/2026"
        assert formatting.fmt_date("2026-03-04") == "04/03/2026"
        assert formatting.fmt_datetime(dt.datetime(2026, 1, 1, 20, 5, tzinfo=dt.timezone.utc)) == "02/01/2026 03:05"
        assert formatting.fmt_percent(0.5) == "50,00%"


@pytest.mark.parametrize("error,words", [
    (VersionConflict("version.conflict", case_id=1, current=3, expected=2), "người khác vừa thay đổi"),
    (FourEyes("four_eyes"), "nguyên tắc hai người"),
    (QuorumNotMet("quorum.not_met", present=10, of=30, needed=20), "có mặt 10 trên 30, cần ít nhất 20"),
    (InvalidTally("tally.name_listed_twice"), "Số liệu kiểm phiếu chưa khớp"),
    (NotAllowed("not_allowed.awaiting_approval"), "đang chờ lãnh đạo phê duyệt"),
    (GuardFailed("guard.no_tally"), "Chưa nhập kết quả kiểm phiếu"),
    (GuardFailed("guard.vote_failed", threshold="more than 1/2", base_name="summoned", needed=16, base=30),
     "cần 16 trên 30 phiếu"),
    (Validation("reason.missing", fields={"reason": Problem("field.required")}), "Hãy nêu lý do"),
])
def test_each_service_error_is_said_in_vietnamese(app, error, words):
    with app.test_request_context("/"):
        assert words in errors.error_text(error)


@pytest.mark.parametrize("given,said", [
    (Problem("field.required"), "Bắt buộc nhập."),
    (Problem("tally.present", present=31, summoned=30), "Số có mặt (31) không được lớn hơn số được triệu tập (30)."),
    (Problem("tally.valid_sum", valid=20, invalid=3, collected=25), "Phiếu hợp lệ (20) cộng phiếu không hợp lệ (3)"),
    (Problem("tally.counts", counts={"agree": Problem("field.required"), "disagree": Problem("field.whole_number")}),
     "Đồng ý: Bắt buộc nhập. Không đồng ý: Phải là số nguyên."),
    ("something nobody translated", "something nobody translated"),
], ids=["required", "present", "valid_sum", "counts", "plain"])
def test_field_complaints_are_translated_or_shown_as_given(app, given, said):
    with app.test_request_context("/"):
        assert said in errors.field_message(given)


def test_the_english_catalog_translates_every_message_of_the_pages(app):
    po = ROOT / "web/translations/en/LC_MESSAGES/messages.po"
    catalog = read_po(po.open("rb"))
    translated = {(m.context, m.id): m.string for m in catalog if m.id}
    assert all(translated.values()), [k for k, v in translated.items() if not v][:5]
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    found = {(context, msg) for _f, _l, msg, _c, context in extract_from_dir(
        str(ROOT), method_map, options_map={"web/templates/**.html": {"extensions": "jinja2.ext.do"}},
        keywords={"_": None, "gettext": None, "N_": None, "pgettext": ((1, "c"), 2), "NP_": ((1, "c"), 2)})}
    missing = sorted(m for m in found if isinstance(m[1], str) and m not in translated)
    assert not missing, missing[:10]
    assert po.with_suffix(".mo").exists()      # compiled when the application started


def test_event_names_differ_from_the_buttons_of_the_same_words(browser):
    b = browser("audit_p")
    b.get("/audit?lang=en")
    assert ">Case opened</option>" in b.page and ">Case completed</option>" in b.page


def _database_gone(*_a, **_k):
    from sqlalchemy.exc import OperationalError
    raise OperationalError("SELECT …", {}, Exception("terminating connection due to administrator command"))


def test_a_database_outage_gets_a_503_page_that_says_nothing_was_half_saved(browser, monkeypatch):
    b = browser("staff")
    monkeypatch.setattr("workflow.usecases.queries.CaseQueries.list_cases", _database_gone)
    r = b.get("/")
    assert r.status_code == 503
    assert "không kết nối được cơ sở dữ liệu" in b.page and "administrator command" not in b.page
    assert not TRACE.search(b.page)


def test_a_database_outage_on_the_api_is_json_503_unavailable(browser, monkeypatch):
    b = browser("staff")
    monkeypatch.setattr("workflow.usecases.queries.CaseQueries.list_cases", _database_gone)
    r = b.client.get("/api/v1/cases")
    assert r.status_code == 503 and r.is_json
    assert r.get_json()["error"] == "unavailable" and "administrator command" not in r.get_json()["message"]


def test_the_api_answers_a_signed_in_browser_session_too(browser, wf, org):
    committee_case(wf, org)
    b = browser("staff")
    r = b.client.get("/api/v1/cases")          # the session's user id is "id.stamp": it was int()'d
    assert r.status_code == 200 and r.is_json
    assert [c["title"] for c in r.get_json()["items"]] == ["Kiện toàn cấp ủy Đảng bộ Khối cơ quan"]

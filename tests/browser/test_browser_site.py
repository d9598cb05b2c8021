"""Issue 3, test 3: the site around the cases — the language toggle, a wrong password, the 404
page, and a phone-sized window without horizontal scrolling."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_steps import (case_url, no_horizontal_scroll, open_case, save_record, sign_in, sign_out,
                           start_record)
from browser_support import PASSWORD

pytestmark = pytest.mark.browser

PROCEDURE = "Quy trình công tác nhân sự cấp ủy đảng bộ mới thành lập (7 bước)"


def _case_with_a_record(page, title: str) -> int:
    case_id = open_case(page, PROCEDURE, title)
    start_record(page)
    page.get_by_label("Tiêu chuẩn").fill("Tiêu chuẩn theo hướng dẫn của Ban Tổ chức Trung ương.")
    page.get_by_label("Danh sách nhân sự dự kiến").fill("Nguyễn Thị Hoa\nPhan Văn Khánh")
    save_record(page)
    return case_id


def test_language_toggle_switches_the_pages_to_english_and_back(page, shots):
    sign_in(page, "canbo1")
    case_id = _case_with_a_record(page, "Kiểm thử ngôn ngữ: nhân sự cấp ủy xã Duy Hải")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    shots(page, "case-vi")

    page.get_by_role("link", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation", name=re.compile("Main navigation", re.I))).to_be_visible()
    expect(page.get_by_role("link", name="My work").first).to_be_visible()
    expect(page.get_by_text("Việc cần làm")).to_have_count(0)
    expect(page.get_by_text("Step 1: The district Standing Committee sets the criteria").first).to_be_visible()
    expect(page.get_by_role("heading", name="To do — step 1 of 7")).to_be_visible()
    expect(page.get_by_role("link", name="Fill in the step")).to_be_visible()
    expect(page.get_by_role("link", name="Nhập nội dung bước")).to_have_count(0)
    shots(page, "case-en")
    page.goto("/")           # the choice stays for the next pages
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    shots(page, "home-en")

    page.get_by_role("link", name="VI", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    page.goto(case_url(case_id))
    expect(page.get_by_role("link", name="Nhập nội dung bước")).to_be_visible()
    shots(page, "case-vi-again")


def test_wrong_password_is_refused_with_a_message_and_the_right_one_then_works(page, shots):
    page.goto("/login")
    shots(page, "login")
    page.get_by_label("Tên đăng nhập").fill("canbo2")
    page.get_by_label("Mật khẩu").fill("khong-dung-mat-khau")
    with page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url) as resp:
        page.get_by_role("button", name="Đăng nhập").click()
    assert resp.value.status == 401
    expect(page.get_by_role("alert")).to_contain_text("Sai tên đăng nhập hoặc mật khẩu.")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("canbo2")     # kept
    expect(page.get_by_label("Mật khẩu")).to_have_value("")                 # not echoed back
    expect(page.get_by_role("button", name="Đăng xuất")).to_have_count(0)
    shots(page, "login-wrong-password")

    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    expect(page.get_by_text("Trần Thị Bộ")).to_be_visible()
    shots(page, "signed-in-after-retry")


def test_not_found_pages_keep_the_site_layout_and_show_no_stack_trace(page, shots):
    response = page.goto("/khong-co-trang-nay")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    expect(page.get_by_role("link", name="cadreflow")).to_be_visible()           # the navigation bar
    expect(page.locator("footer")).to_contain_text("Quy trình công tác cán bộ")  # and the footer
    expect(page.get_by_role("link", name="Đăng nhập")).to_be_visible()
    body = page.locator("body").inner_text()
    for leak in ("Traceback", "werkzeug", "NotFound", "File \"", "jinja2"):
        assert leak not in body, leak
    shots(page, "404-signed-out")

    sign_in(page, "kiemtra")
    response = page.goto("/cases/999999")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    expect(page.get_by_role("link", name="Về trang Việc của tôi")).to_be_visible()
    expect(page.get_by_text("Phạm Thị Kiểm Tra")).to_be_visible()               # still signed in, same layout
    assert "Traceback" not in page.locator("body").inner_text()
    shots(page, "404-unknown-case")


def test_phone_sized_window_shows_home_and_case_pages_without_horizontal_scrolling(chromium, live_server, shots):
    ctx = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844},
                               device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN")
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    try:
        sign_in(page, "canbo1")
        expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
        width, inner = no_horizontal_scroll(page)
        shots(page, "phone-home")
        assert inner == 390 and width <= inner + 1, (width, inner)

        case_id = _case_with_a_record(page, "Kiểm thử màn hình điện thoại: nhân sự cấp ủy thị trấn Nam Phước")
        page.goto(case_url(case_id))
        expect(page.get_by_role("link", name="Nhập nội dung bước")).to_be_visible()
        width, inner = no_horizontal_scroll(page)
        shots(page, "phone-case")
        assert width <= inner + 1, (width, inner)

        # the folded navigation opens and signs out
        sign_out(page)
        shots(page, "phone-signed-out")
    finally:
        ctx.close()

"""What a person does on the pages, with role- and label-based locators (they survive markup changes)."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from browser_support import PASSWORD, USERS


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    # the signed-in person's name is in the navigation (folded away on a phone)
    expect(page.locator("nav").get_by_text(USERS[username][1], exact=True)).to_be_attached()


def sign_out(page: Page) -> None:
    toggler = page.get_by_role("button", name="Mở menu")
    if toggler.is_visible():        # a narrow window folds the navigation
        toggler.click()
    page.locator(".navbar .dropdown-toggle").click()
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_text("Bạn đã đăng xuất.")).to_be_visible()


def open_case(page: Page, procedure_title: str, title: str) -> int:
    """From the home page: Mở hồ sơ mới, pick the procedure, give a title; returns the case number."""
    page.goto("/cases/new")
    expect(page.get_by_role("heading", name="Mở hồ sơ mới")).to_be_visible()
    page.get_by_label(procedure_title).check()
    page.get_by_label("Tiêu đề hồ sơ").fill(title)
    page.get_by_role("button", name="Mở hồ sơ").click()
    expect(page.get_by_text("Đã mở hồ sơ mới.")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    return int(re.search(r"/cases/(\d+)$", page.url).group(1))


def case_url(case_id: int) -> str:
    return f"/cases/{case_id}"


def start_record(page: Page) -> None:
    page.get_by_role("link", name="Nhập nội dung bước").click()
    expect(page.get_by_role("heading", name="Nhập nội dung bước")).to_be_visible()


def save_record(page: Page) -> None:
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Đã lưu nội dung bước.")).to_be_visible()


def start_tally(page: Page) -> None:
    page.get_by_role("link", name="Nhập kết quả kiểm phiếu").click()
    expect(page.get_by_role("heading", name="Nhập kết quả kiểm phiếu")).to_be_visible()


def fill_counts(page: Page, **counts: int) -> None:
    """The conference counts, typed key by key (summoned, present, issued, collected, valid, invalid)."""
    labels = {"summoned": "Số được triệu tập", "present": "Số có mặt", "issued": "Số phiếu phát ra",
              "collected": "Số phiếu thu về", "valid": "Số phiếu hợp lệ", "invalid": "Số phiếu không hợp lệ",
              "members": "Tổng số thành viên tập thể"}
    for k, v in counts.items():
        page.get_by_label(labels[k]).press_sequentially(str(v))


def vote_input(page: Page, measure: str, name: str):
    return page.get_by_label(f"{measure} — {name}", exact=True)


def candidate_row(page: Page, name: str):
    """The tally-form row of a listed candidate."""
    return page.locator("tr.cf-cand").filter(has_text=name)


def save_tally(page: Page) -> None:
    page.get_by_role("button", name="Lưu kết quả kiểm phiếu").click()
    expect(page.get_by_text("Đã ghi kết quả kiểm phiếu.")).to_be_visible()


def advance(page: Page, *, last: bool = False) -> None:
    name = "Hoàn thành hồ sơ" if last else "Chuyển sang bước tiếp theo"
    page.get_by_role("button", name=name).click()
    expect(page.get_by_text("Hồ sơ đã hoàn thành." if last else "Đã chuyển bước.")).to_be_visible()


def current_step_is(page: Page, no: int, of: int) -> None:
    expect(page.get_by_role("heading", name=f"Việc cần làm — bước {no} trên {of}")).to_be_visible()


def step_card(page: Page, step_key: str):
    return page.locator(f"article#step-{step_key}")


def no_horizontal_scroll(page: Page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")

"""Issue 14, item 6 in a real browser, on a miniature appointment (tests/scenarios/lang/definitions/
lang-appointment.v1.yaml) served beside the shipped procedures:

1. a failed vote is no dead end: the staff member sees why and the lawful next actions; the case is
   in the supervisor's work as "needs a decision"; the supervisor ends it with the outcome the
   definition names, with its decision record;
2. a correction of a saved tally: refused without a reason, then waiting for another supervisor; once
   approved the step shows the new count, the earlier one marked corrected, on the page and in the
   printed minutes;
3. a return: its reason at the top of the case page and of the step's form, "returned" in my work,
   and the form returned to opens filled in with what was recorded.

Each case is brought to its collective vote by the scenario runner on the served database (the same
engine the pages call), then taken on in the browser."""
from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser_steps import fill_counts
from browser_support import CHROMIUM_ARGS, PASSWORD
from tests.live import start_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
UNIT = "Tỉnh ủy Quảng Nam/Huyện ủy Duy Xuyên"
USERS = {"cv1": ("staff", "Nguyễn Thị Chuyên Viên"), "ld1": ("supervisor", "Trần Văn Lãnh Đạo"),
         "ld2": ("supervisor", "Lê Thị Phó Ban")}


@pytest.fixture(scope="module")
def server(chromium_path, tmp_path_factory):
    """The site with the shipped definitions and the language's test definitions."""
    tmp = tmp_path_factory.mktemp("cadreflow-lang")
    folder = tmp / "definitions"
    shutil.copytree(ROOT / "definitions", folder, ignore=shutil.ignore_patterns("demo", "documents"))
    for f in (ROOT / "tests/scenarios/lang/definitions").glob("*.yaml"):
        shutil.copy(f, folder)
    users = [("create-user", name, "--role", role, "--unit", UNIT, "--name", display, "--password", PASSWORD)
             for name, (role, display) in USERS.items()]
    s = start_server(tmp, ("bootstrap", "--unit", "Tỉnh ủy Quảng Nam"), *users,
                     extra_env={"CADREFLOW_DEFINITIONS": str(folder)})
    s.tmp = tmp
    yield s
    log = s.stop()
    assert "Traceback" not in log, log[-4000:]


@pytest.fixture
def page(chromium, server):
    ctx = chromium.new_context(base_url=server.url, viewport={"width": 1280, "height": 900}, locale="vi-VN")
    ctx.set_default_timeout(10_000)
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    ctx.close()
    assert not errors, errors


def at_collective(server, title: str, agree: int, members: int = 10) -> None:
    """A lang-appointment case taken to its collective vote by the scenario runner, on the served database."""
    spec = textwrap.dedent(f"""
        procedure: lang-appointment
        unit: Huyện ủy Duy Xuyên
        users: {{cv1: staff}}
        actions:
          - {{as: cv1, do: open, title: "{title}"}}
          - {{as: cv1, do: record, fields: {{policy_date: 2026-03-02, candidates: ["Võ Thị Hoa"], members: {members}}}}}
          - {{as: cv1, do: advance}}
          - {{as: cv1, do: tally, summoned: 30, present: 25, issued: 25, collected: 25, valid: 25, invalid: 0,
             candidates: {{"Võ Thị Hoa": {{agree: 20, disagree: 5}}}}}}
          - {{as: cv1, do: advance}}
          - {{as: cv1, do: tally, summoned: {members}, members: {members}, present: {members}, issued: {members},
             collected: {members}, valid: {members}, invalid: 0,
             candidates: {{"Võ Thị Hoa": {{agree: {agree}, disagree: {members - agree}}}}}}}
        """)
    path = server.tmp / f"{abs(hash(title))}.yaml"
    path.write_text(spec, encoding="utf-8")
    server.flask("scenario", "run", str(path), "--database", server.env["DATABASE_URL"])


def sign_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def open_by_title(page, title: str) -> int:
    page.goto(f"/?q={title}")
    page.get_by_role("link", name=re.compile(re.escape(title))).first.click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    return int(re.search(r"/cases/(\d+)", page.url).group(1))


def test_a_failed_vote_shows_the_lawful_next_actions_and_the_supervisor_ends_the_case_with_its_outcome(
        page, server, shots):
    title = "Bổ nhiệm Phó Chánh Văn phòng (không đạt)"
    at_collective(server, title, agree=4)
    sign_in(page, "cv1")
    case_id = open_by_title(page, title)
    alert = page.locator("#needs-decision")
    expect(alert).to_contain_text("cần lãnh đạo quyết định hướng xử lý")
    expect(alert).to_contain_text("Kết quả biểu quyết chưa đạt")
    expect(alert).to_contain_text("kết thúc với kết quả “Không bổ nhiệm”")
    expect(alert).to_contain_text("trả lại về Bước 1")
    expect(page.get_by_role("button", name="Kết thúc hồ sơ")).to_have_count(0)      # not staff's to decide
    shots(page, "staff-sees-why-and-the-lawful-next-actions")

    page.context.clear_cookies()
    sign_in(page, "ld1")
    queue = page.locator("#queue")
    expect(queue.get_by_role("link", name=re.compile(re.escape(title)))).to_be_visible()
    expect(queue).to_contain_text("Cần lãnh đạo quyết định")
    shots(page, "in-the-supervisors-work-as-needs-a-decision")
    page.goto(f"/cases/{case_id}")
    form = page.locator("form").filter(has_text="Kết thúc hồ sơ với kết quả: Không bổ nhiệm")
    form.get_by_label("Số quyết định").fill("12-TB/HU")
    form.get_by_label("Ngày quyết định").fill("2026-03-20")
    form.get_by_label("Người ký").fill("Bí thư Huyện ủy")
    form.get_by_label("Lý do").fill("Không đạt trên 50% tổng số thành viên tập thể lãnh đạo")
    shots(page, "the-decision-with-its-record")
    form.get_by_role("button", name="Kết thúc hồ sơ").click()
    expect(page.get_by_text("Hồ sơ đã kết thúc với kết quả đã chọn.")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Không bổ nhiệm")
    expect(page.locator("header")).to_contain_text("12-TB/HU")
    shots(page, "ended-not-appointed")


def test_a_corrected_tally_needs_its_reason_and_another_supervisors_approval_and_stays_marked(page, server, shots):
    title = "Bổ nhiệm Phó Trưởng phòng (kiểm phiếu lại)"
    at_collective(server, title, agree=5, members=11)
    sign_in(page, "cv1")
    case_id = open_by_title(page, title)
    page.get_by_role("link", name="Nhập kết quả kiểm phiếu").click()
    expect(page.get_by_text("lưu số liệu khác là sửa kết quả")).to_be_visible()
    page.get_by_label("Đồng ý — Võ Thị Hoa", exact=True).fill("8")
    page.get_by_label("Không đồng ý — Võ Thị Hoa", exact=True).fill("3")
    page.get_by_role("button", name="Lưu kết quả kiểm phiếu").click()
    expect(page.get_by_text("hãy nêu lý do sửa").first).to_be_visible()
    shots(page, "refused-without-a-reason")
    page.get_by_label("Lý do sửa").fill("Ban kiểm phiếu đếm nhầm hai phiếu")
    page.get_by_role("button", name="Lưu kết quả kiểm phiếu").click()
    expect(page.get_by_text("bản sửa có hiệu lực khi một lãnh đạo khác phê duyệt")).to_be_visible()
    expect(page.get_by_text("kết quả cũ vẫn có hiệu lực cho đến khi được phê duyệt")).to_be_visible()
    shots(page, "waiting-for-approval")

    page.context.clear_cookies()
    sign_in(page, "ld2")
    page.goto(f"/cases/{case_id}")
    panel = page.get_by_role("region", name="Bản sửa kết quả kiểm phiếu chờ phê duyệt")
    expect(panel).to_contain_text("Ban kiểm phiếu đếm nhầm hai phiếu")
    expect(panel).to_contain_text("Võ Thị Hoa: Đồng ý 8")
    shots(page, "the-supervisor-sees-what-changes")
    panel.get_by_role("button", name="Phê duyệt bản sửa").click()
    expect(page.get_by_text("Đã phê duyệt bản sửa")).to_be_visible()
    card = page.locator("article#step-collective")
    expect(card).to_contain_text("đã sửa")
    expect(card).to_contain_text("Kết quả trước khi sửa")
    expect(card.get_by_role("row").filter(has_text="Võ Thị Hoa")).to_contain_text("Đạt")
    shots(page, "corrected-and-marked")
    with page.expect_popup() as minutes:
        card.get_by_role("link", name="In biên bản kiểm phiếu").click()
    expect(minutes.value.get_by_text("3. Kết quả đã sửa")).to_be_visible()
    expect(minutes.value.get_by_text(re.compile("Lý do sửa: Ban kiểm phiếu đếm nhầm hai phiếu"))).to_be_visible()
    shots(minutes.value, "printed-minutes-show-the-correction")


def test_a_return_shows_its_reason_at_the_top_and_the_form_returned_to_opens_filled_in(page, server, shots):
    title = "Bổ nhiệm Trưởng phòng (trả lại)"
    at_collective(server, title, agree=7)
    sign_in(page, "ld1")
    case_id = open_by_title(page, title)
    form = page.locator("form").filter(has=page.get_by_role("heading", name="Trả lại"))
    form.get_by_label("Trả về").select_option(label="Bước 1: Đề xuất")
    form.get_by_label("Lý do").fill("Bổ sung số thành viên của tập thể lãnh đạo")
    form.get_by_role("button", name="Trả lại").click()
    expect(page.get_by_text("Đã trả lại hồ sơ.")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, "cv1")
    expect(page.locator("#queue").get_by_text("Bị trả lại")).to_be_visible()
    shots(page, "returned-in-my-work")
    page.goto(f"/cases/{case_id}")
    top = page.locator("#returned")
    expect(top).to_contain_text("Bổ sung số thành viên của tập thể lãnh đạo")
    expect(top.get_by_title("ld1")).to_have_text("Trần Văn Lãnh Đạo")          # the full name, the login on hover
    shots(page, "the-reason-at-the-top")
    page.get_by_role("link", name="Nhập nội dung bước").click()
    expect(page.get_by_text("Hồ sơ đã bị trả lại về bước này. Lý do: Bổ sung số thành viên")).to_be_visible()
    expect(page.get_by_text("điền sẵn nội dung ghi trước khi hồ sơ bị trả lại")).to_be_visible()
    expect(page.get_by_label("Ngày có chủ trương")).to_have_value("2026-03-02")
    expect(page.get_by_label("Nhân sự")).to_have_value("Võ Thị Hoa")
    expect(page.get_by_label("Số thành viên tập thể")).to_have_value("10")
    shots(page, "the-form-opens-filled-in")
    page.get_by_label("Số thành viên tập thể").fill("11")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Đã lưu nội dung bước.")).to_be_visible()
    page.get_by_role("button", name="Chuyển sang bước tiếp theo").click()
    expect(page.get_by_text("Đã chuyển bước.")).to_be_visible()
    expect(page.locator("#returned")).to_have_count(0)


def test_the_case_list_finds_a_case_by_title_or_candidate_with_or_without_diacritics_and_in_nfd(page, server, shots):
    import unicodedata
    title = "Bổ nhiệm Chánh Văn phòng Huyện ủy Duy Xuyên"
    at_collective(server, title, agree=7)            # the candidate on the list: Võ Thị Hoa
    sign_in(page, "cv1")
    for typed in ("duy xuyen", "vo thi hoa", "VÕ THỊ HOA", unicodedata.normalize("NFD", "Võ Thị Hoa")):
        page.goto("/")
        page.get_by_label("Tìm theo tiêu đề hoặc họ tên nhân sự").fill(typed)
        page.get_by_role("button", name="Lọc").click()
        expect(page.locator("table.cf-cases").get_by_role("link", name=re.compile(re.escape(title)))).to_be_visible()
    shots(page, "found-without-diacritics")
    page.get_by_label("Tìm theo tiêu đề hoặc họ tên nhân sự").fill("Vò Thị Hoa")      # a different accent: not her
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("table.cf-cases").get_by_role("link", name=re.compile(re.escape(title)))).to_have_count(0)

"""Issue 3, test 2: an internal appointment whose key-cadres conference does not pass. The page
shows the failure, why the step cannot be left and the lawful next actions (issue 14: no advance
button that can only be refused), and the supervisor
returns the case to the 2nd leadership meeting through the return form: that step is current
again, the reason is in the history, and the records from there on are set aside."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_steps import (candidate_row, case_url, current_step_is, fill_counts, open_case, save_record, save_tally,
                           sign_in, sign_out, start_record, start_tally, step_card, vote_input, advance)

pytestmark = pytest.mark.browser

PROCEDURE = "Quy trình bổ nhiệm cán bộ – nguồn nhân sự tại chỗ"
TITLE = "Bổ nhiệm Phó Trưởng ban Tổ chức Huyện ủy Duy Xuyên"
EM, GAM = "Hồ Văn Em", "Đặng Thị Gấm"
REASON = "Hội nghị cán bộ chủ chốt không đạt trên 50%; đề nghị tập thể lãnh đạo giới thiệu lại nhân sự."


def _nomination(page, shots, what: str, summoned: int, votes: dict[str, int]) -> None:
    """A secret-ballot nomination: everyone present votes, one name per ballot."""
    start_tally(page)
    expect(page.get_by_role("columnheader", name=re.compile("Số phiếu giới thiệu"))).to_be_visible()
    n = sum(votes.values())
    fill_counts(page, summoned=summoned, present=n, issued=n, collected=n, valid=n, invalid=0)
    for name, v in votes.items():
        vote_input(page, "Đồng ý", name).fill(str(v))
    top = max(votes, key=votes.get)
    expect(candidate_row(page, top).locator(".cf-live")).to_contain_text("nhiều phiếu nhất")
    shots(page, f"{what}-tally-live")
    save_tally(page)
    expect(page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=top))
           .get_by_role("cell").last).to_have_text("Được giới thiệu")
    shots(page, f"{what}-saved")
    advance(page)


def test_failed_key_cadres_vote_blocks_advancing_and_the_supervisor_returns_the_case(page, shots):
    # ---- a second staff member opens the appointment and takes it to the key-cadres conference --
    sign_in(page, "canbo2")
    case_id = open_case(page, PROCEDURE, TITLE)
    current_step_is(page, 1, 7)
    start_record(page)
    page.get_by_label("Chức danh cần bổ nhiệm").fill("Phó Trưởng ban Tổ chức Huyện ủy")
    page.get_by_label("Ngày có chủ trương bổ nhiệm").fill("2025-10-15")
    page.get_by_label(re.compile("^Cơ cấu")).fill("01 Phó Trưởng ban phụ trách công tác cán bộ")
    page.get_by_label("Số lượng cần bổ nhiệm").fill("1")
    page.get_by_label("Tiêu chuẩn, điều kiện").fill("Theo Quy định 377-QĐ/TW và tiêu chuẩn chức danh.")
    page.get_by_label("Danh sách nhân sự đủ điều kiện").fill(f"{EM}\n{GAM}")
    shots(page, "step1-form")
    save_record(page)
    advance(page)
    _nomination(page, shots, "step2", 20, {EM: 12, GAM: 6})
    _nomination(page, shots, "step3", 9, {EM: 7})        # Em won step 2 outright: only Em goes on
    current_step_is(page, 4, 7)

    # ---- step 4: the key-cadres conference does not reach the threshold ----------------------
    start_tally(page)
    fill_counts(page, summoned=40, present=35, issued=35, collected=35, valid=35, invalid=0)
    vote_input(page, "Đồng ý", EM).fill("15")
    vote_input(page, "Không đồng ý", EM).fill("20")
    live = candidate_row(page, EM).locator(".cf-live")
    expect(live).to_contain_text("37,50%")
    expect(live).to_contain_text("Không đạt")
    expect(page.locator("#live-summary")).to_contain_text("Cần ít nhất 21 phiếu để đạt.")
    shots(page, "step4-tally-live-failing")
    save_tally(page)
    record = step_card(page, "key-cadres")
    em_row = record.get_by_role("row").filter(has=page.get_by_role("rowheader", name=EM))
    expect(em_row).to_contain_text("37,50%")
    expect(em_row.get_by_role("cell").last).to_have_text("Không đạt")
    shots(page, "step4-saved-failed")

    # no dead end (issue 14): the failed gate is explained with the lawful next actions, the case waits for a
    # supervisor's decision, and leaving the step is not offered to staff
    expect(page.get_by_role("button", name="Chuyển sang bước tiếp theo")).to_have_count(0)
    refusal = page.locator("#needs-decision")
    expect(refusal).to_contain_text(re.compile(
        r"Kết quả biểu quyết chưa đạt: không ai đạt số phiếu cần thiết \(cần 21 trên 40 phiếu\)\."))
    expect(refusal).to_contain_text(re.compile(r"trả lại về Bước 3: Hội nghị tập thể lãnh đạo lần 2"))
    expect(page.get_by_text("Internal Server Error")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    current_step_is(page, 4, 7)
    shots(page, "step4-needs-a-decision")
    page.goto(case_url(case_id))
    current_step_is(page, 4, 7)
    sign_out(page)

    # ---- the supervisor returns the case to the 2nd leadership meeting ---------------------------
    sign_in(page, "lanhdao")
    page.goto(case_url(case_id))
    current_step_is(page, 4, 7)
    return_form = page.locator("form").filter(has=page.get_by_role("button", name="Trả lại"))
    target = return_form.get_by_label("Trả về")
    expect(target.get_by_role("option")).to_have_count(1)
    option = target.get_by_role("option", name=re.compile(r"^Bước 3: Hội nghị tập thể lãnh đạo lần 2"))
    target.select_option(label=option.text_content().strip())
    return_form.get_by_label("Lý do").fill(REASON)
    shots(page, "supervisor-return-form")
    return_form.get_by_role("button", name="Trả lại").click()
    expect(page.get_by_text("Đã trả lại hồ sơ.")).to_be_visible()

    # the earlier step is current again
    current_step_is(page, 3, 7)
    expect(page.locator("dd").filter(has_text=re.compile(r"^Bước 3: Hội nghị tập thể lãnh đạo lần 2"))).to_be_visible()
    stepper = page.get_by_role("navigation", name="Tiến độ các bước")
    expect(stepper.locator('[aria-current="step"]')).to_contain_text("3")
    steps = stepper.get_by_role("listitem")
    expect(steps.nth(3)).to_contain_text("Sắp tới")       # step 4 is no longer done
    expect(steps.nth(1)).to_contain_text("Xong")          # step 2 still is
    expect(steps.filter(has_text="Xong")).to_have_count(2)
    # the records of steps 3 and 4 are set aside: no longer shown as the steps' content …
    step3 = step_card(page, "collective-2")
    expect(step3.get_by_text("Đang thực hiện")).to_be_visible()
    expect(step3.get_by_text("Chưa ghi nội dung nào.")).to_be_visible()
    expect(step_card(page, "key-cadres")).to_have_count(0)
    records = page.get_by_role("region", name="Nội dung đã ghi theo từng bước")
    expect(records).to_be_visible()
    expect(records.get_by_text("Không đạt", exact=True)).to_have_count(0)
    step_card(page, "expanded-meeting").locator("summary").click()        # a step not current is folded
    expect(step_card(page, "expanded-meeting").get_by_text("Được giới thiệu", exact=True)).to_be_visible()   # step 2 kept
    # … but kept in the history, with the return and its reason
    history = page.get_by_role("region", name="Lịch sử hồ sơ")
    returned = history.get_by_role("listitem").filter(has_text="Trả lại từ")
    expect(returned).to_have_count(1)
    expect(returned).to_contain_text(re.compile(r"Trả lại từ Bước 4: Hội nghị cán bộ chủ chốt.* về Bước 3:"))
    expect(returned).to_contain_text(REASON)
    expect(returned.get_by_title("lanhdao").first).to_have_text("Lê Văn Lãnh Đạo")     # the full name, the login on hover
    expect(history.get_by_role("listitem").filter(has_text="Ghi kết quả kiểm phiếu Bước 4")).to_contain_text("Không đạt")
    shots(page, "returned-to-step3")
    sign_out(page)

    # ---- the staff finds step 3 open again with an empty tally form ------------------------------
    sign_in(page, "canbo2")
    page.goto(case_url(case_id))
    current_step_is(page, 3, 7)
    start_tally(page)
    for k in ("Số được triệu tập", "Số có mặt", "Số phiếu hợp lệ"):
        expect(page.get_by_label(k)).to_have_value("")
    expect(vote_input(page, "Đồng ý", EM)).to_have_value("")
    shots(page, "step3-tally-again-empty")
    sign_out(page)

    # ---- an auditor reads the open case and can change nothing ----------------------------------
    sign_in(page, "kiemtra")
    page.goto(case_url(case_id))
    current_step_is(page, 3, 7)
    expect(page.get_by_text("Bạn không có thao tác nào ở bước này.")).to_be_visible()
    main = page.locator("main")
    expect(main.locator("form")).to_have_count(0)
    expect(main.get_by_role("button")).to_have_count(0)
    shots(page, "auditor-open-case")
    response = page.goto(f"/cases/{case_id}/tally")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Không có quyền truy cập")).to_be_visible()
    expect(page.get_by_role("link", name="Về trang Việc của tôi")).to_be_visible()
    shots(page, "auditor-tally-forbidden")

"""Issue 3, test 1: the committee-personnel procedure through all seven steps in a real browser,
by three people (staff, supervisor, auditor), ending with the auditor's read-only view, the
integrity check and the CSV export of the case history."""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from browser_steps import (advance, candidate_row, case_url, current_step_is, fill_counts, open_case, save_record,
                           save_tally, sign_in, sign_out, start_record, start_tally, step_card, vote_input)

pytestmark = pytest.mark.browser

PROCEDURE = "Quy trình công tác nhân sự cấp ủy đảng bộ mới thành lập (7 bước)"
TITLE = "Nhân sự cấp ủy Đảng bộ xã Duy Trung (thành lập mới)"
CANDIDATES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
NOMINEE = "Võ Thị Dung"


def test_committee_personnel_runs_all_seven_steps_through_the_pages_and_the_auditor_only_reads(page, shots):
    # ---- staff opens the case -------------------------------------------------------------------
    sign_in(page, "canbo1")
    shots(page, "home-staff")
    case_id = open_case(page, PROCEDURE, TITLE)
    current_step_is(page, 1, 7)
    shots(page, "case-opened")

    # ---- step 1: criteria and the candidate list (one name per line) ---------------------------
    start_record(page)
    page.get_by_label("Tiêu chuẩn").fill("Theo Hướng dẫn 38-HD/BTCTW; có phẩm chất chính trị vững vàng.")
    page.get_by_label("Dự kiến cơ cấu").fill("Bí thư, 01 phó bí thư, 03 ủy viên")
    page.get_by_label("Số lượng cấp ủy viên").fill("5")
    page.get_by_label("Danh sách nhân sự dự kiến").fill("\n".join(CANDIDATES))
    shots(page, "step1-form")
    save_record(page)
    card = step_card(page, "criteria")
    for name in CANDIDATES:
        expect(card.get_by_role("listitem").filter(has_text=name)).to_be_visible()
    shots(page, "step1-saved")
    advance(page)
    current_step_is(page, 2, 7)
    shots(page, "step2-current")

    # ---- step 2: confidence vote, the live calculation before saving ---------------------------
    start_tally(page)
    live = page.locator("#live-summary")
    fill_counts(page, summoned=40, present=36, issued=36, collected=36, valid=35, invalid=1)
    expect(live).to_contain_text("Đủ số lượng: có mặt 36 trên 40 (cần ít nhất 27).")
    expect(live).to_contain_text("Cần ít nhất 21 phiếu để đạt.")
    an, binh, cuong = (candidate_row(page, n) for n in CANDIDATES)
    expect(an.locator(".cf-live")).to_have_text("")
    vote_input(page, "Đồng ý", CANDIDATES[0]).press_sequentially("30")
    expect(an.locator(".cf-live")).to_contain_text("75,00%")
    expect(an.locator(".cf-live")).to_contain_text("Đạt")
    vote_input(page, "Không đồng ý", CANDIDATES[0]).fill("5")
    vote_input(page, "Đồng ý", CANDIDATES[1]).fill("25")
    vote_input(page, "Không đồng ý", CANDIDATES[1]).fill("10")
    vote_input(page, "Đồng ý", CANDIDATES[2]).press_sequentially("20")
    # exactly one half of those summoned is not "more than one half"
    expect(cuong.locator(".cf-live")).to_contain_text("50,00%")
    expect(cuong.locator(".cf-live")).to_contain_text("Không đạt")
    vote_input(page, "Đồng ý", CANDIDATES[2]).fill("21")
    expect(cuong.locator(".cf-live")).to_contain_text("52,50%")
    expect(cuong.locator(".cf-live")).not_to_contain_text("Không đạt")
    vote_input(page, "Đồng ý", CANDIDATES[2]).fill("15")
    vote_input(page, "Không đồng ý", CANDIDATES[2]).fill("20")
    expect(binh.locator(".cf-live")).to_contain_text("62,50%")
    expect(cuong.locator(".cf-live")).to_contain_text("37,50%")
    expect(cuong.locator(".cf-live")).to_contain_text("Không đạt")
    # an inconsistent count is flagged live too, and goes away when corrected
    page.get_by_label("Số phiếu không hợp lệ").fill("3")
    expect(live).to_contain_text("Hợp lệ + không hợp lệ khác số phiếu thu về.")
    shots(page, "step2-tally-live-inconsistent")
    page.get_by_label("Số phiếu không hợp lệ").fill("1")
    expect(live).not_to_contain_text("Hợp lệ + không hợp lệ khác số phiếu thu về.")
    page.get_by_label("Ngày họp").fill("2025-03-12")
    page.get_by_label("Địa điểm").fill("Hội trường Đảng ủy xã Duy Trung")
    shots(page, "step2-tally-live")
    save_tally(page)
    result = step_card(page, "members-conference")
    expect(result.get_by_text("Đủ số lượng: có mặt 36 trên 40 (cần ít nhất 27).")).to_be_visible()
    for name, share, verdict in ((CANDIDATES[0], "75,00%", "Đạt"), (CANDIDATES[1], "62,50%", "Đạt"),
                                 (CANDIDATES[2], "37,50%", "Không đạt")):
        row = result.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
        expect(row).to_contain_text(share)
        expect(row.get_by_role("cell").last).to_have_text(verdict)
    shots(page, "step2-saved")
    advance(page)
    current_step_is(page, 3, 7)

    # ---- step 3: block conference, with a nominee outside the list ----------------------------
    start_tally(page)
    rows_before = page.locator("tr.cf-cand").count()
    page.get_by_role("button", name="Thêm người ngoài danh sách").click()
    expect(page.locator("tr.cf-cand")).to_have_count(rows_before + 1)
    new_row = page.locator("tr.cf-cand").last
    expect(new_row.get_by_role("textbox")).to_be_focused()
    new_row.get_by_role("textbox").fill(NOMINEE)
    fill_counts(page, summoned=25, present=24, issued=24, collected=24, valid=24, invalid=0)
    for name, agree, disagree in ((CANDIDATES[0], 20, 4), (CANDIDATES[1], 18, 6), (CANDIDATES[2], 9, 15)):
        vote_input(page, "Đồng ý", name).fill(str(agree))
        vote_input(page, "Không đồng ý", name).fill(str(disagree))
    new_row.get_by_role("spinbutton").first.press_sequentially("14")
    new_row.get_by_role("spinbutton").nth(1).fill("10")
    expect(new_row.locator(".cf-live")).to_contain_text("56,00%")
    expect(new_row.locator(".cf-live")).to_contain_text("Đạt")
    expect(candidate_row(page, CANDIDATES[2]).locator(".cf-live")).to_contain_text("Không đạt")
    shots(page, "step3-tally-live")
    save_tally(page)
    result = step_card(page, "block-conference")
    nominee_row = result.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile(NOMINEE)))
    expect(nominee_row).to_contain_text("ngoài danh sách")
    expect(nominee_row).to_contain_text("56,00%")
    expect(nominee_row.get_by_role("cell").last).to_have_text("Đạt")
    shots(page, "step3-saved")
    advance(page)
    current_step_is(page, 4, 7)

    # ---- step 4: appraisal --------------------------------------------------------------------
    start_record(page)
    page.get_by_label("Kết quả thẩm định tiêu chuẩn").fill(
        f"Các đồng chí {CANDIDATES[0]}, {CANDIDATES[1]}, {NOMINEE} đủ tiêu chuẩn.")
    page.get_by_label("Số tờ trình").fill("12-TTr/BTCHU")
    page.get_by_label("Ngày tờ trình").fill("2025-03-20")
    shots(page, "step4-form")
    save_record(page)
    advance(page)
    current_step_is(page, 5, 7)

    # ---- step 5: decision, then the request for approval ---------------------------------------
    start_record(page)
    page.get_by_label("Số quyết định").fill("245-QĐ/HU")
    page.get_by_label("Ngày quyết định").fill("2025-03-25")
    page.get_by_label("Nhân sự được chỉ định").fill(
        f"{CANDIDATES[0]} – Bí thư\n{CANDIDATES[1]} – Phó Bí thư\n{NOMINEE} – Ủy viên")
    shots(page, "step5-form")
    save_record(page)
    expect(page.get_by_role("button", name="Chuyển sang bước tiếp theo")).to_have_count(0)
    page.get_by_label("Nội dung trình").fill("Kính trình Thường trực Huyện ủy xem xét, phê duyệt.")
    page.get_by_role("button", name="Trình phê duyệt").click()
    expect(page.get_by_text("Đã trình lãnh đạo phê duyệt.")).to_be_visible()
    expect(page.get_by_text("Đang chờ lãnh đạo phê duyệt").first).to_be_visible()
    expect(page.get_by_role("link", name="Nhập nội dung bước")).to_have_count(0)
    shots(page, "step5-awaiting-approval")
    sign_out(page)
    shots(page, "signed-out")

    # ---- the supervisor approves ------------------------------------------------------------
    sign_in(page, "lanhdao")
    expect(page.get_by_role("link", name=TITLE).first).to_be_visible()
    shots(page, "home-supervisor")
    page.get_by_role("link", name=TITLE).first.click()
    expect(page.get_by_text("Nội dung trình: Kính trình Thường trực Huyện ủy xem xét, phê duyệt.")).to_be_visible()
    shots(page, "step5-supervisor-view")
    page.get_by_label("Ý kiến (không bắt buộc)").fill("Đồng ý với tờ trình.")
    page.get_by_role("button", name="Phê duyệt và chuyển bước").click()
    expect(page.get_by_text("Đã phê duyệt.", exact=True)).to_be_visible()
    current_step_is(page, 6, 7)
    expect(step_card(page, "decision")).to_contain_text("Đã được lãnh đạo phê duyệt. Ý kiến: Đồng ý với tờ trình.")
    shots(page, "step5-approved")
    sign_out(page)

    # ---- step 6: the staff announces the decision ------------------------------------------
    sign_in(page, "canbo1")
    page.goto(case_url(case_id))
    current_step_is(page, 6, 7)
    page.get_by_role("link", name="Đăng thông báo").click()
    expect(page.get_by_role("heading", name="Đăng thông báo quyết định")).to_be_visible()
    # the decision recorded at step 5 is offered
    expect(page.get_by_label("Số quyết định")).to_have_value("245-QĐ/HU")
    expect(page.get_by_label("Ngày quyết định")).to_have_value("2025-03-25")
    page.get_by_label("Người ký").fill("Bí thư Huyện ủy Nguyễn Hữu Đức")
    page.get_by_label("Địa điểm công bố").fill("Hội trường UBND xã Duy Trung")
    page.get_by_label("Nội dung thông báo").fill(
        "Công bố Quyết định số 245-QĐ/HU về việc thành lập Đảng bộ xã Duy Trung và chỉ định Ban Chấp hành.")
    shots(page, "step6-form")
    page.get_by_role("button", name="Đăng thông báo").click()
    expect(page.get_by_text("Đã đăng thông báo.")).to_be_visible()
    expect(step_card(page, "announcement")).to_contain_text("Thông báo quyết định số 245-QĐ/HU")
    shots(page, "step6-announced")
    advance(page)
    current_step_is(page, 7, 7)

    # ---- step 7: the first meeting elects; the form; the case is completed --------------------
    start_tally(page)
    fill_counts(page, summoned=5, present=5, issued=5, collected=5, valid=5, invalid=0)
    vote_input(page, "Đồng ý", CANDIDATES[0]).fill("5")
    vote_input(page, "Không đồng ý", CANDIDATES[0]).fill("0")
    vote_input(page, "Đồng ý", NOMINEE).fill("4")
    vote_input(page, "Không đồng ý", NOMINEE).fill("1")
    expect(candidate_row(page, NOMINEE).locator(".cf-live")).to_contain_text("80,00%")
    shots(page, "step7-tally-live")
    save_tally(page)
    start_record(page)
    page.get_by_label("Phân công cấp ủy viên").fill(f"{CANDIDATES[0]}: Bí thư; {NOMINEE}: Chủ nhiệm UBKT")
    page.get_by_label("Phương hướng, nhiệm vụ").fill("Xây dựng chương trình công tác toàn khóa.")
    shots(page, "step7-form")
    save_record(page)
    advance(page, last=True)
    expect(page.get_by_role("heading", name="Hồ sơ đã hoàn thành")).to_be_visible()
    stepper = page.get_by_role("navigation", name="Tiến độ các bước")
    expect(stepper.get_by_role("listitem").filter(has_text="Xong")).to_have_count(7)
    shots(page, "case-completed")
    sign_out(page)

    # ---- the auditor reads, checks the record and exports the history --------------------------
    sign_in(page, "kiemtra")
    page.goto(case_url(case_id))
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(page.get_by_text("Hồ sơ đã kết thúc; không còn thao tác nào.")).to_be_visible()
    main = page.locator("main")
    expect(main.locator("form")).to_have_count(0)
    expect(main.get_by_role("button")).to_have_count(0)
    for action in ("Nhập nội dung bước", "Nhập kết quả kiểm phiếu", "Đăng thông báo"):
        expect(main.get_by_role("link", name=action, exact=True)).to_have_count(0)
    shots(page, "auditor-case")
    page.get_by_role("link", name="Kiểm tra", exact=True).click()
    expect(page.get_by_role("heading", name="Kiểm tra", exact=True)).to_be_visible()
    shots(page, "auditor-audit-search")
    page.get_by_role("link", name="Kiểm tra toàn vẹn").click()
    intact = page.get_by_text(re.compile(r"Nhật ký nguyên vẹn: \d+ sự kiện"))
    expect(intact).to_be_visible()
    shots(page, "auditor-integrity-intact")

    page.goto(case_url(case_id))
    with page.expect_download() as dl:
        page.get_by_role("region", name="Lịch sử hồ sơ").get_by_role("link", name="CSV").click()
    download = dl.value
    assert download.suggested_filename == f"ho-so-{case_id}-lich-su.csv"
    data = download.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0][:6] == ["Số thứ tự", "Thời gian", "Người thực hiện", "Vai trò", "Loại sự kiện", "Sự kiện"]
    kinds = [r[4] for r in rows[1:]]
    assert kinds[0] == "Mở hồ sơ" and kinds[-1] == "Hoàn thành hồ sơ"
    assert kinds.count("Ghi kết quả kiểm phiếu") == 3
    for kind in ("Trình phê duyệt", "Phê duyệt", "Đăng thông báo", "Chuyển bước"):
        assert kind in kinds, (kind, kinds)
    actors = {r[2] for r in rows[1:]}
    assert {"canbo1", "lanhdao"} <= actors, actors   # the record names the account
    seqs = [int(r[0]) for r in rows[1:]]
    assert seqs == sorted(seqs)
    assert all(re.fullmatch(r"[0-9a-f]{64}", r[-1]) for r in rows[1:])
    shots(page, "auditor-after-export")

"""My work, a case, the step forms, the tally, approval and return, documents, printable records."""
from __future__ import annotations

import re
import uuid

import pytest

from web_support import TALLY, awaiting_approval, committee_case, events_of

KIND_WORDS = re.compile(r"\b(form_recorded|tally_recorded|approval_requested|case_opened)\b")


def _tally_form(rows: list[tuple[str, str, str]], **counts) -> dict:
    data = {k: str(v) for k, v in {**TALLY, **counts}.items()}
    data["rows"] = str(len(rows))
    for i, (name, agree, disagree) in enumerate(rows):
        data.update({f"c{i}-name": name, f"c{i}-agree": agree, f"c{i}-disagree": disagree})
    return data


# ---- my work -------------------------------------------------------------------------------------

def test_my_work_lists_the_cases_waiting_for_me_then_all_cases(browser, wf, org):
    mine = committee_case(wf, org, title="Hồ sơ chờ tôi")
    b = browser("staff")
    r = b.get("/")
    assert r.status_code == 200
    queue = b.page.split("Đang chờ bạn xử lý")[1].split("Tất cả hồ sơ")[0]
    assert "Hồ sơ chờ tôi" in queue and f"/cases/{mine}" in queue
    assert "Bước 2:" in queue


def test_the_supervisor_sees_the_pending_approval_in_the_queue(browser, wf, org):
    cid = awaiting_approval(wf, org)
    b = browser("lead")
    b.get("/")
    queue = b.page.split("Đang chờ bạn xử lý")[1].split("Tất cả hồ sơ")[0]
    assert f"/cases/{cid}" in queue and "Chờ phê duyệt" in queue


def test_my_work_filters_by_procedure_status_text_and_step(browser, wf, org):
    committee_case(wf, org, title="Kiện toàn Đảng bộ Khối A")
    other = wf.cases.open_case(org.staff, "party-admission", "Kết nạp quần chúng B").case["id"]
    b = browser("staff")
    b.get("/?procedure=party-admission")
    listed = b.page.split("Tất cả hồ sơ")[1]
    assert "Kết nạp quần chúng B" in listed and "Kiện toàn Đảng bộ Khối A" not in listed
    b.get("/?q=Khối")
    assert "Kiện toàn Đảng bộ Khối A" in b.page.split("Tất cả hồ sơ")[1]
    b.get("/?step=members-conference&procedure=committee-personnel")
    listed = b.page.split("Tất cả hồ sơ")[1]
    assert "Kiện toàn Đảng bộ Khối A" in listed and f"/cases/{other}" not in listed
    b.get("/?status=completed")
    assert "Không có hồ sơ nào phù hợp" in b.page
    b.get("/?overdue=1")
    assert "Không có hồ sơ nào phù hợp" in b.page


def test_my_work_pages_through_many_cases(browser, wf, org):
    for n in range(23):
        wf.cases.open_case(org.staff, "party-admission", f"Hồ sơ số thứ {n:02d}")
    b = browser("staff")
    b.get("/")
    assert "23 hồ sơ" in b.page and "?page=2" in b.page
    b.get("/?page=2")
    assert b.page.split("Tất cả hồ sơ")[1].count("Hồ sơ số thứ") == 3


def test_a_page_past_the_last_says_so_and_leads_to_the_last_page(browser, wf, org):
    for n in range(23):
        wf.cases.open_case(org.staff, "party-admission", f"Hồ sơ số thứ {n:02d}")
    b = browser("staff")
    r = b.get("/?page=9&procedure=party-admission")
    assert r.status_code == 200
    listed = b.page.split("Tất cả hồ sơ")[1]
    assert "23 hồ sơ" in listed and "Trang 9 không có hồ sơ nào: danh sách chỉ có 2 trang." in listed
    assert "Không có hồ sơ nào phù hợp" not in listed
    assert 'href="/?page=2&amp;procedure=party-admission"' in listed
    b.get("/?page=9&procedure=party-admission&lang=en")
    assert "Page 9 has no cases: the list has only 2 pages." in b.page and "Go to the last page" in b.page
    b.get("/?page=9&q=số thứ 05&lang=vi")    # one page of one match: back to the list's first page
    assert "danh sách chỉ có 1 trang." in b.page and 'href="/?q=' in b.page


def test_a_list_longer_than_the_count_window_says_more_than_and_pages_on(browser, wf, org, monkeypatch):
    monkeypatch.setattr("workflow.adapters.queries.COUNT_WINDOW", 10)
    monkeypatch.setattr("web.cases.lists.PER_PAGE", 5)
    for n in range(23):
        wf.cases.open_case(org.staff, "party-admission", f"Hồ sơ số thứ {n:02d}")
    b = browser("staff")
    b.get("/")
    assert "hơn 10 hồ sơ" in b.page
    pager = b.page.split('aria-label="Phân trang"')[1].split("</nav>")[0]
    assert "?page=2" in pager and "?page=3" not in pager and "…" in pager      # no made-up last page
    b.get("/?page=4")        # offset 15 + 10 reaches past the 23 cases: exact again
    assert "23 hồ sơ" in b.page and "hơn" not in b.page.split("Tất cả hồ sơ")[1].split("</form>")[0]
    b.get("/?page=5")
    assert b.page.split("Tất cả hồ sơ")[1].count("Hồ sơ số thứ") == 3
    b.get("/?lang=en")
    b.get("/")
    assert "more than 10 cases" in b.page


def test_the_work_queue_badge_counts_every_case_waiting_not_only_those_shown(browser, wf, org):
    for n in range(53):
        wf.cases.open_case(org.staff, "party-admission", f"Hồ sơ số thứ {n:02d}")
    b = browser("staff")
    b.get("/")
    queue = b.page.split('id="queue-title"')[1].split("</section>")[0]
    assert '<span class="badge rounded-pill text-bg-secondary">53</span>' in queue     # not 50, the page's length
    assert queue.count("Hồ sơ số thứ") == 50
    assert "Đang hiện 50 hồ sơ có bước bắt đầu sớm nhất, trong 53 hồ sơ đang chờ bạn." in queue
    b.get("/?lang=en")
    b.get("/")
    assert "Showing the 50 cases whose step began earliest, of 53 waiting for you." in b.page


def test_an_overdue_case_is_marked(browser, wf, org, app):
    import datetime as dt
    from workflow.usecases.engine import Workflow
    past = Workflow(wf.store, wf.registry, clock=lambda: dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=60))
    past.cases.open_case(org.staff, "committee-personnel", "Hồ sơ để quá hạn")
    b = browser("staff")
    b.get("/?overdue=1")
    assert "Hồ sơ để quá hạn" in b.page and "Quá hạn" in b.page


# ---- opening a case ------------------------------------------------------------------------------

def test_staff_open_a_case_from_the_form(browser, wf, org):
    b = browser("staff")
    r = b.post("/cases/new", {"procedure": "committee-personnel", "title": "Thành lập Đảng bộ Khối doanh nghiệp",
                              "unit_id": str(org.a), "idempotency_key": uuid.uuid4().hex})
    assert r.status_code == 302
    cid = int(r.headers["Location"].rsplit("/", 1)[1])
    assert wf.queries.get_case(org.staff, cid).summary.title == "Thành lập Đảng bộ Khối doanh nghiệp"


def test_opening_a_case_without_a_title_keeps_the_form_and_says_why(browser, wf, org):
    b = browser("staff")
    r = b.post("/cases/new", {"procedure": "committee-personnel", "title": " "})
    assert r.status_code == 422
    assert "Bắt buộc nhập" in b.page and 'value="committee-personnel" checked' in b.page
    assert wf.queries.list_cases(org.staff).total == 0


def test_a_supervisor_cannot_open_a_case(browser, wf, org):
    r = browser("lead").post("/cases/new", {"procedure": "committee-personnel", "title": "Không được"})
    assert r.status_code == 403
    assert wf.queries.list_cases(org.lead).total == 0


# ---- the case page ------------------------------------------------------------------------------

def test_the_case_page_shows_the_procedure_progress_diagram_records_and_history_in_words(browser, wf, org):
    cid = committee_case(wf, org, to="block-conference")
    b = browser("staff")
    r = b.get(f"/cases/{cid}")
    assert r.status_code == 200
    page = b.page
    assert "Quy trình công tác nhân sự cấp ủy đảng bộ mới thành lập" in page and "phiên bản 1" in page
    assert "38-HD/BTCTW" in page and "Huyện ủy Duy Xuyên" in page
    assert page.count('class="cf-step cf-step-done"') == 2 and 'cf-step cf-step-current' in page
    assert "<svg" in page and 'class="sd-step sd-current" data-step="block-conference"' in page
    assert 'class="sd-return"' in page
    assert "Nguyễn Văn An" in page and "66,67%" in page        # 20 of 30 summoned
    assert "Mở hồ sơ “Kiện toàn cấp ủy" in page and "Ghi kết quả kiểm phiếu" in page
    shown = re.sub(r"<[^>]+>", " ", page)
    assert not KIND_WORDS.search(shown) and "{'" not in shown and '{"' not in shown


def test_the_case_page_offers_exactly_the_actions_of_the_service(browser, wf, org):
    cid = committee_case(wf, org, to="block-conference")
    b = browser("staff")
    b.get(f"/cases/{cid}")
    assert f"/cases/{cid}/tally" in b.page and f"/cases/{cid}/advance" in b.page and f"/cases/{cid}/documents" in b.page
    assert f"/cases/{cid}/approve" not in b.page and f"/cases/{cid}/record\"" not in b.page
    lead = browser("lead")
    lead.get(f"/cases/{cid}")
    assert f"/cases/{cid}/return" in lead.page and f"/cases/{cid}/cancel" in lead.page
    assert f"/cases/{cid}/advance" not in lead.page and f"/cases/{cid}/tally" not in lead.page
    auditor = browser("audit")
    auditor.get(f"/cases/{cid}")
    assert "Bạn không có thao tác nào" in auditor.page


# ---- the step form --------------------------------------------------------------------------------

def test_the_step_form_has_the_fields_of_the_definition(browser, wf, org):
    cid = wf.cases.open_case(org.staff, "committee-personnel", "Hồ sơ mới").case["id"]
    b = browser("staff")
    b.get(f"/cases/{cid}/record")
    for label in ("Tiêu chuẩn", "Dự kiến cơ cấu", "Số lượng cấp ủy viên", "Danh sách nhân sự dự kiến"):
        assert label in b.page
    assert 'type="number"' in b.page and "Mỗi dòng một họ tên" in b.page


def test_saving_the_step_form_records_the_values(browser, wf, org):
    cid = wf.cases.open_case(org.staff, "committee-personnel", "Hồ sơ mới").case["id"]
    b = browser("staff")
    r = b.post(f"/cases/{cid}/record", {"criteria": "Theo HD 38", "structure": "9", "seats": "9",
                                        "candidates": "Nguyễn Văn An\nLê Thị Bình\n"})
    assert r.status_code == 302
    form = wf.queries.get_case(org.staff, cid).steps["criteria"].form
    assert form == {"criteria": "Theo HD 38", "structure": "9", "seats": 9, "candidates": ["Nguyễn Văn An", "Lê Thị Bình"]}


def test_a_bad_value_keeps_the_form_with_the_message_beside_the_field(browser, wf, org):
    cid = wf.cases.open_case(org.staff, "committee-personnel", "Hồ sơ mới").case["id"]
    b = browser("staff")
    r = b.post(f"/cases/{cid}/record", {"criteria": "Giữ lại nội dung này", "seats": "chín"})
    assert r.status_code == 422
    assert "Phải là số nguyên" in b.page and "Giữ lại nội dung này" in b.page and 'value="chín"' in b.page
    assert wf.queries.get_case(org.staff, cid).steps["criteria"].form == {}


def test_boolean_and_choice_fields_are_radios_and_selects(browser, wf, org):
    cid = wf.cases.open_case(org.staff, "dismissal-resignation", "Xem xét từ chức").case["id"]
    b = browser("staff")
    b.get(f"/cases/{cid}/record")
    assert "<select" in b.page and "Miễn nhiệm" in b.page and "Từ chức" in b.page
    cid2 = wf.cases.open_case(org.staff, "confidence-vote", "Lấy phiếu").case["id"]
    r = b.post(f"/cases/{cid2}/record", {"exclusions_checked": "true", "period": "2026"})
    assert r.status_code == 302
    assert wf.queries.get_case(org.staff, cid2).steps["list"].form["exclusions_checked"] is True


def test_leaving_a_step_with_missing_fields_says_which(browser, wf, org):
    cid = wf.cases.open_case(org.staff, "committee-personnel", "Hồ sơ mới").case["id"]
    b = browser("staff")
    r = b.case_post(cid, "advance")
    assert r.status_code == 422
    assert "Cần nhập trước khi chuyển bước" in b.page and "Số lượng cấp ủy viên" in b.page
    assert wf.queries.get_case(org.staff, cid).summary.state == "criteria"


# ---- the tally ----------------------------------------------------------------------------------

def test_the_tally_form_is_prefilled_with_the_candidates_and_asks_the_server_for_the_live_figures(browser, wf, org):
    cid = committee_case(wf, org)
    b = browser("staff")
    r = b.get(f"/cases/{cid}/tally")
    assert r.status_code == 200
    assert 'value="Nguyễn Văn An"' in b.page and 'value="Lê Thị Bình"' in b.page
    # the vote rule stays on the server: the script posts the form to the preview, never computes
    assert f'data-preview="/cases/{cid}/tally/preview"' in b.page and "tally.js" in b.page
    assert "data-rule" not in b.page
    assert "Thêm người ngoài danh sách" not in b.page          # step 2 cannot add nominees


def _preview(b, cid, data, *, as_json=True):
    headers = {"Accept": "application/json"} if as_json else {}
    return b.post(f"/cases/{cid}/tally/preview", data, page=f"/cases/{cid}/tally", headers=headers)


@pytest.mark.parametrize("agree,share,status,verdict", [(15, "1/2", "failed", "Không đạt"),
                                                        (16, "8/15", "passed", "Đạt")])
def test_the_live_figures_judge_exactly_half_of_those_summoned_as_not_more_than_half(browser, wf, org, agree, share,
                                                                                      status, verdict):
    cid = committee_case(wf, org)
    b = browser("staff")
    r = _preview(b, cid, _tally_form([("Nguyễn Văn An", str(agree), str(25 - agree))]))
    answer = r.get_json()
    assert r.status_code == 200 and answer["needed"] == 16 and answer["base"] == 30
    assert answer["rows"] == [{"row": 0, "over_valid": False, "status": status, "outcome": None,
                               "shares": {"agree": share, "disagree": {15: "1/3", 16: "3/10"}[agree]}}]
    assert f">{verdict}</span>" in answer["html"]["rows"]["0"] and "%" in answer["html"]["rows"]["0"]


def test_the_live_figures_follow_what_is_typed_so_far_and_save_nothing(browser, wf, org):
    cid = committee_case(wf, org)
    before = len(events_of(wf, org, cid))
    b = browser("staff")
    # the counts alone: the quorum (20 of 30 is exactly two thirds) and the votes needed; no row yet
    answer = _preview(b, cid, {"rows": "2", "summoned": "30", "present": "20", "c0-name": "Nguyễn Văn An"}).get_json()
    assert answer["quorum"] == {"met": True, "present": 20, "of": 30, "needed": 20}
    assert "Đủ số lượng: có mặt 20 trên 30 (cần ít nhất 20)." in answer["html"]["summary"]
    assert "Cần ít nhất 16 phiếu để đạt." in answer["html"]["summary"] and answer["html"]["rows"] == {}
    # a count that disagrees with another is said beside the form
    answer = _preview(b, cid, _tally_form([("Nguyễn Văn An", "20", "5")], invalid=3)).get_json()
    assert answer["problems"] == {"invalid": "tally.valid_sum"}
    assert "Hợp lệ + không hợp lệ khác số phiếu thu về." in answer["html"]["summary"]
    assert answer["html"]["rows"]["0"]
    assert len(events_of(wf, org, cid)) == before
    assert wf.queries.get_case(org.staff, cid).steps["members-conference"].tally is None


def test_a_row_over_the_valid_ballots_is_flagged_live_and_not_judged(browser, wf, org):
    cid = committee_case(wf, org)
    answer = _preview(browser("staff"), cid, _tally_form([("Nguyễn Văn An", "20", "5"),
                                                          ("Lê Thị Bình", "30", "9")])).get_json()
    assert [(r["row"], r["over_valid"], r["status"]) for r in answer["rows"]] == [(0, False, "passed"),
                                                                                  (1, True, None)]
    assert "vượt quá số phiếu hợp lệ" in answer["html"]["rows"]["1"]


def test_the_live_figures_are_only_for_one_who_may_record_the_tally_now(browser, wf, org):
    cid = committee_case(wf, org)
    for who, status, code in (("audit", 403, "forbidden"), ("lead", 403, "forbidden"), ("staff_b", 404, "not_found")):
        b = browser(who)
        r = b.client.post(f"/cases/{cid}/tally/preview", headers={"Accept": "application/json"},
                          data={"csrf_token": b.token("/"), "rows": "0"})
        assert (r.status_code, r.get_json()["error"]) == (status, code), who


def test_without_scripts_the_figures_come_back_on_the_page_and_nothing_is_saved(browser, wf, org):
    cid = committee_case(wf, org)
    before = len(events_of(wf, org, cid))
    b = browser("staff")
    assert "Tính tỷ lệ và kết quả (chưa lưu)" in b.get(f"/cases/{cid}/tally").get_data(as_text=True)
    r = _preview(b, cid, _tally_form([("Nguyễn Văn An", "20", "5")]), as_json=False)
    assert r.status_code == 200 and r.content_type.startswith("text/html")
    row = b.page.split('data-row="0"')[1].split("</tr>")[0]
    assert "66,67%" in row and ">Đạt</span>" in row and 'value="20"' in row
    assert "Cần ít nhất 16 phiếu để đạt." in b.page
    assert len(events_of(wf, org, cid)) == before


def test_the_block_conference_may_add_a_nominee_outside_the_list(browser, wf, org):
    cid = committee_case(wf, org, to="block-conference")
    b = browser("staff")
    b.get(f"/cases/{cid}/tally")
    assert "Thêm người ngoài danh sách" in b.page
    r = b.post(f"/cases/{cid}/tally", _tally_form([("Nguyễn Văn An", "20", "5"), ("Lê Thị Bình", "16", "9"),
                                                   ("Trần Văn Mới", "18", "7")]))
    assert r.status_code == 302
    detail = wf.queries.get_case(org.staff, cid)
    assert detail.steps["block-conference"].tally.nominees == ("Trần Văn Mới",)
    b.get(f"/cases/{cid}")
    assert "ngoài danh sách" in b.page


def test_recording_a_tally_shows_percentages_against_the_base_and_pass_or_fail(browser, wf, org):
    cid = committee_case(wf, org)
    b = browser("staff")
    r = b.post(f"/cases/{cid}/tally", _tally_form([("Nguyễn Văn An", "20", "5"), ("Lê Thị Bình", "15", "10")]))
    assert r.status_code == 302
    b.get(f"/cases/{cid}")
    assert "66,67%" in b.page and "50,00%" in b.page                 # 20/30, 15/30
    block = b.page.split('id="step-members-conference"')[1].split("</article>")[0]
    assert block.count("Không đạt") == 1 and "Đạt</span>" in block
    assert "Cần ít nhất 16 trên 30 phiếu" in block


def test_an_inconsistent_tally_is_shown_again_with_messages_and_nothing_is_saved(browser, wf, org):
    cid = committee_case(wf, org)
    before = len(events_of(wf, org, cid))
    b = browser("staff")
    r = b.post(f"/cases/{cid}/tally", _tally_form([("Nguyễn Văn An", "20", "5"), ("Lê Thị Bình", "30", "9")],
                                                  present=31, valid=20, invalid=3))
    assert r.status_code == 422
    assert "Số liệu kiểm phiếu chưa khớp" in b.page
    assert "Số có mặt (31) không được lớn hơn số được triệu tập (30)" in b.page
    assert 'value="31"' in b.page and 'value="30"' in b.page            # the input is kept
    assert wf.queries.get_case(org.staff, cid).steps["members-conference"].tally is None
    assert len(events_of(wf, org, cid)) == before


def test_a_candidate_over_the_valid_ballots_is_marked_on_its_row(browser, wf, org):
    cid = committee_case(wf, org)
    b = browser("staff")
    r = b.post(f"/cases/{cid}/tally", _tally_form([("Nguyễn Văn An", "20", "5"), ("Lê Thị Bình", "30", "9")]))
    assert r.status_code == 422
    row = b.page.split('data-row="1"')[1].split("</tr>")[0]
    assert "table-danger" in b.page.split('data-row="1"')[0][-80:] and "vượt quá số phiếu hợp lệ" in row


def test_a_tally_without_quorum_is_refused_beside_the_number_present(browser, wf, org):
    cid = committee_case(wf, org)
    b = browser("staff")
    r = b.post(f"/cases/{cid}/tally", _tally_form([("Nguyễn Văn An", "8", "2")], present=10, issued=10,
                                                  collected=10, valid=10))
    assert r.status_code == 422
    assert "Hội nghị không đủ số lượng: có mặt 10 trên 30, cần ít nhất 20" in b.page
    assert "Cần ít nhất 20 trên 30 người có mặt" in b.page
    assert wf.queries.get_case(org.staff, cid).steps["members-conference"].tally is None


def test_a_name_outside_the_list_is_refused_where_the_step_allows_none(browser, wf, org):
    cid = committee_case(wf, org)
    b = browser("staff")
    r = b.post(f"/cases/{cid}/tally", _tally_form([("Nguyễn Văn An", "20", "5"), ("Người Lạ", "18", "7")]))
    assert r.status_code == 422 and "không được giới thiệu người ngoài danh sách" in b.page


def test_the_head_decides_at_exactly_the_threshold(browser, wf, org):
    s = org.staff
    cid = wf.cases.open_case(s, "appointment-internal", "Bổ nhiệm Chánh Văn phòng").case["id"]
    wf.cases.record(s, cid, {"position": "Chánh Văn phòng", "structure": "1", "seats": 1, "standards": "QĐ 377",
                       "candidates": ["Lê Văn Hải"]})
    wf.cases.advance(s, cid)
    one = {"summoned": 9, "present": 9, "issued": 9, "collected": 9, "valid": 9, "invalid": 0}
    for votes in ({"agree": 7}, {"agree": 7}, {"agree": 7, "disagree": 2}):
        wf.cases.tally(s, cid, {**one, "candidates": {"Lê Văn Hải": votes}})
        wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, {**one, "summoned": 8, "present": 8, "issued": 8, "collected": 8, "valid": 8, "members": 8,
                      "candidates": {"Lê Văn Hải": {"agree": 4, "disagree": 4}}})
    b = browser("lead")
    b.get(f"/cases/{cid}")
    assert "Quyết định của người đứng đầu đối với Lê Văn Hải" in b.page
    r = b.case_post(cid, "head-decision", {"candidate": "Lê Văn Hải", "accept": "1", "comment": "Đồng ý"})
    assert r.status_code == 302
    assert wf.queries.get_case(s, cid).summary.awaiting is None


# ---- approval, return, cancel, four eyes -----------------------------------------------------------

def test_a_supervisor_approves_with_a_comment(browser, wf, org):
    cid = awaiting_approval(wf, org)
    b = browser("lead")
    b.get(f"/cases/{cid}")
    assert "Kính trình phê duyệt" in b.page and "Người trình: Người staff" in b.page
    r = b.case_post(cid, "approve", {"comment": "Nhất trí"})
    assert r.status_code == 302
    assert wf.queries.get_case(org.lead, cid).summary.state == "announcement"
    b.get(f"/cases/{cid}")
    assert "Đã phê duyệt." in b.page and "Nhất trí" in b.page


def test_four_eyes_the_requester_cannot_approve_and_is_told_why(browser, wf, org):
    cid = awaiting_approval(wf, org, staff="staff2")
    wf.people.update_user(org.admin, org.staff2, role="supervisor")   # the requester is promoted meanwhile
    b = browser("staff2")
    r = b.case_post(cid, "approve")
    assert r.status_code == 403
    assert "nguyên tắc hai người" in b.page
    assert wf.queries.get_case(org.lead, cid).summary.awaiting == "approval"


def test_a_supervisor_returns_the_case_to_an_earlier_step_with_a_reason(browser, wf, org):
    cid = awaiting_approval(wf, org)
    b = browser("lead")
    b.get(f"/cases/{cid}")
    assert 'value="appraisal"' in b.page and 'value="criteria"' in b.page
    r = b.case_post(cid, "return", {"to": "appraisal", "reason": "Bổ sung thẩm định"})
    assert r.status_code == 302
    s = wf.queries.get_case(org.lead, cid).summary
    assert s.state == "appraisal" and s.awaiting is None
    b.get(f"/cases/{cid}")
    assert "Trả lại từ Bước 5" in b.page and "Bổ sung thẩm định" in b.page
    # the step returned from is no longer shown as done
    assert 'class="sd-step sd-todo" data-step="decision"' in b.page
    assert 'class="sd-step sd-current" data-step="appraisal"' in b.page


def test_a_return_without_a_reason_is_refused(browser, wf, org):
    cid = awaiting_approval(wf, org)
    b = browser("lead")
    r = b.case_post(cid, "return", {"to": "appraisal", "reason": ""})
    assert r.status_code == 422 and "Hãy nêu lý do" in b.page
    assert wf.queries.get_case(org.lead, cid).summary.state == "decision"


def test_declining_an_approval_keeps_the_case_on_its_step(browser, wf, org):
    cid = awaiting_approval(wf, org)
    r = browser("lead").case_post(cid, "return", {"to": "", "reason": "Thiếu quyết định"})
    assert r.status_code == 302
    s = wf.queries.get_case(org.lead, cid).summary
    assert s.state == "decision" and s.awaiting is None


def test_a_supervisor_cancels_with_a_reason(browser, wf, org):
    cid = committee_case(wf, org)
    r = browser("lead").case_post(cid, "cancel", {"reason": "Không còn nhu cầu"})
    assert r.status_code == 302
    assert wf.queries.get_case(org.lead, cid).summary.status == "cancelled"


# ---- optimistic lock and double submit -----------------------------------------------------------

def test_a_stale_page_gets_the_409_message_and_changes_nothing(browser, wf, org):
    cid = wf.cases.open_case(org.staff, "committee-personnel", "Hồ sơ mới").case["id"]
    b = browser("staff")
    b.get(f"/cases/{cid}/record")
    csrf = b.token()
    stale = re.search(r'name="expected_version" value="(\d+)"', b.page).group(1)
    wf.cases.record(org.staff2, cid, {"criteria": "Người khác vừa sửa"})
    r = b.client.post(f"/cases/{cid}/record", data={"csrf_token": csrf, "expected_version": stale,
                                                    "idempotency_key": uuid.uuid4().hex, "criteria": "Của tôi"})
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "người khác vừa thay đổi" in page.lower() and "Của tôi" in page
    assert wf.queries.get_case(org.staff, cid).steps["criteria"].form["criteria"] == "Người khác vừa sửa"


def test_a_stale_case_page_action_gets_409(browser, wf, org):
    cid = awaiting_approval(wf, org)
    b = browser("lead")
    b.get(f"/cases/{cid}")
    csrf, stale = b.token(), re.search(r'name="expected_version" value="(\d+)"', b.page).group(1)
    wf.cases.approve(org.lead2, cid)
    r = b.client.post(f"/cases/{cid}/approve", data={"csrf_token": csrf, "expected_version": stale,
                                                     "idempotency_key": uuid.uuid4().hex})
    assert r.status_code == 409


def test_a_double_submit_with_one_idempotency_key_makes_one_event(browser, wf, org):
    cid = committee_case(wf, org)
    b = browser("staff")
    b.get(f"/cases/{cid}/tally")
    csrf = b.token()
    version = re.search(r'name="expected_version" value="(\d+)"', b.page).group(1)
    data = {"csrf_token": csrf, "expected_version": version, "idempotency_key": "same-key-twice",
            **_tally_form([("Nguyễn Văn An", "20", "5"), ("Lê Thị Bình", "16", "9")])}
    before = len(events_of(wf, org, cid))
    first = b.client.post(f"/cases/{cid}/tally", data=data)
    second = b.client.post(f"/cases/{cid}/tally", data=data)
    assert first.status_code == 302 and second.status_code == 302
    assert len(events_of(wf, org, cid)) == before + 1


# ---- announcement, board, documents, printable records -----------------------------------------------

def _at_announcement(wf, org):
    cid = awaiting_approval(wf, org)
    wf.cases.approve(org.lead, cid)
    return cid


def test_announcing_prefills_the_decision_and_shows_on_the_board(browser, wf, org):
    cid = _at_announcement(wf, org)
    b = browser("staff")
    b.get(f"/cases/{cid}/announce")
    assert 'value="45-QĐ/HU"' in b.page and 'value="2026-01-12"' in b.page
    r = b.post(f"/cases/{cid}/announce", {"decision_no": "45-QĐ/HU", "date": "2026-01-12", "signer": "Bí thư",
                                          "place": "Hội trường", "text": "Công bố quyết định thành lập"})
    assert r.status_code == 302
    for user in ("staff", "audit_p", "lead"):
        board = browser(user)
        board.get("/announcements")
        assert "Quyết định số 45-QĐ/HU" in board.page and "Công bố quyết định thành lập" in board.page
    other = browser("staff_b")
    other.get("/announcements")
    assert "45-QĐ/HU" not in other.page


def test_an_announcement_with_missing_parts_is_shown_again(browser, wf, org):
    cid = _at_announcement(wf, org)
    b = browser("staff")
    r = b.post(f"/cases/{cid}/announce", {"decision_no": "45-QĐ/HU", "text": "Nội dung giữ lại"})
    assert r.status_code == 422
    assert "Nội dung giữ lại" in b.page and "Bắt buộc nhập" in b.page


def test_the_printable_announcement(browser, wf, org):
    cid = _at_announcement(wf, org)
    wf.cases.announce(org.staff, cid, {"decision_no": "45-QĐ/HU", "date": "2026-01-12", "signer": "Nguyễn Văn Ký",
                                 "text": "Công bố"})
    b = browser("staff")
    r = b.get(f"/cases/{cid}/steps/announcement/announcement")
    assert r.status_code == 200
    assert "THÔNG BÁO" in b.page and "Nguyễn Văn Ký" in b.page and "print.css" in b.page
    assert "ngày 12 tháng 01 năm 2026" in b.page


def test_the_vote_count_minutes_print_with_signature_blocks(browser, wf, org):
    cid = committee_case(wf, org, to="block-conference")
    b = browser("audit")
    r = b.get(f"/cases/{cid}/steps/members-conference/minutes")
    assert r.status_code == 200
    assert "BIÊN BẢN KIỂM PHIẾU" in b.page and "Trưởng ban kiểm phiếu" in b.page
    assert "(Ký, ghi rõ họ tên)" in b.page and "66,67%" in b.page and "@page" not in b.page
    assert b.client.get(f"/cases/{cid}/steps/criteria/minutes").status_code == 404
    assert b.client.get(f"/cases/{cid}/steps/nothing/minutes").status_code == 404


def test_uploading_listing_and_downloading_a_document(browser, wf, org):
    cid = wf.cases.open_case(org.staff, "committee-personnel", "Hồ sơ mới").case["id"]
    b = browser("staff")
    import hashlib
    import io
    content = b"%PDF-1.4 bien ban"
    r = b.case_post(cid, "documents", {"doc_type": "minutes", "file": (io.BytesIO(content), "biên bản họp.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    digest = hashlib.sha256(content).hexdigest()
    b.get(f"/cases/{cid}")
    assert digest in b.page and "biên bản họp.pdf" in b.page and "Biên bản họp ban thường vụ" in b.page
    d = b.client.get(f"/cases/{cid}/documents/{digest}")
    assert d.status_code == 200 and d.data == content
    assert d.headers["Content-Disposition"].startswith("attachment;")
    assert d.headers["X-Content-Type-Options"] == "nosniff"
    assert "inline" not in d.headers["Content-Disposition"]
    assert browser("staff_b").client.get(f"/cases/{cid}/documents/{digest}").status_code == 404


def test_a_refused_file_type_is_explained(browser, wf, org):
    cid = wf.cases.open_case(org.staff, "committee-personnel", "Hồ sơ mới").case["id"]
    b = browser("staff")
    import io
    r = b.case_post(cid, "documents", {"doc_type": "other", "file": (io.BytesIO(b"MZ..."), "chay.exe")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    assert "Loại tệp không được chấp nhận" in b.page
    assert wf.queries.get_case(org.staff, cid).steps["criteria"].documents == []


def test_moving_on_after_the_step_is_complete(browser, wf, org):
    cid = wf.cases.open_case(org.staff, "committee-personnel", "Hồ sơ mới").case["id"]
    wf.cases.record(org.staff, cid, {"criteria": "HD 38", "structure": "9", "seats": 9, "candidates": ["An"]})
    b = browser("staff")
    r = b.case_post(cid, "advance")
    assert r.status_code == 302
    assert wf.queries.get_case(org.staff, cid).summary.state == "members-conference"
    b.get(f"/cases/{cid}")
    assert "Đã chuyển bước." in b.page


def test_staff_ask_for_approval_with_a_comment_the_supervisor_reads(browser, wf, org):
    cid = committee_case(wf, org, to="decision")
    wf.cases.record(org.staff, cid, {"decision_no": "45-QĐ/HU", "decision_date": "2026-01-12", "appointees": "An – Bí thư"})
    b = browser("staff")
    b.get(f"/cases/{cid}")
    assert "Trình lãnh đạo phê duyệt" in b.page and f"/cases/{cid}/advance" not in b.page
    r = b.case_post(cid, "request-approval", {"comment": "Hồ sơ đã đủ, kính trình"})
    assert r.status_code == 302
    assert wf.queries.get_case(org.staff, cid).summary.awaiting == "approval"
    lead = browser("lead")
    lead.get(f"/cases/{cid}")
    assert "Nội dung trình: Hồ sơ đã đủ, kính trình" in lead.page
    again = b.case_post(cid, "request-approval", {"comment": "lần nữa"})
    assert again.status_code == 409 and "đang chờ lãnh đạo phê duyệt" in b.page


def test_counts_are_grouped_as_the_page_language_writes_numbers(app):
    """2 million events read '2.000.000' in Vietnamese and '2,000,000' in English, in the plural
    forms too (the list counts, the audit search, the integrity check)."""
    from flask import session
    tpl = ("{{ ngettext('%(num)s hồ sơ', '%(num)s hồ sơ', n, num=n|number) }} / "
           "{{ _('hơn %(n)s sự kiện, mới nhất trước', n=n|number) }}")
    for lang, want in (("vi", "2.000.000 hồ sơ / hơn 2.000.000 sự kiện"), ("en", "2,000,000 cases / more than 2,000,000")):
        with app.test_request_context("/"):
            session["lang"] = lang
            assert app.jinja_env.from_string(tpl).render(n=2_000_000).startswith(want)

"""Demo data for a first look (`flask --app wsgi seed-demo`): a unit tree in Quảng Nam, users for
every role, and eight cases of different procedures at different steps. Everything goes through
the service, as a person would do it, on a clock that starts six weeks ago so the history reads
like real work (one case is left overdue on purpose)."""
from __future__ import annotations

import datetime as dt

from .service import Workflow

PASSWORD = "demo-cadreflow-2026"
PROVINCE = "Tỉnh ủy Quảng Nam"
DISTRICTS = ("Huyện ủy Duy Xuyên", "Huyện ủy Thăng Bình", "Thành ủy Tam Kỳ")

# user name, display name, role, unit (None = the province)
USERS = [
    ("quantri", "Lê Văn Quản", "admin", None),
    ("kiemtra.tinh", "Phan Thị Kiểm", "auditor", None),
    ("lanhdao.tinh", "Võ Văn Lĩnh", "supervisor", None),
    ("chuyenvien.dx", "Nguyễn Thị Hạnh", "staff", "Huyện ủy Duy Xuyên"),
    ("chuyenvien2.dx", "Trần Văn Bình", "staff", "Huyện ủy Duy Xuyên"),
    ("lanhdao.dx", "Huỳnh Văn Đức", "supervisor", "Huyện ủy Duy Xuyên"),
    ("lanhdao2.dx", "Đặng Thị Mai", "supervisor", "Huyện ủy Duy Xuyên"),
    ("kiemtra.dx", "Lương Văn Sơn", "auditor", "Huyện ủy Duy Xuyên"),
    ("chuyenvien.tb", "Phạm Thị Lan", "staff", "Huyện ủy Thăng Bình"),
    ("lanhdao.tb", "Hồ Văn Tâm", "supervisor", "Huyện ủy Thăng Bình"),
    ("chuyenvien.tk", "Đoàn Thị Thu", "staff", "Thành ủy Tam Kỳ"),
    ("lanhdao.tk", "Trương Văn Hùng", "supervisor", "Thành ủy Tam Kỳ"),
]

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


class _Clock:
    """Simulated time: starts in the past and moves forward as the story goes."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, days: float = 0, hours: float = 0) -> None:
        self.now += dt.timedelta(days=days, hours=hours)


def _tally(summoned, present, votes, *, invalid=0, members=None, held_on=None, place=None):
    valid = present - invalid
    t = {"summoned": summoned, "present": present, "issued": present, "collected": present, "valid": valid,
         "invalid": invalid, "candidates": votes}
    if members:
        t["members"] = members
    if held_on:
        t["held_on"] = held_on
    if place:
        t["place"] = place
    return t


def seed(wf: Workflow) -> list[str]:
    if wf.user_by_name("chuyenvien.dx") is not None:
        return ["The demo is already here (user 'chuyenvien.dx' exists); nothing was changed.",
                f"Sign in with any demo user; the demo password is: {PASSWORD}"]
    real_now = wf.clock()
    clock = _Clock(real_now - dt.timedelta(days=42))
    w = Workflow(wf.store, wf.registry, clock=clock, max_upload=wf.max_upload)
    day = lambda offset=0: (clock.now + dt.timedelta(days=offset)).date().isoformat()  # noqa: E731

    province = w.find_or_create_unit_path([PROVINCE])
    units = {None: province}
    for d in DISTRICTS:
        units[d] = w.find_or_create_unit_path([PROVINCE, d])
    w.create_unit(None, "Đảng bộ Khối cơ quan huyện", units["Huyện ủy Duy Xuyên"])
    u = {name: w.create_user(None, name, PASSWORD, role, units[unit], display).id
         for name, display, role, unit in USERS}
    out = []

    # 1. Overdue: a reappointment whose notification step was never finished (opened six weeks ago).
    c = w.open_case(u["chuyenvien.tb"], "reappointment", "Bổ nhiệm lại Trưởng phòng Nội vụ huyện Thăng Bình").case["id"]
    w.record(u["chuyenvien.tb"], c, {"candidates": ["Nguyễn Văn Toàn"], "position": "Trưởng phòng Nội vụ",
                                     "term_start": "2021-05-01", "term_end": "2026-04-30"})
    out.append(f"case {c}: reappointment, step 1 overdue (Thăng Bình)")
    clock.now = real_now - dt.timedelta(days=12)

    # 2. Completed: the confidence vote of Tam Kỳ, published.
    s, lead = u["chuyenvien.tk"], u["lanhdao.tk"]
    c = w.open_case(s, "confidence-vote", "Lấy phiếu tín nhiệm năm 2025 – Thành ủy Tam Kỳ").case["id"]
    w.record(s, c, {"period": "Năm 2025", "candidates": ["Trần Văn Cường", "Lê Thị Hoa", "Phạm Minh Quang"],
                    "exclusions": "Không có", "exclusions_checked": True,
                    "participants": "Ủy viên Ban Chấp hành Đảng bộ thành phố (35 đồng chí)"})
    w.advance(s, c)
    clock.tick(days=1)
    w.tally(s, c, _tally(35, 33, {"Trần Văn Cường": {"high": 20, "confidence": 10, "low": 2},
                                  "Lê Thị Hoa": {"high": 15, "confidence": 14, "low": 3},
                                  "Phạm Minh Quang": {"high": 5, "confidence": 10, "low": 17}},
                         invalid=1, held_on=day(), place="Hội trường Thành ủy Tam Kỳ"))
    w.attach(s, c, "bien-ban-kiem-phieu.pdf", PDF, doc_type="vote-minutes")
    w.advance(s, c)
    clock.tick(days=1)
    w.record(s, c, {"report_no": "112-BC/TU", "report_date": day(),
                    "measures": "Đồng chí Phạm Minh Quang: không quy hoạch lên chức vụ cao hơn; xem xét cho thôi giữ chức vụ."})
    w.request_approval(s, c, comment="Kính trình Thường trực Thành ủy cho ý kiến.")
    clock.tick(hours=20)
    w.approve(lead, c, comment="Đồng ý báo cáo và công khai kết quả.")
    clock.tick(days=1)
    w.announce(s, c, {"decision_no": "112-BC/TU", "date": day(), "signer": "Trương Văn Hùng",
                      "place": "Thành ủy Tam Kỳ",
                      "text": "Công khai kết quả lấy phiếu tín nhiệm năm 2025 đối với cán bộ giữ chức vụ lãnh đạo, "
                              "quản lý thuộc diện Ban Thường vụ Thành ủy quản lý."})
    w.advance(s, c)
    out.append(f"case {c}: confidence vote, completed and published (Tam Kỳ)")
    clock.tick(hours=12)

    # 3. Returned: a resignation sent back from the decision step for a missing document.
    s, lead = u["chuyenvien.dx"], u["lanhdao.dx"]
    c = w.open_case(s, "dismissal-resignation", "Xem xét cho thôi giữ chức vụ – Phó Giám đốc Trung tâm Chính trị").case["id"]
    w.record(s, c, {"candidates": ["Võ Thị Thanh"], "position": "Phó Giám đốc Trung tâm Chính trị huyện",
                    "kind": "resignation", "grounds": "voluntary",
                    "grounds_detail": "Đồng chí có đơn xin từ chức vì lý do sức khỏe.", "grounds_date": day()})
    w.advance(s, c)
    clock.tick(hours=20)
    w.record(s, c, {"talk_date": day(), "cadre_opinion": "Đồng chí giữ nguyện vọng xin từ chức.",
                    "proposal": "Đề nghị Ban Thường vụ xem xét cho đồng chí thôi giữ chức vụ."})
    w.advance(s, c)
    clock.tick(hours=20)
    w.record(s, c, {"submission_no": "45-TTr/BTC", "submission_date": day()})
    for name, kind in (("to-trinh-45.pdf", "submission"), ("bien-ban-trao-doi.pdf", "minutes"),
                       ("don-xin-tu-chuc.pdf", "resignation-letter"), ("van-ban-lien-quan.pdf", "related-decisions")):
        w.attach(s, c, name, PDF + name.encode(), doc_type=kind)
    w.advance(s, c)
    clock.tick(hours=20)
    w.record(s, c, {"decision_no": "210-QĐ/HU", "decision_date": day(), "cadre": "Võ Thị Thanh",
                    "position": "Phó Giám đốc Trung tâm Chính trị huyện"})
    w.request_approval(s, c, comment="Kính trình Thường trực Huyện ủy xem xét, quyết định.")
    clock.tick(hours=6)
    w.return_case(lead, c, "Bổ sung ý kiến bằng văn bản của chi bộ nơi đồng chí sinh hoạt vào tờ trình.",
                  to="submission")
    out.append(f"case {c}: resignation, returned to the submission step (Duy Xuyên)")
    clock.tick(hours=20)

    # 4. Party admission at the dossier step, with documents (Tam Kỳ).
    s = u["chuyenvien.tk"]
    c = w.open_case(s, "party-admission", "Kết nạp đảng viên: quần chúng Nguyễn Thị Hoa").case["id"]
    w.record(s, c, {"candidates": ["Nguyễn Thị Hoa"], "certificate_no": "1520/GCN", "certificate_date": "2025-03-12"})
    w.advance(s, c)
    w.record(s, c, {"mentor": "Trần Văn Cường", "mentoring_from": "2025-04-01",
                    "mentoring_assessment": "Có tinh thần trách nhiệm, gương mẫu trong công tác."})
    w.advance(s, c)
    clock.tick(hours=4)
    w.tally(s, c, _tally(25, 23, {"Nguyễn Thị Hoa": {"agree": 22, "disagree": 1}}, members=25, held_on=day(),
                         place="Chi đoàn cơ quan Thành ủy"))
    w.advance(s, c)
    w.record(s, c, {"sponsor": "Trần Văn Cường", "sponsor_qualified": True})
    w.attach(s, c, "mau-1-KND-don-xin-vao-dang.pdf", PDF + b"1-KND", doc_type="knd-1")
    w.attach(s, c, "mau-2-KND-ly-lich.pdf", PDF + b"2-KND", doc_type="knd-2")
    out.append(f"case {c}: party admission, dossier step with documents (Tam Kỳ)")
    clock.tick(hours=4)

    # 5. Awaiting the head's decision: exactly half of the collective (Thăng Bình).
    s = u["chuyenvien.tb"]
    c = w.open_case(s, "appointment-internal", "Bổ nhiệm Chánh Văn phòng Huyện ủy Thăng Bình").case["id"]
    w.record(s, c, {"position": "Chánh Văn phòng Huyện ủy", "structure": "01 Chánh Văn phòng", "seats": 1,
                    "standards": "Theo Quy định 377-QĐ/TW và tiêu chuẩn chức danh của Tỉnh ủy.",
                    "candidates": ["Lê Văn Hải", "Ngô Thị Mỹ", "Phan Văn Lộc"], "policy_date": day()})
    w.advance(s, c)
    clock.tick(hours=4)
    w.tally(s, c, _tally(21, 20, {"Lê Văn Hải": {"agree": 12}, "Ngô Thị Mỹ": {"agree": 6},
                                  "Phan Văn Lộc": {"agree": 2}}, held_on=day()))
    w.advance(s, c)
    clock.tick(hours=4)
    w.tally(s, c, _tally(9, 9, {"Lê Văn Hải": {"agree": 7}, "Ngô Thị Mỹ": {"agree": 2}}, held_on=day()))
    w.advance(s, c)
    clock.tick(hours=4)
    w.tally(s, c, _tally(40, 36, {"Lê Văn Hải": {"agree": 30, "disagree": 6}}, held_on=day(),
                         place="Hội trường Huyện ủy Thăng Bình"))
    w.advance(s, c)
    clock.tick(hours=4)
    w.tally(s, c, _tally(8, 8, {"Lê Văn Hải": {"agree": 4, "disagree": 4}}, members=8, held_on=day()))
    out.append(f"case {c}: internal appointment, 3rd collective meeting at exactly 50%: waiting for the head (Thăng Bình)")
    clock.tick(hours=4)

    # 6. External appointment waiting for approval (Duy Xuyên), requested by the second staff member.
    s, s2 = u["chuyenvien.dx"], u["chuyenvien2.dx"]
    c = w.open_case(s, "appointment-external", "Bổ nhiệm Phó Chủ tịch UBND huyện Duy Xuyên (nguồn nơi khác)").case["id"]
    w.record(s, c, {"position": "Phó Chủ tịch UBND huyện", "receiving_unit": "UBND huyện Duy Xuyên",
                    "candidates": ["Trần Quốc Bảo"],
                    "leadership_opinion": "Tập thể lãnh đạo UBND huyện thống nhất chủ trương và nhân sự."})
    w.advance(s, c)
    clock.tick(hours=4)
    w.record(s, c, {"current_unit": "Sở Nội vụ tỉnh Quảng Nam", "assessment": "Hoàn thành xuất sắc nhiệm vụ 3 năm liền.",
                    "file_collected": True, "meeting_date": day()})
    w.tally(s, c, _tally(11, 11, {"Trần Quốc Bảo": {"agree": 10, "disagree": 1}}, held_on=day()))
    w.advance(s, c)
    clock.tick(hours=4)
    w.record(s, c, {"appraisal": "Đủ tiêu chuẩn, điều kiện.", "submission_no": "51-TTr/BTC", "submission_date": day(),
                    "cond_in_plan": True, "cond_two_years": True, "cond_file_complete": True,
                    "cond_retirement": True, "cond_no_discipline": True})
    w.attach(s, c, "to-trinh-51.pdf", PDF + b"51-TTr", doc_type="submission")
    w.advance(s, c)
    clock.tick(hours=4)
    w.record(s2, c, {"decision_no": "1850-QĐ/UBND", "decision_date": day(), "appointee": "Trần Quốc Bảo",
                     "position": "Phó Chủ tịch UBND huyện Duy Xuyên"})
    w.attach(s2, c, "du-thao-quyet-dinh.docx", b"PK\x03\x04demo", doc_type="decision")
    w.request_approval(s2, c, comment="Hồ sơ đã đủ; kính trình Thường trực Huyện ủy phê duyệt.")
    out.append(f"case {c}: external appointment, waiting for approval (Duy Xuyên)")
    clock.tick(hours=4)

    # 7. Committee personnel waiting for approval at step 5 (Duy Xuyên).
    s = u["chuyenvien.dx"]
    c = w.open_case(s, "committee-personnel", "Nhân sự cấp ủy Đảng bộ Khối cơ quan huyện Duy Xuyên").case["id"]
    w.record(s, c, {"criteria": "Theo Hướng dẫn 38-HD/BTCTW và Quy định tiêu chuẩn cấp ủy viên.",
                    "structure": "Ban Chấp hành 9 đồng chí; Ban Thường vụ 3 đồng chí.", "seats": 9,
                    "candidates": ["Nguyễn Văn Thành", "Lê Thị Thu", "Trần Đình Phúc", "Hồ Văn Nam"]})
    w.advance(s, c)
    clock.tick(hours=4)
    w.tally(s, c, _tally(60, 52, {"Nguyễn Văn Thành": {"agree": 49, "disagree": 3},
                                  "Lê Thị Thu": {"agree": 45, "disagree": 7},
                                  "Trần Đình Phúc": {"agree": 38, "disagree": 14},
                                  "Hồ Văn Nam": {"agree": 27, "disagree": 25}},
                         held_on=day(), place="Hội trường Huyện ủy Duy Xuyên"))
    w.advance(s, c)
    clock.tick(hours=4)
    w.tally(s, c, _tally(30, 28, {"Nguyễn Văn Thành": {"agree": 27, "disagree": 1},
                                  "Lê Thị Thu": {"agree": 25, "disagree": 3},
                                  "Trần Đình Phúc": {"agree": 20, "disagree": 8},
                                  "Hồ Văn Nam": {"agree": 14, "disagree": 14},
                                  "Đinh Công Minh": {"agree": 19, "disagree": 9}}, held_on=day()))
    w.advance(s, c)
    clock.tick(hours=4)
    w.record(s, c, {"appraisal": "4 đồng chí đủ tiêu chuẩn; đồng chí Hồ Văn Nam chưa đạt tín nhiệm ở bước 3.",
                    "submission_no": "60-TTr/BTC", "submission_date": day()})
    w.advance(s, c)
    clock.tick(hours=4)
    w.record(s, c, {"decision_no": "215-QĐ/HU", "decision_date": day(),
                    "appointees": "Nguyễn Văn Thành – Bí thư\nLê Thị Thu – Phó Bí thư\nTrần Đình Phúc – Ủy viên BTV\n"
                                  "Đinh Công Minh – Ủy viên BCH"})
    w.advance(s, c)
    out.append(f"case {c}: committee personnel, step 5 waiting for approval (Duy Xuyên)")
    clock.tick(hours=4)

    # 8. Internal appointment at step 2, the expanded meeting's tally still to record (Duy Xuyên).
    c = w.open_case(s, "appointment-internal", "Bổ nhiệm Phó Trưởng Ban Tổ chức Huyện ủy Duy Xuyên").case["id"]
    w.record(s, c, {"position": "Phó Trưởng Ban Tổ chức Huyện ủy", "structure": "01 Phó Trưởng ban", "seats": 1,
                    "standards": "Theo Quy định 377-QĐ/TW.", "candidates": ["Phạm Thị Ngọc", "Lê Quang Vinh"],
                    "policy_date": day()})
    w.advance(s, c)
    out.append(f"case {c}: internal appointment, step 2 tally to record (Duy Xuyên)")

    # 9. Just opened in Tam Kỳ.
    clock.now = real_now - dt.timedelta(hours=3)
    c = w.open_case(u["chuyenvien.tk"], "committee-personnel", "Thành lập Đảng bộ Khối doanh nghiệp thành phố Tam Kỳ").case["id"]
    w.record(u["chuyenvien.tk"], c, {"criteria": "Theo Hướng dẫn 38-HD/BTCTW."})
    out.append(f"case {c}: committee personnel, just opened (Tam Kỳ)")

    lines = ["Demo data created.", "", f"Units: {PROVINCE} → {', '.join(DISTRICTS)}", "",
             "Users (shown once; every demo user has the same password):"]
    for name, display, role, unit in USERS:
        lines.append(f"  {name:16} {role:11} {unit or PROVINCE}  ({display})")
    lines += ["", f"  password: {PASSWORD}", "", "Cases:"] + [f"  {x}" for x in out]
    return lines

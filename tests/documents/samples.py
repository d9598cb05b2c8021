"""A typical case of every shipped procedure, as the plain data phase 2 will build from the record,
and a request for every (step, kind) the kinds table says the procedure produces."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from workflow.domain.documents import (Assignment, Authority, Conference, ConferenceResult, DocumentRequest, Family,
                                       IssuingBody, Person, Signature, Tally, Votes, kinds_for_procedure)

QD377 = "Quy định số 377-QĐ/TW, ngày 08/10/2025 của Bộ Chính trị về phân cấp quản lý cán bộ và quy hoạch, bổ nhiệm, giới thiệu ứng cử, tạm đình chỉ công tác, cho thôi giữ chức vụ, từ chức, miễn nhiệm đối với cán bộ"
DIEU_LE = "Điều lệ Đảng Cộng sản Việt Nam"

TINH_UY = IssuingBody("Tỉnh ủy Quảng Nam", "TU", "Quảng Nam", Family.PARTY)
BTC = IssuingBody("Ban Tổ chức", "BTCTU", "Quảng Nam", Family.PARTY, superior="Tỉnh ủy Quảng Nam",
                  full_name="Ban Tổ chức Tỉnh ủy")
UBND = IssuingBody("Ủy ban nhân dân\ntỉnh Quảng Nam", "UBND", "Quảng Nam", Family.STATE,
                   full_name="Ủy ban nhân dân tỉnh Quảng Nam")
SYT = IssuingBody("Sở Y tế", "SYT", "Quảng Nam", Family.STATE, superior="UBND tỉnh Quảng Nam", full_name="Sở Y tế")
STC = IssuingBody("Sở Tài chính", "STC", "Quảng Nam", Family.STATE, superior="UBND tỉnh Quảng Nam",
                  full_name="Sở Tài chính")
HUYEN_UY = IssuingBody("Huyện ủy Duy Xuyên", "HU", "Duy Xuyên", Family.PARTY, superior="Đảng bộ tỉnh Quảng Nam")
DANG_UY_XA = IssuingBody("Đảng ủy xã Duy Nghĩa", "ĐU", "Duy Nghĩa", Family.PARTY, superior="Đảng bộ tỉnh Quảng Nam")
CHI_BO = IssuingBody("Chi bộ thôn Hà Mỹ", "CB", "Duy Nghĩa", Family.PARTY, superior="Đảng bộ xã Duy Nghĩa")

BTV_TU = Signature("Bí thư", "Lương Nguyễn Minh Triết", Authority.ON_BEHALF, "Ban Thường vụ")
PHO_BT_TU = Signature("Phó Bí thư", "Nguyễn Đức Dũng", Authority.ON_BEHALF, "Ban Thường vụ")
CHU_TICH = Signature("Chủ tịch", "Lê Văn Dũng", Authority.ON_BEHALF, "Ủy ban nhân dân")
GD_SYT = Signature("Giám đốc", "Phạm Văn Lực")
KT_GD_STC = Signature("Phó Giám đốc", "Đoàn Thị Nhung", Authority.DEPUTY, "Giám đốc")
TRUONG_BTC = Signature("Phó Trưởng ban", "Huỳnh Thị Ánh Sương", Authority.DEPUTY, "Trưởng ban")
BT_HU = Signature("Bí thư", "Trần Văn Mẫn", Authority.ON_BEHALF, "Ban Thường vụ")
BT_XA = Signature("Bí thư", "Võ Ngọc Ánh", Authority.ON_BEHALF, "Ban Thường vụ")
BT_CHIBO = Signature("Bí thư", "Lê Thị Hồng Ngọc", Authority.ON_BEHALF, "Chi bộ")


def conf(name, when: datetime, place, chair, secretary=Person("Võ Thị Hằng", post="Chánh Văn phòng")) -> Conference:
    return Conference(name, when, place, chair=Person(*chair) if isinstance(chair, tuple) else chair,
                      secretary=secretary, ended_at=when.replace(hour=when.hour + 2))


@dataclass
class Case:
    procedure: str
    person: Person
    post: str
    conferences: dict[str, tuple[Conference, Tally]] = field(default_factory=dict)
    issuers: dict[str, IssuingBody] = field(default_factory=dict)
    signatures: dict[str, Signature] = field(default_factory=dict)
    decision_date: date = date(2026, 3, 16)
    legal_basis: tuple[str, ...] = ()


def two(agree: int, disagree: int, name: str, outcome="Đạt") -> Votes:
    return Votes(name, {"agree": agree, "disagree": disagree}, outcome=outcome)


TUYET = Person("Nguyễn Thị Ánh Tuyết", post="Trưởng phòng Nghiệp vụ Y", unit="Sở Y tế", birth=1979)
HUONG = Person("Trần Đức Hưởng", post="Trưởng phòng Tổ chức cán bộ", unit="Sở Y tế", birth=1981)
PLACE_SYT = "Hội trường Sở Y tế, số 15 Trần Hưng Đạo, phường Tam Kỳ"


def appointment_internal() -> Case:
    c = Case("appointment-internal", TUYET, "Phó Giám đốc Sở Y tế tỉnh Quảng Nam",
             issuers={"default": SYT, "decision": UBND}, signatures={"default": GD_SYT, "decision": CHU_TICH},
             legal_basis=("Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025",
                          "Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư",
                          QD377))
    chair = ("Phạm Văn Lực", "Giám đốc Sở Y tế")
    nom = Tally("nominate", 21, 20, 20, 20, 19, 1, "summoned",
                (Votes(TUYET.name, {"agree": 14}, outcome="Được giới thiệu"),
                 Votes(HUONG.name, {"agree": 5}, outcome="Không", added=True)), announced=False)
    c.conferences = {
        "collective-1": (conf("Hội nghị tập thể lãnh đạo Sở Y tế lần thứ nhất", datetime(2026, 2, 2, 8), PLACE_SYT, chair), None),
        "expanded-meeting": (conf("Hội nghị tập thể lãnh đạo mở rộng Sở Y tế", datetime(2026, 2, 5, 8), PLACE_SYT, chair), nom),
        "collective-2": (conf("Hội nghị tập thể lãnh đạo Sở Y tế lần thứ hai", datetime(2026, 2, 9, 14), PLACE_SYT, chair),
                         Tally("nominate", 7, 7, 7, 7, 7, 0, "summoned", (Votes(TUYET.name, {"agree": 6}, outcome="Được giới thiệu"),))),
        "key-cadres": (conf("Hội nghị cán bộ chủ chốt Sở Y tế", datetime(2026, 2, 12, 8), PLACE_SYT, chair),
                       Tally("two_level", 45, 42, 42, 42, 41, 1, "summoned", (two(38, 3, TUYET.name, "Đạt"),))),
        "collective-3": (conf("Hội nghị tập thể lãnh đạo Sở Y tế lần thứ ba", datetime(2026, 2, 24, 8), PLACE_SYT, chair),
                         Tally("two_level", 7, 7, 7, 7, 7, 0, "members", (two(6, 1, TUYET.name, "Đạt"),), members=7)),
    }
    return c


def appointment_external() -> Case:
    p = Person("Phan Thị Thu Hà", post="Phó Trưởng phòng Tuyên truyền", unit="Báo Quảng Nam", birth=1983)
    c = Case("appointment-external", p, "Phó Trưởng Ban Tuyên giáo và Dân vận Tỉnh ủy",
             issuers={"default": BTC, "decision": TINH_UY}, signatures={"default": TRUONG_BTC, "decision": BTV_TU},
             legal_basis=(DIEU_LE, QD377))
    c.conferences = {
        "discussion": (conf("Hội nghị trao đổi với tập thể lãnh đạo Ban Tuyên giáo và Dân vận Tỉnh ủy",
                            datetime(2026, 1, 8, 8), "Phòng họp Ban Tuyên giáo và Dân vận Tỉnh ủy",
                            ("Nguyễn Văn Hưng", "Trưởng Ban Tuyên giáo và Dân vận Tỉnh ủy")), None),
        "consultation": (conf("Hội nghị tập thể lãnh đạo Báo Quảng Nam", datetime(2026, 1, 12, 14),
                              "Phòng họp Báo Quảng Nam", ("Trần Hữu Phước", "Tổng Biên tập Báo Quảng Nam")),
                         Tally("two_level", 5, 5, 5, 5, 5, 0, "summoned", (two(5, 0, p.name),))),
    }
    return c


def reappointment() -> Case:
    p = Person("Đinh Văn Thu", post="Chánh Văn phòng Tỉnh ủy", birth=1972)
    c = Case("reappointment", p, "Chánh Văn phòng Tỉnh ủy", issuers={"default": BTC, "decision": TINH_UY,
             "notification": BTC}, signatures={"default": TRUONG_BTC, "decision": PHO_BT_TU},
             legal_basis=(DIEU_LE, QD377))
    chair = ("Đinh Văn Thu", "Chánh Văn phòng Tỉnh ủy")
    c.conferences = {
        "key-cadres": (conf("Hội nghị cán bộ chủ chốt Văn phòng Tỉnh ủy", datetime(2026, 1, 20, 8),
                            "Hội trường Văn phòng Tỉnh ủy", chair),
                       Tally("two_level", 32, 30, 30, 30, 30, 0, "summoned", (two(27, 3, p.name),))),
        "collective": (conf("Hội nghị tập thể lãnh đạo Văn phòng Tỉnh ủy", datetime(2026, 1, 27, 8),
                            "Phòng họp Văn phòng Tỉnh ủy", chair),
                       Tally("two_level", 4, 4, 4, 4, 4, 0, "members", (two(2, 2, p.name, "Đạt 50%: người đứng đầu quyết định"),),
                             members=4)),
    }
    return c


def confidence_vote() -> Case:
    a = Person("Hồ Quang Bửu", post="Giám đốc Sở Tài chính", birth=1970)
    b = Person("Đoàn Thị Nhung", post="Phó Giám đốc Sở Tài chính", birth=1975)
    c = Case("confidence-vote", a, "Giám đốc Sở Tài chính", issuers={"default": STC},
             signatures={"default": KT_GD_STC}, legal_basis=("Quy định số 96-QĐ/TW, ngày 02/02/2023 của Bộ Chính trị",))
    tally = Tally("three_level", 60, 57, 57, 57, 55, 2, "collected",
                  (Votes(a.name, {"high": 30, "confidence": 20, "low": 5}, outcome="Tiếp tục giữ chức vụ"),
                   Votes(b.name, {"high": 8, "confidence": 10, "low": 38}, outcome="Từ 2/3 tín nhiệm thấp trở lên")))
    c.conferences = {"poll": (conf("Hội nghị lấy phiếu tín nhiệm năm 2026 của Sở Tài chính", datetime(2026, 11, 3, 8),
                                   "Hội trường Sở Tài chính", ("Hồ Quang Bửu", "Giám đốc Sở Tài chính")), tally)}
    return c


def dismissal_resignation() -> Case:
    p = Person("Lê Văn Quang", post="Phó Chủ tịch Ủy ban nhân dân xã Duy Nghĩa", birth=1977)
    c = Case("dismissal-resignation", p, "Phó Chủ tịch Ủy ban nhân dân xã Duy Nghĩa",
             issuers={"default": DANG_UY_XA, "decision": UBND}, signatures={"default": BT_XA, "decision": CHU_TICH},
             legal_basis=("Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025", QD377))
    c.conferences = {"talk-proposal": (conf("Buổi làm việc với đồng chí Lê Văn Quang", datetime(2026, 4, 6, 9),
                                            "Trụ sở Đảng ủy xã Duy Nghĩa", ("Võ Ngọc Ánh", "Bí thư Đảng ủy xã")), None)}
    return c


def committee_personnel() -> Case:
    p = Person("Nguyễn Văn Phú", post="Giám đốc Trung tâm Y tế huyện", unit="Duy Xuyên", birth=1974)
    c = Case("committee-personnel", p, "Bí thư Đảng ủy Trung tâm Y tế huyện Duy Xuyên",
             issuers={"default": HUYEN_UY}, signatures={"default": BT_HU}, decision_date=date(2024, 9, 9),
             legal_basis=(DIEU_LE, "Hướng dẫn số 38-HD/BTCTW của Ban Tổ chức Trung ương"))
    chair = ("Trần Văn Mẫn", "Bí thư Huyện ủy")
    board = (two(41, 2, p.name), two(39, 4, "Lê Thị Mai"), two(40, 3, "Võ Minh Tâm"))
    c.conferences = {
        "criteria": (conf("Hội nghị Ban Thường vụ Huyện ủy Duy Xuyên", datetime(2024, 8, 5, 8),
                          "Phòng họp Huyện ủy Duy Xuyên", chair), None),
        "members-conference": (conf("Hội nghị đảng viên Đảng bộ Trung tâm Y tế huyện", datetime(2024, 8, 12, 8),
                                    "Hội trường Trung tâm Y tế huyện", chair),
                               Tally("two_level", 45, 43, 43, 43, 43, 0, "summoned", board)),
        "block-conference": (conf("Hội nghị cấp ủy khối y tế - giáo dục", datetime(2024, 8, 15, 8),
                                  "Hội trường Huyện ủy Duy Xuyên", chair),
                             Tally("two_level", 18, 17, 17, 17, 17, 0, "summoned",
                                   (two(16, 1, p.name), two(15, 2, "Lê Thị Mai"), two(16, 1, "Võ Minh Tâm")))),
        "first-meeting": (conf("Hội nghị lần thứ nhất Ban Chấp hành Đảng bộ Trung tâm Y tế huyện",
                               datetime(2024, 9, 16, 8), "Hội trường Trung tâm Y tế huyện", (p.name, "Bí thư Đảng ủy")),
                          Tally("two_level", 5, 5, 5, 5, 5, 0, "summoned", (two(5, 0, "Lê Thị Mai"),))),
    }
    return c


def party_admission() -> Case:
    p = Person("Trần Thị Thanh Thảo", post="Giáo viên", unit="Trường Tiểu học Duy Nghĩa", birth=date(1998, 2, 7))
    c = Case("party-admission", p, "đảng viên dự bị", issuers={"default": CHI_BO, "committee-decision": DANG_UY_XA},
             signatures={"default": BT_CHIBO, "committee-decision": BT_XA}, legal_basis=(DIEU_LE,
             "Quy định số 294-QĐ/TW, ngày 26/5/2025 của Ban Chấp hành Trung ương về thi hành Điều lệ Đảng"))
    c.conferences = {"cell-vote": (conf("Chi bộ thôn Hà Mỹ", datetime(2026, 5, 12, 19), "Nhà văn hóa thôn Hà Mỹ",
                                        ("Lê Thị Hồng Ngọc", "Bí thư Chi bộ")),
                                   Tally("two_level", 15, 14, 14, 14, 14, 0, "members", (two(13, 1, p.name),), members=15)),
                     "committee-decision": (conf("Đảng ủy xã Duy Nghĩa", datetime(2026, 5, 26, 8),
                                                 "Trụ sở Đảng ủy xã Duy Nghĩa", ("Võ Ngọc Ánh", "Bí thư Đảng ủy")), None)}
    return c


CASES = [appointment_internal, appointment_external, reappointment, confidence_vote, dismissal_resignation,
         committee_personnel, party_admission]


ACTIONS = {"appointment-internal": "bổ nhiệm", "appointment-external": "bổ nhiệm", "reappointment": "bổ nhiệm lại",
           "dismissal-resignation": "cho thôi giữ chức vụ", "committee-personnel": "chỉ định"}
BOARD = (Person("Nguyễn Văn Tám", post="Trưởng phòng"), Person("Lê Thị Bích", post="Chuyên viên"),
         Person("Hoàng Minh Trí", post="Chuyên viên"))


def _issuer(case: Case, step: str, kind: str) -> IssuingBody:
    if step in case.issuers:
        return case.issuers[step]
    if kind.startswith("decision-") and "decision" in case.issuers:
        return case.issuers["decision"]
    return case.issuers["default"]


def _signature(case: Case, step: str, kind: str) -> Signature:
    if step in case.signatures:
        return case.signatures[step]
    if kind.startswith("decision-") and "decision" in case.signatures:
        return case.signatures["decision"]
    return case.signatures["default"]


def _conference(case: Case, step: str) -> tuple[Conference, Tally | None]:
    return case.conferences.get(step) or next(iter(case.conferences.values()))


def _addressee(issuer: IssuingBody) -> str:
    return "Ban Thường vụ Tỉnh ủy" if issuer.family is Family.PARTY else "Ủy ban nhân dân tỉnh Quảng Nam"


def _fields(case: Case, step: str, kind: str, issuer: IssuingBody) -> dict:
    c, tally = _conference(case, step)
    tally_or_votes = tally or Tally("two_level", 7, 7, 7, 7, 7, 0, "summoned", (two(7, 0, case.person.name),))
    decider = ("Ban Thường vụ " + issuer.name if issuer.family is Family.PARTY else "Chủ tịch " + " ".join(issuer.name.split()))
    executors = ("Văn phòng " + " ".join(issuer.name.split()), "Ban Tổ chức Tỉnh ủy", "các cơ quan, đơn vị liên quan")
    results = tuple(ConferenceResult(conf_, t) for conf_, t in case.conferences.values() if t is not None)
    ballot_people = tuple(case.person if v.name == case.person.name else Person(v.name)
                          for v in tally_or_votes.candidates)
    by_kind = {
        "submission": lambda: dict(addressee=_addressee(issuer), candidates=(case.person,), post=case.post,
                                   action=ACTIONS.get(case.procedure, "bổ nhiệm"),
                                   background=f"Thực hiện quy trình {ACTIONS.get(case.procedure, 'bổ nhiệm')} cán bộ theo {QD377.split(',')[0]}, đến nay đã hoàn thành các bước theo quy định.",
                                   results=results, appraisal="Qua thẩm định, đồng chí đủ tiêu chuẩn, điều kiện theo quy định.",
                                   differing_opinions=None),
        "conference-minutes": lambda: dict(conference=c, summoned=tally.summoned if tally else 9, present=tally.present if tally else 8,
                                           absent=("Đồng chí Phan Văn Bình, đi công tác",) if not tally else (),
                                           agenda="Thống nhất chủ trương, cơ cấu, số lượng, tiêu chuẩn, điều kiện và quy trình thực hiện.",
                                           conclusions="Hội nghị thống nhất 100% các nội dung trên.", tally=tally),
        "vote-minutes": lambda: dict(conference=c, purpose=f"đối với chức vụ {case.post}", tally=tally_or_votes,
                                     counting_board=BOARD),
        "resolution": lambda: dict(conference=c, summoned=5, present=5, tally=tally,
                                   resolves="Bầu Ủy ban Kiểm tra Đảng ủy gồm 03 đồng chí.\nBầu đồng chí Lê Thị Mai giữ chức Chủ nhiệm Ủy ban Kiểm tra Đảng ủy."),
        "notice": lambda: dict(content=f"Ngày {case.decision_date.day:02d}/{case.decision_date.month}/{case.decision_date.year}, "
                                       f"{decider} đã ban hành quyết định đối với đồng chí {case.person.name}, {case.post}.\n"
                                       "Đề nghị các cơ quan, đơn vị biết, phối hợp thực hiện"),
        "knd-6": lambda: dict(person=case.person, conference=c, members=15, present=14, agree=13,
                              assessment="Ưu điểm: có lập trường tư tưởng vững vàng, hoàn thành tốt nhiệm vụ.\nKhuyết điểm: kinh nghiệm công tác còn ít.",
                              sponsors=("Lê Thị Hồng Ngọc", "Nguyễn Văn Hòa")),
        "knd-8": lambda: dict(person=case.person, conference=c, members=11, present=10, agree=10,
                              assessment="Ưu điểm: tích cực, gương mẫu.\nKhuyết điểm: không.", sponsors=None),
    }
    if kind.startswith("decision-"):
        fields = dict(decider=decider, proposal=f"Ban Tổ chức Tỉnh ủy tại Tờ trình số 45-TTr/BTCTU, ngày 10/3/2026",
                      executors=executors)
        if kind == "decision-designation":
            fields.update(organisation="Đảng bộ Trung tâm Y tế huyện", term="2024 - 2025",
                          members=(Assignment(case.person, "Bí thư Đảng ủy"), Assignment(Person("Lê Thị Mai", birth=1980), "Phó Bí thư Đảng ủy"),
                                   Assignment(Person("Võ Minh Tâm", birth=1985), "Ủy viên Ban Chấp hành")))
        elif kind == "decision-admission":
            fields.update(person=case.person, hometown="xã Duy Nghĩa, thành phố Đà Nẵng", cell="Chi bộ thôn Hà Mỹ",
                          grassroots="Đảng bộ xã Duy Nghĩa",
                          proposal="Đảng ủy xã Duy Nghĩa tại Nghị quyết số 21-NQ/ĐU, ngày 26/5/2026")
        else:
            fields.update(person=case.person, post=case.post, effective_from=date(2026, 4, 1))
            if kind in ("decision-appointment", "decision-reappointment"):
                fields["term_years"] = 5
            else:
                fields["grounds"] = "theo nguyện vọng cá nhân" if kind == "decision-resignation" else "không hoàn thành nhiệm vụ hai năm liên tiếp"
        return fields
    if kind.endswith("-ballot"):
        return dict(conference=c, candidates=ballot_people, copies=3, post=case.post, seats=1,
                    write_in=2 if kind == "nomination-ballot" else None)
    return by_kind[kind]()


def request_for(case: Case, step: str, kind: str) -> DocumentRequest:
    issuer = _issuer(case, step, kind)
    c, _ = _conference(case, step)
    if kind.endswith("-ballot"):
        ballot_issuer = IssuingBody(issuer.full_name or " ".join(issuer.name.split()), issuer.code, issuer.place, Family.BALLOT)
        return DocumentRequest(kind=kind, issuer=ballot_issuer, fields=_fields(case, step, kind, issuer))
    minutes = kind in ("conference-minutes", "vote-minutes")
    subjects = {"submission": f"về việc đề nghị {ACTIONS.get(case.procedure, 'bổ nhiệm')} cán bộ",
                "notice": "về việc công bố quyết định về công tác cán bộ", "resolution": "về công tác cán bộ",
                "knd-6": "đề nghị kết nạp đảng viên", "knd-8": "đề nghị kết nạp đảng viên"}
    subject = "" if minutes else subjects.get(kind, "về công tác cán bộ")
    return DocumentRequest(
        kind=kind, issuer=issuer, signature=None if minutes else _signature(case, step, kind),
        number=None if minutes else (12 if kind.startswith("decision-") else 7),
        date=c.held_at.date() if minutes else case.decision_date, subject=subject,
        legal_basis=case.legal_basis, recipients=("Như Điều 3", "Lưu Văn phòng") if kind.startswith("decision-")
        else ("Thường trực Tỉnh ủy", "Lưu Văn phòng"), fields=_fields(case, step, kind, issuer))


def all_requests(kinds) -> list[tuple[str, str, str, DocumentRequest]]:
    """(procedure, step, kind, request) for every document every shipped procedure produces."""
    out = []
    for make in CASES:
        case = make()
        for step, kind in kinds_for_procedure(kinds, case.procedure):
            out.append((case.procedure, step, kind, request_for(case, step, kind)))
    return out

"""A complete specimen request for every kind and family: every field filled. It is what a template
is checked against before it is accepted (an unknown placeholder is refused) and what a preview of
an uploaded template shows."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .formats import Authority, Family
from .kinds import DocumentKind
from .model import (Assignment, Conference, ConferenceResult, ContentsEntry, DocumentRequest, IssuingBody, Person,
                    Signature, Tally, Verification, Votes)

PARTY_ISSUER = IssuingBody(name="Tỉnh ủy Quảng Nam", code="TU", place="Quảng Nam", family=Family.PARTY)
STATE_ISSUER = IssuingBody(name="Ủy ban nhân dân\ntỉnh Quảng Nam", full_name="Ủy ban nhân dân tỉnh Quảng Nam", code="UBND", place="Quảng Nam",
                           family=Family.STATE)
BALLOT_ISSUER = IssuingBody(name="Sở Y tế tỉnh Quảng Nam", code="SYT", place="Quảng Nam", family=Family.BALLOT)
SIGNATURES = {
    Family.PARTY: Signature(authority=Authority.ON_BEHALF, of="Ban Thường vụ", title="Bí thư", name="Lương Nguyễn Minh Triết"),
    Family.STATE: Signature(authority=Authority.ON_BEHALF, of="Ủy ban nhân dân", title="Chủ tịch", name="Lê Văn Dũng"),
}
CANDIDATE = Person("Nguyễn Thị Ánh Tuyết", post="Trưởng phòng Nghiệp vụ Y", unit="Sở Y tế", birth=1979)
SECOND = Person("Trần Đức Hưởng", post="Trưởng phòng Tổ chức cán bộ", unit="Sở Y tế", birth=1981)
CONFERENCE = Conference(name="Hội nghị cán bộ chủ chốt Sở Y tế", held_at=datetime(2026, 3, 5, 8, 0),
                        place="Hội trường Sở Y tế, thành phố Tam Kỳ", chair=Person("Phạm Văn Lực", post="Giám đốc Sở Y tế"),
                        secretary=Person("Võ Thị Hằng", post="Chánh Văn phòng Sở Y tế"),
                        ended_at=datetime(2026, 3, 5, 10, 30))
TALLY = Tally(scale="two_level", summoned=30, present=28, issued=28, collected=28, valid=27, invalid=1, base="summoned",
              candidates=(Votes("Nguyễn Thị Ánh Tuyết", {"agree": 25, "disagree": 2}, outcome="Đạt"),
                          Votes("Trần Đức Hưởng", {"agree": 2, "disagree": 25}, outcome="Không đạt", added=True)))


def _value(type_: str, name: str) -> Any:
    values: dict[str, Any] = {
        "string": f"({name})", "text": [f"({name}) đoạn thứ nhất.", f"({name}) đoạn thứ hai."], "integer": 3,
        "boolean": True, "date": date(2026, 3, 1), "datetime": datetime(2026, 3, 5, 8, 0),
        "person": CANDIDATE, "people": (CANDIDATE, SECOND),
        "assignments": (Assignment(CANDIDATE, "Bí thư Đảng ủy"), Assignment(SECOND, "Phó Bí thư Đảng ủy")),
        "conference": CONFERENCE, "tally": TALLY, "results": (ConferenceResult(CONFERENCE, TALLY),),
        "strings": (f"({name}) thứ nhất", f"({name}) thứ hai"),
        "contents": (ContentsEntry(step="Bước 1", title="Biên bản hội nghị", page=3, pages=2),
                     ContentsEntry(step="Bước 2", title="anh-chup.jpg", sha256="ab" * 32)),
    }
    return values[type_]


def specimen(kind: DocumentKind, family: Family) -> DocumentRequest:
    issuer = {Family.PARTY: PARTY_ISSUER, Family.STATE: STATE_ISSUER, Family.BALLOT: BALLOT_ISSUER}[family]
    fields = {name: _value(spec.type, name) for name, spec in kind.fields.items()}
    return DocumentRequest(
        kind=kind.key, issuer=issuer, signature=SIGNATURES.get(family), number=12, date=date(2026, 3, 5),
        subject="về việc (trích yếu)", legal_basis=("Căn cứ (văn bản thứ nhất)", "Căn cứ (văn bản thứ hai)"),
        recipients=("(nơi nhận thứ nhất)", "Lưu (văn phòng)"), fields=fields,
        verification=Verification(code="ABCD-EFGH-JK", url="https://cadreflow.example/verify/ABCD-EFGH-JK"))

"""The plain data a document is made from: who issues it, who signs, the people and the tallies.
Phase 2 builds these from a case; nothing here knows about cases, databases or files."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

from .errors import DocumentError
from .formats import Authority, Family


@dataclass(frozen=True)
class IssuingBody:
    """The issuing block at the top left. `superior` is the body directly above (printed plain),
    `name` the issuer itself (printed bold): e.g. superior "Tỉnh ủy Quảng Nam", name "Ban Tổ chức";
    or no superior and name "Tỉnh ủy Quảng Nam". A line break in `name` is kept in the header
    ("Ủy ban nhân dân\ntỉnh Quảng Nam"). `code` is the issuer's part of the number symbol
    (TU, BTCTU, ĐU, UBND, SNV...); `place` the place name of the date line."""

    name: str
    code: str
    place: str
    family: Family
    superior: str | None = None
    full_name: str | None = None  # how a sentence names it: "Ban Tổ chức Tỉnh ủy" (default: name)


@dataclass(frozen=True)
class Signature:
    """The signature block: `authority` + `of` make the first line (T/M BAN THƯỜNG VỤ), `title` the
    signer's post (BÍ THƯ), `name` the signer. `of` is the collective (on_behalf) or the head's
    post (deputy: K/T TRƯỞNG BAN)."""

    title: str
    name: str
    authority: Authority = Authority.DIRECT
    of: str | None = None


@dataclass(frozen=True)
class Person:
    """A person the document names. `post` and `unit` describe them now ("Trưởng phòng Nghiệp vụ
    Y", "Sở Y tế"); `birth` is a year or a date."""

    name: str
    post: str | None = None
    unit: str | None = None
    birth: int | date | None = None


@dataclass(frozen=True)
class Votes:
    """One candidate's counts: agree/disagree (two levels and nominations: agree = the votes for
    them), or high/confidence/low (three levels). `outcome` is the rule's verdict, as text."""

    name: str
    counts: Mapping[str, int]
    outcome: str = ""
    added: bool = False  # nominated at the conference, outside the list


@dataclass(frozen=True)
class Tally:
    """A conference's count as recorded. `scale`: two_level | three_level | nominate. `base` names
    the figure shares are taken on (the vote rule's base: summoned, members, present, collected,
    valid); `announced` whether the result may be read out at the conference."""

    scale: str
    summoned: int
    present: int
    issued: int
    collected: int
    valid: int
    invalid: int
    base: str
    candidates: tuple[Votes, ...]
    members: int | None = None
    announced: bool = True

    def base_value(self) -> int:
        value = getattr(self, self.base, None) if self.base in BASES else None
        if not isinstance(value, int):
            raise DocumentError("invalid_field", f"the tally has no {self.base!r} figure to take shares on",
                                fields={"tally.base": "invalid"})
        return value


BASES = {
    "summoned": "tổng số người được triệu tập",
    "members": "tổng số thành viên",
    "present": "số người có mặt",
    "collected": "tổng số phiếu thu về",
    "valid": "số phiếu hợp lệ",
}


@dataclass(frozen=True)
class Conference:
    """A conference or meeting: what it is, when and where, who chairs, who writes the minutes."""

    name: str
    held_at: datetime
    place: str
    chair: Person | None = None
    secretary: Person | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Assignment:
    """A person and the post or seat the document gives them (Bí thư, Ủy viên Ban Thường vụ...)."""

    person: Person
    post: str


@dataclass(frozen=True)
class ConferenceResult:
    """An earlier conference and its count, as a submission (tờ trình) summarises it."""

    conference: Conference
    tally: Tally


@dataclass(frozen=True)
class ContentsEntry:
    """One line of a dossier's table of contents: a generated or attached document with the page it
    starts on, or a file that is listed only (not a PDF), with its sha256."""

    step: str
    title: str
    page: int | None = None
    pages: int | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Verification:
    """The verification code printed with its QR on every generated document. The trust issue's
    `/verify/<code>` gives it; until that lands, `workflow.adapters.documents.verification`
    supplies a clearly marked provisional one (the seam)."""

    code: str
    url: str


@dataclass(frozen=True)
class DocumentRequest:
    """Everything one document is filled from. The envelope is common to every kind; `fields`
    holds the kind's own data, checked against the kind's list (definitions/documents/kinds.yaml)."""

    kind: str
    issuer: IssuingBody
    signature: Signature | None = None
    number: int | None = None  # from the register; None = a draft, the number left blank
    date: date | None = None  # the issue date; None = a draft
    subject: str = ""  # trích yếu: "về việc bổ nhiệm cán bộ"
    legal_basis: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    verification: Verification | None = None

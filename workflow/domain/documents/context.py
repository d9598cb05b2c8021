"""The fill-in context of a template, built from plain data. Every value a template prints is
already a string written the way the official layout writes it (dates, numbers, shares,
signatures); a template only places them. The keys are the same for every request of a kind
(absent optional data gives '' or an empty list), so the set of keys is the kind's placeholder
vocabulary (`placeholders`)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Callable

from .errors import DocumentError
from .formats import (Family, authority_line, date_words, number_line, percent, place_date_line, short_date,
                      two_digits)
from .kinds import DocumentKind
from .model import (BASES, Assignment, Conference, ConferenceResult, ContentsEntry, DocumentRequest, Person,
                    Tally)

MAX_BALLOTS = 2000
SCALES = {  # (the count's key in Votes.counts, the column's title, how a sentence says it)
    "two_level": (("agree", "Đồng ý", "đồng ý"), ("disagree", "Không đồng ý", "không đồng ý")),
    "three_level": (("high", "Tín nhiệm cao", "tín nhiệm cao"), ("confidence", "Tín nhiệm", "tín nhiệm"),
                    ("low", "Tín nhiệm thấp", "tín nhiệm thấp")),
    "nominate": (("agree", "Số phiếu giới thiệu", "giới thiệu"),),
}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str) and bool(v.strip()),
    "text": lambda v: (isinstance(v, str) and bool(v.strip())) or _seq_of(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, date) and not isinstance(v, datetime),
    "datetime": lambda v: isinstance(v, datetime),
    "person": lambda v: isinstance(v, Person),
    "people": lambda v: _seq_of(v, Person) and len(v) > 0,
    "assignments": lambda v: _seq_of(v, Assignment) and len(v) > 0,
    "conference": lambda v: isinstance(v, Conference),
    "tally": lambda v: isinstance(v, Tally),
    "results": lambda v: _seq_of(v, ConferenceResult),
    "strings": lambda v: _seq_of(v, str),
    "contents": lambda v: _seq_of(v, ContentsEntry),
}


def _seq_of(value: Any, cls: type) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str) and all(isinstance(x, cls) for x in value)


def check_fields(kind: DocumentKind, fields: Mapping[str, Any]) -> None:
    """Every required field present, no field the kind does not know, each of its type; all the
    problems at once, by field name."""
    problems: dict[str, str] = {}
    for name in fields:
        if name not in kind.fields:
            problems[name] = "unknown"
    for name, spec in kind.fields.items():
        value = fields.get(name)
        if value is None:
            if spec.required:
                problems[name] = "required"
        elif not _TYPES[spec.type](value):
            problems[name] = f"must be {spec.type}"
    if problems:
        code = "missing_field" if set(problems.values()) == {"required"} else "invalid_field"
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(problems.items()))
        raise DocumentError(code, f"{kind.key}: {listed}", fields=problems, kind=kind.key)


# --- the values, as the documents write them -------------------------------------------------

def paragraphs(text: str | Sequence[str] | None) -> list[str]:
    lines = text.splitlines() if isinstance(text, str) else list(text or ())
    return [line.strip() for line in lines if line and line.strip()]


def person_values(p: Person) -> dict[str, str]:
    """`described` is how a decision names someone: "Nguyễn Văn A, sinh năm 1978, Trưởng phòng
    Nghiệp vụ Y, Sở Y tế"."""
    if isinstance(p.birth, date):
        birth = f"sinh ngày {short_date(p.birth)}"
    elif isinstance(p.birth, int):
        birth = f"sinh năm {p.birth}"
    else:
        birth = ""
    current = ", ".join(x for x in (p.post, p.unit) if x)
    return {"name": p.name, "birth": birth, "post": p.post or "", "unit": p.unit or "", "current": current,
            "described": ", ".join(x for x in (p.name, birth, current) if x)}


def clock(t: datetime | None) -> str:
    return f"{two_digits(t.hour)} giờ {two_digits(t.minute)} phút" if t else "…… giờ …… phút"


def conference_values(c: Conference) -> dict[str, Any]:
    return {"name": c.name, "place": c.place, "time": clock(c.held_at), "date": date_words(c.held_at.date()),
            "short_date": short_date(c.held_at.date()), "ended": clock(c.ended_at),
            "chair": person_values(c.chair) if c.chair else None,
            "secretary": person_values(c.secretary) if c.secretary else None}


def tally_values(t: Tally) -> dict[str, Any]:
    """The figures as the vote-count minutes print them: counts, and each count's share of the
    rule's base to two decimals with a decimal comma."""
    if t.scale not in SCALES:
        raise DocumentError("invalid_field", f"unknown tally scale {t.scale!r}", fields={"tally.scale": "invalid"})
    base = t.base_value()
    measures = SCALES[t.scale]
    rows = []
    for i, v in enumerate(t.candidates, 1):
        cells = [{"label": label, "phrase": phrase, "count": str(v.counts.get(m, 0)),
                  "share": percent(v.counts.get(m, 0), base)} for m, label, phrase in measures]
        summary = ", ".join(f"{c['count']} phiếu {c['phrase']} ({c['share']})" for c in cells)
        rows.append({"no": i, "name": v.name, "added": v.added, "outcome": v.outcome, "cells": cells,
                     "note": "giới thiệu thêm" if v.added else "", "summary": summary})
    if t.announced:
        announced = "Kết quả kiểm phiếu được công bố tại hội nghị."
    else:
        announced = "Theo quy định, kết quả kiểm phiếu không công bố tại hội nghị."
    return {"scale": t.scale, "summoned": t.summoned, "present": t.present, "issued": t.issued,
            "collected": t.collected, "valid": t.valid, "invalid": t.invalid, "members": t.members or "",
            "base": t.base, "base_name": BASES[t.base], "base_value": base, "columns": [m[1] for m in measures],
            "rows": rows, "announced": t.announced, "announced_sentence": announced,
            "base_sentence": f"Tỷ lệ phần trăm tính trên {BASES[t.base]} ({base})."}


def subject_text(family: Family, subject: str) -> str:
    """The subject under the kind's name: Party documents begin it in lower case ("về việc bổ
    nhiệm cán bộ", 36-HD/VPTW Phụ lục 3), State documents with a capital ("Về việc bổ nhiệm...")."""
    s = subject.strip()
    if not s:
        return ""
    first = s[0].lower() if family is Family.PARTY else s[0].upper()
    return first + s[1:]


def _endings(lines: Sequence[str], sep: str, last: str) -> list[str]:
    items = [line.strip().rstrip(",;.") for line in lines if line and line.strip()]
    return [f"- {x}{last if i == len(items) - 1 else sep}" for i, x in enumerate(items)]


def recipients_lines(family: Family, recipients: Sequence[str]) -> list[str]:
    """Party: one recipient a line, a comma after each, a full stop after the last (`- Lưu Văn
    phòng Tỉnh ủy.`); State: a semicolon after each (`- Lưu: VT, TCCB.`)."""
    return _endings(recipients, "," if family is Family.PARTY else ";", ".")


def basis_lines(family: Family, legal_basis: Sequence[str], proposal: str | None) -> list[str]:
    """The citations before the decision: `- Căn cứ Điều lệ Đảng Cộng sản Việt Nam;` (Party, with a
    dash) or `Căn cứ Luật ...;` (State), the proposal last, ending with a comma."""
    lines = [x.strip().rstrip(",;.") for x in legal_basis if x and x.strip()]
    lines = [x if x.lower().startswith("căn cứ") else f"Căn cứ {x}" for x in lines]
    if proposal:
        p = proposal.strip().rstrip(",;.")
        lines.append(p if p.lower().startswith("xét") else f"Xét đề nghị của {p}")
    dash = "- " if family is Family.PARTY else ""
    return [f"{dash}{x}{',' if i == len(lines) - 1 else ';'}" for i, x in enumerate(lines)]


def signature_values(req: DocumentRequest, kind: DocumentKind) -> dict[str, str]:
    sig = req.signature
    if kind.signature != "authority":
        return {"authority": "", "title": "", "name": ""}
    if sig is None:
        raise DocumentError("missing_field", f"{kind.key}: the signature block is missing",
                            fields={"signature": "required"})
    return {"authority": authority_line(req.issuer.family, sig.authority, sig.of),
            "title": sig.title.strip().upper(), "name": sig.name.strip()}


def envelope(req: DocumentRequest, kind: DocumentKind) -> dict[str, Any]:
    family = req.issuer.family
    if family not in kind.families:
        allowed = ", ".join(f.value for f in kind.families)
        raise DocumentError("unsupported_family", f"{kind.key} is not issued with a {family.value} header "
                            f"(only {allowed})", kind=kind.key, family=family.value)
    official = family is not Family.BALLOT
    # minutes are numbered only when the register gave them a number; a signed document always
    # shows its number line (blank in a draft)
    numbered = official and bool(kind.code) and (kind.signature == "authority" or req.number is not None)
    return {
        "kind": kind.key, "family": family.value, "type_name": kind.type_name,
        "issuer": {"superior": (req.issuer.superior or "").upper(), "name": " ".join(req.issuer.name.upper().split()),
                   "name_lines": [x.strip() for x in req.issuer.name.upper().splitlines() if x.strip()],
                   "place": req.issuer.place, "text": req.issuer.full_name or req.issuer.name},
        "number": number_line(family, req.number, kind.code, req.issuer.code) if numbered else "",
        "place_date": place_date_line(req.issuer.place, req.date) if official else "",
        "date_words": date_words(req.date), "short_date": short_date(req.date),
        "subject": subject_text(family, req.subject),
        "recipients": recipients_lines(family, req.recipients),
        "signature": signature_values(req, kind),
        "verification": ({"code": req.verification.code, "url": req.verification.url}
                         if req.verification else {"code": "", "url": ""}),
    }


def _field_value(spec_type: str, value: Any, family: Family) -> Any:
    if value is None:
        return [] if spec_type in ("text", "people", "assignments", "results", "strings", "contents") else ""
    convert: dict[str, Callable[[Any], Any]] = {
        "text": paragraphs, "strings": lambda v: [x.strip() for x in v if x.strip()],
        "date": short_date, "datetime": lambda v: f"{clock(v)}, {date_words(v.date())}",
        "person": person_values, "people": lambda v: [person_values(p) for p in v],
        "assignments": lambda v: [{"person": person_values(a.person), "post": a.post} for a in v],
        "conference": conference_values, "tally": tally_values,
        "results": lambda v: [{"conference": conference_values(r.conference), "tally": tally_values(r.tally)}
                              for r in v],
        "contents": lambda v: [{"no": i, "step": e.step, "title": e.title, "page": e.page or "",
                                "pages": e.pages or "", "sha256": e.sha256 or ""} for i, e in enumerate(v, 1)],
    }
    return convert.get(spec_type, lambda v: v)(value)


def build_context(req: DocumentRequest, kind: DocumentKind) -> dict[str, Any]:
    """The template context of one document; bad input is refused with every problem named."""
    if req.kind != kind.key:
        raise DocumentError("unknown_kind", f"the request is for {req.kind!r}, not {kind.key!r}", kind=req.kind)
    check_fields(kind, req.fields)
    ctx = envelope(req, kind)
    family = req.issuer.family
    for name, spec in kind.fields.items():
        ctx[name] = _field_value(spec.type, req.fields.get(name), family)
    ctx.update(_derived(kind, req, ctx))
    return ctx


def _derived(kind: DocumentKind, req: DocumentRequest, ctx: dict[str, Any]) -> dict[str, Any]:
    """Values composed from several fields: the citations, the term, the shares of KNĐ votes, the
    ballots to print, the signatures of minutes."""
    f = req.fields
    family = req.issuer.family
    out: dict[str, Any] = {}
    if "decider" in kind.fields:
        out["basis"] = basis_lines(family, req.legal_basis, f.get("proposal"))
        out["decider_upper"] = str(f.get("decider", "")).upper()
        start = f.get("effective_from")
        out["effective"] = f"kể từ ngày {short_date(start)}" if start else "kể từ ngày ký"
        out["executors_text"] = ", ".join(x.strip() for x in f.get("executors", ()) if x.strip())
        years = f.get("term_years")
        out["term"] = f"{two_digits(years)} năm" if years else ""
    if "agree" in kind.fields and "members" in kind.fields:
        out["agree_share"] = percent(f.get("agree", 0), f.get("members", 0))
    if kind.is_ballot:
        copies = f.get("copies", 0)
        if not 1 <= copies <= MAX_BALLOTS:
            raise DocumentError("invalid_field", f"ballots to issue must be 1 to {MAX_BALLOTS}, not {copies}",
                                fields={"copies": "invalid"})
        out["ballots"] = list(range(1, copies + 1))
        out["write_in_rows"] = list(range(1, (f.get("write_in") or 0) + 1))
    if "summoned" in kind.fields and "present" in kind.fields:
        out["absent_count"] = max(f.get("summoned", 0) - f.get("present", 0), 0)
    if kind.signature == "minutes":
        c = f.get("conference")
        if c.chair is None or c.secretary is None:
            raise DocumentError("missing_field", f"{kind.key}: the minutes need the conference's chair and secretary",
                                fields={"conference.chair": "required", "conference.secretary": "required"})
    if kind.signature == "counting-board":
        board = ctx.get("counting_board") or []
        out["board_head"] = board[0] if board else None
        out["board_members"] = board[1:]
    return out


def placeholders(kind: DocumentKind, sample: DocumentRequest) -> frozenset[str]:
    """The names a template of this kind may use: the keys of its context."""
    return frozenset(build_context(sample, kind))

"""How the official documents write numbers, dates, signatures and vote shares.

Sources (both cited in definitions/documents/README.md):
- Party documents: Hướng dẫn 36-HD/VPTW (03/4/2018) of the Party Central Office, on the format and
  presentation of Party documents. Number as `Số 12-QĐ/TU` (no colon, number-kind/issuer);
  signing for a collective (cấp ủy, ban thường vụ, ủy ban kiểm tra...) is `T/M`, a deputy signing
  for the head of an advisory body is `K/T`, by order `T/L` (§II.1.7.1).
- State documents: Nghị định 30/2020/NĐ-CP (05/3/2020), Phụ lục I. Number as `Số: 12/QĐ-UBND`;
  `TM.`, `KT.`, `TL.`, `TUQ.`; numbers start at 01 (a number under 10 takes a leading zero).
- The issue date, both families: "the day when smaller than 10 and the months 1 and 2 take a
  leading zero" (NĐ 30 Phụ lục I §I; the same in Party practice, e.g. 36-HD/VPTW is itself dated
  "ngày 03 tháng 4 năm 2018"): `ngày 05 tháng 3 năm 2026`, `ngày 20 tháng 02 năm 2018`.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from fractions import Fraction

from .errors import DocumentError


class Family(str, Enum):
    """Which official layout a document takes: the issuing body's, never a guess."""

    PARTY = "party"  # Hướng dẫn 36-HD/VPTW
    STATE = "state"  # Nghị định 30/2020/NĐ-CP
    BALLOT = "ballot"  # a ballot: no header, no number, no signature


class Authority(str, Enum):
    """On whose behalf the signer signs (quyền hạn của người ký)."""

    DIRECT = "direct"  # the head signs in their own name
    ON_BEHALF = "on_behalf"  # thay mặt a collective: T/M (Party), TM. (State)
    DEPUTY = "deputy"  # ký thay the head: K/T (Party), KT. (State)
    BY_ORDER = "by_order"  # thừa lệnh: T/L (Party), TL. (State)
    BY_DELEGATION = "by_delegation"  # thừa ủy quyền: TUQ. (State only)


_AUTHORITY_PREFIX = {
    Family.PARTY: {Authority.ON_BEHALF: "T/M", Authority.DEPUTY: "K/T", Authority.BY_ORDER: "T/L"},
    Family.STATE: {Authority.ON_BEHALF: "TM.", Authority.DEPUTY: "KT.", Authority.BY_ORDER: "TL.",
                   Authority.BY_DELEGATION: "TUQ."},
}


def two_digits(n: int) -> str:
    return f"{n:02d}"


def month_text(month: int) -> str:
    """Months 1 and 2 take a leading zero (so that nobody can turn them into 11 or 12); 3-12 do not."""
    return two_digits(month) if month <= 2 else str(month)


def date_words(d: date | None) -> str:
    """`ngày 05 tháng 3 năm 2026`; an undated draft keeps the blanks the clerk fills in by hand."""
    if d is None:
        return "ngày      tháng      năm"
    return f"ngày {two_digits(d.day)} tháng {month_text(d.month)} năm {d.year}"


def place_date_line(place: str, d: date | None) -> str:
    """The line under the national or Party title: `Quảng Nam, ngày 05 tháng 3 năm 2026`."""
    if not place or not place.strip():
        raise DocumentError("missing_field", "the place of issue (địa danh) is empty",
                            fields={"issuer.place": "required"})
    return f"{place.strip()}, {date_words(d)}"


def short_date(d: date | None) -> str:
    """A date inside the text, as references write it: `08/10/2025`, `05/02/2026`, `05/3/2026`."""
    if d is None:
        return "…/…/……"
    return f"{two_digits(d.day)}/{month_text(d.month)}/{d.year}"


def _check_code(name: str, value: str) -> str:
    if not value or any(c.isspace() for c in value) or "/" in value:
        raise DocumentError("invalid_field", f"{name} {value!r} must be a short code without spaces or '/'",
                            fields={name: "invalid"})
    return value


def number_symbol(family: Family, seq: int | None, kind_code: str, issuer_code: str) -> str:
    """The number and symbol as a reference cites it: `12-QĐ/TU` (Party), `12/QĐ-UBND` (State).
    An unnumbered draft leaves the blank the register fills: `   -QĐ/TU`."""
    _check_code("kind_code", kind_code)
    _check_code("issuer.code", issuer_code)
    if seq is None:
        no = "     "
    elif isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise DocumentError("invalid_field", f"a document number must be a whole number from 1, not {seq!r}",
                            fields={"number": "invalid"})
    else:
        no = two_digits(seq)
    if family is Family.PARTY:
        return f"{no}-{kind_code}/{issuer_code}"
    if family is Family.STATE:
        return f"{no}/{kind_code}-{issuer_code}"
    raise DocumentError("unsupported_family", f"a {family.value} has no number")


def number_line(family: Family, seq: int | None, kind_code: str, issuer_code: str) -> str:
    """`Số 12-QĐ/TU` (Party: no colon) or `Số: 12/QĐ-UBND` (State)."""
    symbol = number_symbol(family, seq, kind_code, issuer_code)
    return f"Số {symbol}" if family is Family.PARTY else f"Số: {symbol}"


def authority_line(family: Family, authority: Authority, of: str | None) -> str:
    """`T/M BAN THƯỜNG VỤ`, `K/T TRƯỞNG BAN`, `TM. ỦY BAN NHÂN DÂN`, `KT. CHỦ TỊCH`; '' when the head
    signs directly."""
    if authority is Authority.DIRECT:
        return ""
    prefix = _AUTHORITY_PREFIX.get(family, {}).get(authority)
    if prefix is None:
        raise DocumentError("invalid_field", f"{family.value} documents have no {authority.value} signature",
                            fields={"signature.authority": "invalid"})
    if not of or not of.strip():
        raise DocumentError("missing_field", "whom the signer signs for is empty",
                            fields={"signature.of": "required"})
    return f"{prefix} {of.strip().upper()}"


def group_thousands(n: int) -> str:
    """Vietnamese digit grouping: 1.234 (the dot groups thousands; the comma is the decimal mark)."""
    return f"{n:,}".replace(",", ".")


def percent(part: int, base: int) -> str:
    """A share of the rule's base, two decimals, Vietnamese decimal comma, halves rounded up:
    2/3 → `66,67%`, 1/2 → `50,00%`. A zero base has no share: `–`."""
    if base <= 0:
        return "–"
    share = Fraction(part * 100, base)  # exact; rounded once, below
    value = Decimal(share.numerator) / Decimal(share.denominator)
    text = str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    whole, _, frac = text.partition(".")
    return f"{group_thousands(int(whole))},{frac}%"


def votes_text(part: int, base: int) -> str:
    """`25/28 phiếu (89,29%)`: the count over the base and its share, as the minutes write it."""
    return f"{part}/{base} phiếu ({percent(part, base)})"

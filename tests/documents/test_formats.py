"""How numbers, dates, signatures and shares are written (pure: no files, no LibreOffice)."""
from datetime import date

import pytest

from workflow.domain.documents import (Authority, DocumentError, Family, authority_line, date_words, number_line,
                                       number_symbol, percent, place_date_line, short_date, votes_text)
from workflow.domain.documents.context import basis_lines, recipients_lines, subject_text


@pytest.mark.parametrize("d, words", [
    (date(2026, 3, 5), "ngày 05 tháng 3 năm 2026"),  # day < 10: a zero; March: none
    (date(2026, 3, 10), "ngày 10 tháng 3 năm 2026"),  # day 10: no zero
    (date(2026, 1, 9), "ngày 09 tháng 01 năm 2026"),  # January: a zero
    (date(2026, 2, 28), "ngày 28 tháng 02 năm 2026"),  # February: a zero
    (date(2026, 10, 1), "ngày 01 tháng 10 năm 2026"),
    (date(2026, 12, 31), "ngày 31 tháng 12 năm 2026"),
])
def test_date_words_pad_days_under_10_and_only_months_1_and_2(d, words):
    assert date_words(d) == words


def test_place_date_line_puts_the_place_before_the_date_and_refuses_an_empty_place():
    assert place_date_line("Quảng Nam", date(2026, 3, 5)) == "Quảng Nam, ngày 05 tháng 3 năm 2026"
    assert place_date_line("Quảng Nam", None) == "Quảng Nam, ngày      tháng      năm"
    with pytest.raises(DocumentError) as e:
        place_date_line("  ", date(2026, 3, 5))
    assert e.value.code == "missing_field" and "issuer.place" in e.value.fields


def test_short_date_inside_the_text_follows_the_same_zero_rule():
    assert short_date(date(2025, 10, 8)) == "08/10/2025"
    assert short_date(date(2026, 2, 5)) == "05/02/2026"
    assert short_date(date(2026, 3, 5)) == "05/3/2026"


@pytest.mark.parametrize("family, seq, line", [
    (Family.PARTY, 12, "Số 12-QĐ/TU"),  # Party: no colon, number-kind/issuer
    (Family.PARTY, 5, "Số 05-QĐ/TU"),  # from 01
    (Family.PARTY, 123, "Số 123-QĐ/TU"),
    (Family.STATE, 12, "Số: 12/QĐ-UBND"),  # State: colon, number/kind-issuer
    (Family.STATE, 9, "Số: 09/QĐ-UBND"),
    (Family.STATE, 10, "Số: 10/QĐ-UBND"),
])
def test_number_line_per_family(family, seq, line):
    assert number_line(family, seq, "QĐ", "TU" if family is Family.PARTY else "UBND") == line


def test_an_unnumbered_draft_leaves_the_number_blank_for_the_register():
    assert number_symbol(Family.PARTY, None, "QĐ", "TU") == "     -QĐ/TU"
    assert number_line(Family.STATE, None, "QĐ", "UBND") == "Số:      /QĐ-UBND"


@pytest.mark.parametrize("seq", [0, -1, True, "12", 1.5])
def test_a_number_that_is_not_a_whole_number_from_1_is_refused(seq):
    with pytest.raises(DocumentError) as e:
        number_symbol(Family.PARTY, seq, "QĐ", "TU")
    assert e.value.code == "invalid_field" and "number" in e.value.fields


@pytest.mark.parametrize("code", ["", "Q Đ", "QĐ/TU"])
def test_a_kind_or_issuer_code_with_a_space_or_slash_is_refused(code):
    with pytest.raises(DocumentError):
        number_symbol(Family.PARTY, 1, code, "TU")
    with pytest.raises(DocumentError):
        number_symbol(Family.STATE, 1, "QĐ", code)


def test_ballots_have_no_number():
    with pytest.raises(DocumentError) as e:
        number_symbol(Family.BALLOT, 1, "PB", "SYT")
    assert e.value.code == "unsupported_family"


@pytest.mark.parametrize("family, authority, of, line", [
    (Family.PARTY, Authority.ON_BEHALF, "Ban Thường vụ", "T/M BAN THƯỜNG VỤ"),
    (Family.PARTY, Authority.DEPUTY, "Trưởng ban", "K/T TRƯỞNG BAN"),
    (Family.PARTY, Authority.BY_ORDER, "Ban Thường vụ", "T/L BAN THƯỜNG VỤ"),
    (Family.STATE, Authority.ON_BEHALF, "Ủy ban nhân dân", "TM. ỦY BAN NHÂN DÂN"),
    (Family.STATE, Authority.DEPUTY, "Chủ tịch", "KT. CHỦ TỊCH"),
    (Family.STATE, Authority.BY_DELEGATION, "Giám đốc", "TUQ. GIÁM ĐỐC"),
    (Family.PARTY, Authority.DIRECT, None, ""),
])
def test_authority_line_per_family(family, authority, of, line):
    assert authority_line(family, authority, of) == line


def test_party_documents_have_no_signing_by_delegation_and_on_behalf_needs_whom():
    with pytest.raises(DocumentError) as e:
        authority_line(Family.PARTY, Authority.BY_DELEGATION, "Bí thư")
    assert e.value.code == "invalid_field"
    with pytest.raises(DocumentError) as e:
        authority_line(Family.PARTY, Authority.ON_BEHALF, " ")
    assert e.value.code == "missing_field"


@pytest.mark.parametrize("part, base, text", [
    (2, 3, "66,67%"), (1, 2, "50,00%"), (1, 3, "33,33%"), (25, 28, "89,29%"), (28, 28, "100,00%"),
    (0, 28, "0,00%"), (1, 800, "0,13%"),  # exactly 0,125: a half is rounded up, not to even
    (3, 800, "0,38%"), (1234, 10, "12.340,00%"),  # digits grouped with a dot
])
def test_percent_two_decimals_vietnamese_comma_half_up(part, base, text):
    assert percent(part, base) == text


def test_a_zero_base_has_no_share():
    assert percent(0, 0) == "–"


def test_votes_text_gives_the_count_over_the_base_and_its_share():
    assert votes_text(25, 28) == "25/28 phiếu (89,29%)"


def test_subject_starts_lower_case_in_party_documents_and_upper_case_in_state_documents():
    assert subject_text(Family.PARTY, "Về việc bổ nhiệm cán bộ") == "về việc bổ nhiệm cán bộ"
    assert subject_text(Family.STATE, "về việc bổ nhiệm cán bộ") == "Về việc bổ nhiệm cán bộ"


def test_recipients_end_with_commas_in_party_documents_semicolons_in_state_ones_and_a_full_stop_last():
    assert recipients_lines(Family.PARTY, ["Như Điều 3", "Lưu Văn phòng Tỉnh ủy."]) == [
        "- Như Điều 3,", "- Lưu Văn phòng Tỉnh ủy."]
    assert recipients_lines(Family.STATE, ["Như Điều 3;", "Lưu: VT, TCCB"]) == ["- Như Điều 3;", "- Lưu: VT, TCCB."]


def test_citations_begin_with_can_cu_and_the_proposal_ends_with_a_comma():
    assert basis_lines(Family.PARTY, ["Điều lệ Đảng Cộng sản Việt Nam"], "Ban Tổ chức Tỉnh ủy") == [
        "- Căn cứ Điều lệ Đảng Cộng sản Việt Nam;", "- Xét đề nghị của Ban Tổ chức Tỉnh ủy,"]
    assert basis_lines(Family.STATE, ["Căn cứ Luật A;", "Luật B"], None) == ["Căn cứ Luật A;", "Căn cứ Luật B,"]

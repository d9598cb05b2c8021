"""The DOCX templates: the shipped ones pass the check, a bad one is refused naming what is wrong,
and every kind of every shipped procedure's typical case renders and reads back (always run: DOCX
needs no LibreOffice)."""
from __future__ import annotations

import io

import pytest
from docx import Document

from workflow.adapters.documents import FolderTemplates, check_template
from workflow.domain.documents import DocumentError, Family

from .checks import missing, wrong_family
from .conftest import docx_text


def _edited(kind: str, family: str, old: str, new: str) -> bytes:
    """A shipped template with one placeholder text replaced, as an administrator's edit would."""
    doc = Document(io.BytesIO(FolderTemplates().template(kind, Family(family))))
    cells = [c for t in doc.tables for r in t.rows for c in r.cells]
    for p in list(doc.paragraphs) + [p for c in cells for p in c.paragraphs]:
        for run in p.runs:
            if old in run.text:
                run.text = run.text.replace(old, new)
                out = io.BytesIO()
                doc.save(out)
                return out.getvalue()
    raise AssertionError(f"{old!r} is not in {kind}.{family}.docx")


def test_every_shipped_template_passes_the_check(kinds):
    source = FolderTemplates()
    for kind in kinds.values():
        for family in kind.families:
            check_template(source.template(kind.key, family), kind, family)


def test_a_template_with_an_unknown_placeholder_is_refused_naming_it(kinds):
    data = _edited("decision-appointment", "party", "{{ person.described }}", "{{ appointe.described }}")
    with pytest.raises(DocumentError) as e:
        check_template(data, kinds["decision-appointment"], Family.PARTY)
    assert e.value.code == "unknown_placeholder"
    assert e.value.params["names"] == ["appointe"] and "appointe" in e.value.message


def test_a_misspelt_attribute_of_a_known_placeholder_is_refused_naming_it(kinds):
    data = _edited("decision-appointment", "state", "{{ person.described }}", "{{ person.nmae }}")
    with pytest.raises(DocumentError) as e:
        check_template(data, kinds["decision-appointment"], Family.STATE)
    assert e.value.code == "unknown_placeholder" and "nmae" in e.value.message


def test_a_placeholder_of_another_kind_is_unknown_here(kinds):
    data = _edited("notice", "party", "{{ p }}", "{{ tally.valid }}")
    with pytest.raises(DocumentError) as e:
        check_template(data, kinds["notice"], Family.PARTY)
    assert e.value.params["names"] == ["tally"]


def test_a_template_whose_tags_do_not_parse_is_refused(kinds):
    data = _edited("notice", "party", "{{ p }}", "{{ p ")
    with pytest.raises(DocumentError) as e:
        check_template(data, kinds["notice"], Family.PARTY)
    assert e.value.code == "template_syntax"


@pytest.mark.parametrize("data", [b"", b"not a word file", b"PK\x03\x04broken zip"])
def test_a_file_that_is_not_a_docx_is_refused(kinds, data):
    with pytest.raises(DocumentError) as e:
        check_template(data, kinds["notice"], Family.PARTY)
    assert e.value.code == "template_invalid"


def test_a_template_cannot_reach_python_internals(kinds):
    data = _edited("notice", "party", "{{ p }}", "{{ p.__class__.__mro__ }}")
    with pytest.raises(DocumentError):
        check_template(data, kinds["notice"], Family.PARTY)


def test_every_kind_of_every_procedure_renders_and_reads_back(documents, samples):
    assert len(samples) >= 50
    for procedure, step, kind, req in samples:
        ctx = documents.context(req)
        text = docx_text(documents.docx(req))
        where = f"{procedure}/{step}/{kind}"
        assert not missing(text, ctx, req), (where, missing(text, ctx, req))
        assert not wrong_family(text, req), where
        assert "{{" not in text and "{%" not in text, where


def test_a_party_decision_reads_as_a_clerk_would_sign_it(documents, samples):
    req = next(r for p, s, k, r in samples if p == "reappointment" and k == "decision-reappointment")
    text = docx_text(documents.docx(req))
    for line in ("TỈNH ỦY QUẢNG NAM", "Số 12-QĐ/TU", "Quảng Nam, ngày 16 tháng 3 năm 2026", "QUYẾT ĐỊNH",
                 "- Căn cứ Điều lệ Đảng Cộng sản Việt Nam;", "Bổ nhiệm lại đồng chí Đinh Văn Thu, sinh năm 1972",
                 "Thời hạn bổ nhiệm lại là 05 năm, kể từ ngày 01/4/2026.", "Nơi nhận:", "- Lưu Văn phòng.",
                 "T/M BAN THƯỜNG VỤ PHÓ BÍ THƯ Nguyễn Đức Dũng"):
        assert line in text, line
    assert "Số:" not in text and "TM. " not in text


def test_a_peoples_committee_decision_takes_the_state_header_number_and_signature(documents, samples):
    req = next(r for p, s, k, r in samples if p == "appointment-internal" and k == "decision-appointment")
    text = docx_text(documents.docx(req))
    for line in ("ỦY BAN NHÂN DÂN TỈNH QUẢNG NAM", "Số: 12/QĐ-UBND", "Độc lập - Tự do - Hạnh phúc",
                 "QUYẾT ĐỊNH:", "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH Lê Văn Dũng", "căn cứ Quyết định thi hành./."):
        assert line in text, line
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" not in text and "T/M" not in text


def test_the_notice_has_its_own_number_its_issuer_and_a_t_m_signature(documents, samples):
    req = next(r for p, s, k, r in samples if p == "committee-personnel" and k == "notice")
    text = docx_text(documents.docx(req))
    assert "HUYỆN ỦY DUY XUYÊN" in text and "Số 07-TB/HU" in text
    assert "T/M BAN THƯỜNG VỤ BÍ THƯ Trần Văn Mẫn" in text
    assert "NGƯỜI KÝ" not in text.upper().replace("NGƯỜI KÝ THAY", "")


def test_vote_minutes_not_announced_say_so_and_have_the_place_in_the_date_line(documents, samples):
    req = next(r for p, s, k, r in samples if s == "expanded-meeting" and k == "vote-minutes")
    text = docx_text(documents.docx(req))
    assert "Quảng Nam, ngày 05 tháng 02 năm 2026" in text
    assert "không công bố tại hội nghị" in text and "niêm phong" in text
    assert "công bố tại hội nghị." not in text.replace("không công bố tại hội nghị.", "")
    assert "đọc lại" not in text
    assert "Nguyễn Thị Ánh Tuyết 14 66,67% Được giới thiệu" in text  # 14 of the 21 summoned

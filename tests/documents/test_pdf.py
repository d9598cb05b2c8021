"""PDF through LibreOffice: every kind of every procedure's typical case, read back as text, fonts
embedded, pages saved as PNG under artifacts/documents/ to be looked at; ballots; the dossier.
Skipped, saying why, where LibreOffice is not installed; the converter's failures are tested with
stand-in programs and always run."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import shutil
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from workflow.adapters.documents import Documents, DossierPart, LibreOffice, build_dossier
from workflow.domain.documents import DocumentError, DocumentRequest

from .checks import missing, wrong_family
from .conftest import ARTIFACTS, flat
from .samples import SYT, appointment_internal, request_for


def pdf_text(data: bytes) -> list[str]:
    return [flat(p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages]


def save_pngs(name: str, pdf: bytes) -> None:
    """Page images to look at (pdftoppm, from poppler-utils)."""
    if not shutil.which("pdftoppm"):
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)],
                   check=True, timeout=60)


@pytest.fixture(scope="module")
def batch(soffice, documents, samples):
    """All the samples, one LibreOffice process."""
    pdfs = documents.pdfs({f"{p}.{s}.{k}": r for p, s, k, r in samples})
    for name, pdf in pdfs.items():
        save_pngs(name, pdf)
    return pdfs


def test_every_kind_of_every_procedure_converts_in_one_run_and_reads_back(batch, documents, samples):
    assert len(batch) == len(samples)
    for procedure, step, kind, req in samples:
        text = " ".join(pdf_text(batch[f"{procedure}.{step}.{kind}"]))
        ctx = documents.context(req)
        assert not missing(text, ctx, req), (procedure, step, kind, missing(text, ctx, req))
        assert not wrong_family(text, req), (procedure, step, kind)


def test_the_fonts_are_embedded_times_new_roman_compatible_with_vietnamese(batch):
    for name, pdf in batch.items():
        for page in PdfReader(io.BytesIO(pdf)).pages:
            fonts = page["/Resources"]["/Font"]
            for ref in fonts.values():
                font = ref.get_object()
                descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font) \
                    .get("/FontDescriptor")
                assert descriptor is not None, (name, font["/BaseFont"])
                d = descriptor.get_object()
                assert any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")), (name, font["/BaseFont"])
                assert "LiberationSerif" in font["/BaseFont"] or "Times" in font["/BaseFont"], font["/BaseFont"]


def test_diacritics_survive_into_the_pdf_text(batch):
    text = " ".join(pdf_text(batch["party-admission.committee-decision.decision-admission"]))
    for word in ("Trần Thị Thanh Thảo", "sinh ngày 07/02/1998", "Kết nạp quần chúng", "Đảng bộ xã Duy Nghĩa",
                 "Thời gian dự bị của đảng viên là 12 tháng"):
        assert word in text, word


def test_confidence_ballots_print_one_page_per_ballot_with_the_three_levels(soffice, documents, samples):
    req = next(r for p, s, k, r in samples if k == "confidence-ballot")
    req = dataclasses.replace(req, fields={**req.fields, "copies": 5})
    pages = pdf_text(documents.pdf(req))
    assert len(pages) == 5
    for text in pages:
        assert "PHIẾU TÍN NHIỆM" in text and "Hồ Quang Bửu" in text and "Đoàn Thị Nhung" in text
        assert "Tín nhiệm cao" in text and "Tín nhiệm thấp" in text
        assert "Mã xác thực" not in text  # a secret ballot carries no code


def _dossier_parts(documents: Documents, attached_pdf: bytes) -> tuple[DocumentRequest, list[DossierPart]]:
    case = appointment_internal()
    steps = [("collective-1", "conference-minutes"), ("expanded-meeting", "vote-minutes"),
             ("key-cadres", "vote-minutes"), ("collective-3", "vote-minutes"), ("decision", "submission"),
             ("decision", "decision-appointment"), ("announcement", "notice")]
    parts = [DossierPart(step=s, title=documents.kinds[k].title["vi"], request=request_for(case, s, k))
             for s, k in steps]
    parts.insert(4, DossierPart(step="collective-3", title="Văn bản nhận xét của ban thường vụ",
                                name="nhan-xet.pdf", content=attached_pdf))
    parts.insert(5, DossierPart(step="collective-3", title="Ảnh chụp biên bản", name="bien-ban.jpg",
                                content=b"\xff\xd8\xff\xe0 not really a jpeg"))
    parts.insert(6, DossierPart(step="collective-3", title="Tệp PDF hỏng", name="hong.pdf", content=b"%PDF-1.4 broken"))
    cover = DocumentRequest(kind="dossier-cover", issuer=SYT, date=date(2026, 3, 20), fields={
        "case_title": "Bổ nhiệm Phó Giám đốc Sở Y tế", "procedure": "Quy trình bổ nhiệm cán bộ – nguồn nhân sự tại chỗ",
        "case_ref": "HS-2026-0042", "opened": date(2026, 2, 2), "closed": date(2026, 3, 20)})
    return cover, parts


def test_the_dossier_is_one_pdf_with_contents_pages_in_order_and_other_files_listed(soffice, documents, samples):
    attached = documents.pdf(next(r for p, s, k, r in samples if k == "notice"))
    cover, parts = _dossier_parts(documents, attached)
    pdf = build_dossier(documents, cover, parts)
    save_pngs("dossier.appointment-internal", pdf)
    reader = PdfReader(io.BytesIO(pdf))
    pages = [flat(p.extract_text()) for p in reader.pages]
    contents = pages[0]
    assert "MỤC LỤC" in contents and "HS-2026-0042" in contents
    assert hashlib.sha256(b"\xff\xd8\xff\xe0 not really a jpeg").hexdigest() in contents.replace(" ", "")
    assert "hong.pdf" in contents  # unreadable: listed, not included
    # each included document starts on the page the contents give
    decision_page = next(i for i, t in enumerate(pages, 1) if "Số: 12/QĐ-UBND" in t)
    assert f"Quyết định bổ nhiệm {decision_page}" in contents
    assert len(reader.outline) == 1 + 7 + 1  # the cover, the generated documents, the readable PDF


def test_a_dossier_part_must_be_a_document_or_a_file(documents):
    cover, _ = _dossier_parts(documents, b"")
    with pytest.raises(DocumentError) as e:
        build_dossier(documents, cover, [DossierPart(step="x", title="neither")])
    assert e.value.code == "invalid_field"


# --- the converter's failures, with stand-in programs (always run) ------------------------------

def _fake_soffice(tmp_path, body: str) -> str:
    path = tmp_path / "soffice"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def test_pdf_without_libreoffice_says_so_and_docx_still_works(tmp_path, documents, samples):
    docs = Documents(kinds=documents.kinds, converter=LibreOffice(binary=str(tmp_path / "no-soffice")))
    req = samples[0][3]
    assert docs.docx(req)[:2] == b"PK"
    with pytest.raises(DocumentError) as e:
        docs.pdf(req)
    assert e.value.code == "converter_missing" and "DOCX" in e.value.message


def test_a_converter_that_hangs_is_stopped_at_the_timeout(tmp_path):
    lo = LibreOffice(binary=_fake_soffice(tmp_path, "sleep 30"), timeout=0.5)
    with pytest.raises(DocumentError) as e:
        lo.convert({"a": b"PK"})
    assert e.value.code == "conversion_timeout"


def test_a_converter_that_fails_or_writes_nothing_is_reported(tmp_path):
    with pytest.raises(DocumentError) as e:
        LibreOffice(binary=_fake_soffice(tmp_path, "echo broken >&2; exit 3")).convert({"a": b"PK"})
    assert e.value.code == "conversion_failed" and "broken" in e.value.message
    with pytest.raises(DocumentError) as e:
        LibreOffice(binary=_fake_soffice(tmp_path, "exit 0")).convert({"a": b"PK", "b": b"PK"})
    assert e.value.code == "conversion_failed" and e.value.params["names"] == ["a", "b"]

"""Fixtures of the document tests: the shipped kinds table, the renderer, the samples."""
from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from docx import Document

from workflow.adapters.documents import Documents, LibreOffice, load_kinds

from .samples import all_requests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "documents"


@pytest.fixture(scope="session")
def kinds():
    return load_kinds()


@pytest.fixture(scope="session")
def documents(kinds):
    docs = Documents(kinds=kinds)
    yield docs
    docs.converter.close()


@pytest.fixture(scope="session")
def samples(kinds):
    return all_requests(kinds)


@pytest.fixture(scope="session")
def soffice():
    lo = LibreOffice()
    if not lo.available():
        pytest.skip("LibreOffice (soffice) is not installed: PDF is not tested here; "
                    "`apt-get install libreoffice-writer-nogui fonts-liberation2` (.ci/run does)")
    return lo


def flat(text: str) -> str:
    """Text as a reader compares it: NFC, one space for any run of white space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def docx_text(data: bytes) -> str:
    """Every paragraph of a DOCX: body, tables (nested too), headers and footers."""
    doc = Document(io.BytesIO(data))
    out: list[str] = []

    def walk(container):
        for p in container.paragraphs:
            out.append(p.text)
        for t in container.tables:
            for row in t.rows:
                for cell in row.cells:
                    walk(cell)

    walk(doc)
    for s in doc.sections:
        for part in (s.header, s.footer, s.first_page_footer):
            walk(part)
    return flat("\n".join(out))

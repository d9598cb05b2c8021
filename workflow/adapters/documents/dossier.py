"""The whole dossier (hồ sơ) of a case as one PDF: a cover with the table of contents, then each
step's generated and attached documents in order. Attached PDFs are included as pages; any other
attached file (or a PDF that cannot be read) is listed in the contents with its sha256."""
from __future__ import annotations

import dataclasses
import hashlib
import io
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from workflow.domain.documents import ContentsEntry, DocumentError, DocumentRequest

from .render import Documents

MAX_COVER_PASSES = 3


@dataclass(frozen=True)
class DossierPart:
    """One entry, in the dossier's order: a generated document (`request`), or an attached file
    (`name` + `content`; a PDF is included as pages, anything else is listed with its sha256)."""

    step: str
    title: str
    request: DocumentRequest | None = None
    name: str | None = None
    content: bytes | None = None


def _readable_pdf(part: DossierPart) -> PdfReader | None:
    if part.content is None or not (part.name or "").lower().endswith(".pdf"):
        return None
    try:
        reader = PdfReader(io.BytesIO(part.content))
        len(reader.pages)  # forces the page tree to be read
        return reader
    except (PdfReadError, ValueError, KeyError, OSError):
        return None


def build_dossier(docs: Documents, cover: DocumentRequest, parts: list[DossierPart]) -> bytes:
    """`cover` is a `dossier-cover` request without `entries` (they are made here)."""
    for i, p in enumerate(parts):
        if (p.request is None) == (p.content is None):
            raise DocumentError("invalid_field", f"dossier part {i + 1} must be a generated document or a file",
                                fields={f"parts[{i}]": "invalid"})
    generated = {f"p{i}": p.request for i, p in enumerate(parts) if p.request is not None}
    attached = {f"p{i}": _readable_pdf(p) for i, p in enumerate(parts) if p.content is not None}
    # One LibreOffice run for every generated document and a first cover; the cover is then made
    # again with the real page numbers (its own length moves every number after it).
    first = docs.pdfs({**generated, "cover": _with_entries(cover, _entries(parts, None, attached, 2))})
    counts = {k: _page_count(v) for k, v in first.items()}
    cover_pages = counts.pop("cover")
    for _ in range(MAX_COVER_PASSES):
        entries = _entries(parts, counts, attached, first_page=cover_pages + 1)
        cover_pdf = docs.pdf(_with_entries(cover, entries))
        if _page_count(cover_pdf) == cover_pages:
            return _merge(cover_pdf, parts, first, attached)
        cover_pages = _page_count(cover_pdf)
    raise DocumentError("conversion_failed", "the dossier's table of contents did not settle")


def _page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _with_entries(cover: DocumentRequest, entries: list[ContentsEntry]) -> DocumentRequest:
    return dataclasses.replace(cover, fields={**cover.fields, "entries": tuple(entries)})


def _entries(parts, generated_pages, attached, first_page: int) -> list[ContentsEntry]:
    out, page = [], first_page
    for i, p in enumerate(parts):
        key = f"p{i}"
        reader = attached.get(key)
        if p.request is not None or reader is not None:
            pages = (generated_pages or {}).get(key) if p.request is not None else len(reader.pages)
            out.append(ContentsEntry(step=p.step, title=p.title, page=page if pages else None, pages=pages))
            page += pages or 1
        else:
            out.append(ContentsEntry(step=p.step, title=p.name or p.title,
                                     sha256=hashlib.sha256(p.content).hexdigest()))
    return out


def _merge(cover_pdf: bytes, parts, pdfs, attached) -> bytes:
    writer = PdfWriter()
    writer.append(io.BytesIO(cover_pdf), outline_item="Bìa và mục lục")
    for i, p in enumerate(parts):
        key = f"p{i}"
        if p.request is not None:
            writer.append(io.BytesIO(pdfs[key]), outline_item=f"{p.step}: {p.title}")
        elif attached.get(key) is not None:
            writer.append(attached[key], outline_item=f"{p.step}: {p.title}")
    writer.add_metadata({"/Title": "Hồ sơ", "/Producer": "cadreflow"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

"""One entry point for documents: a request in, a DOCX or a PDF out; a batch of PDFs in one
LibreOffice process; a whole dossier as one PDF."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from workflow.domain.documents import DocumentKind, DocumentRequest, build_context, kind_of

from .pdf import LibreOffice
from .templates import FolderTemplates, TemplateSource, load_kinds, render_template
from .verification import ProvisionalVerification, VerificationIssuer, qr_png


class Documents:
    def __init__(self, *, kinds: Mapping[str, DocumentKind] | None = None, templates: TemplateSource | None = None,
                 converter: LibreOffice | None = None, verifier: VerificationIssuer | None = None):
        self.kinds = dict(kinds or load_kinds())
        self.templates = templates or FolderTemplates()
        self.converter = converter or LibreOffice()
        self.verifier = verifier or ProvisionalVerification()

    def context(self, request: DocumentRequest) -> dict[str, Any]:
        """The template context; every official document gets a verification code (ballots do not:
        a secret ballot carries nothing but the names and the boxes)."""
        kind = kind_of(self.kinds, request.kind)
        if request.verification is None and not kind.is_ballot:
            draft = build_context(request, kind)
            request = dataclasses.replace(request, verification=self.verifier.issue(request, draft))
        return build_context(request, kind)

    def docx(self, request: DocumentRequest) -> bytes:
        ctx = self.context(request)
        url = ctx["verification"]["url"]
        template = self.templates.template(request.kind, request.issuer.family)
        return render_template(template, ctx, qr_png(url) if url else None)

    def pdfs(self, requests: Mapping[str, DocumentRequest]) -> dict[str, bytes]:
        """Many documents, one LibreOffice process."""
        return self.converter.convert({name: self.docx(r) for name, r in requests.items()})

    def pdf(self, request: DocumentRequest) -> bytes:
        return self.pdfs({"document": request})["document"]

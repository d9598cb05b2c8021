"""The verification code and its QR image.

THE SEAM: the trust issue gives every generated document a code tied to the event that produced
it, answered at `/verify/<code>`. Until that lands, `ProvisionalVerification` derives a code from
the document's own data; it is registered nowhere, so `/verify/<code>` cannot confirm it yet.
Phase 2 passes the trust issue's issuer instead (anything with `issue(request, context)`)."""
from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any, Protocol

import segno

from workflow.domain.documents import DocumentRequest, Verification


class VerificationIssuer(Protocol):
    def issue(self, request: DocumentRequest, context: dict[str, Any]) -> Verification: ...


class ProvisionalVerification:
    """A stable short code from the document's content (same data, same code): `K7Q2-MX4P-9A`."""

    def __init__(self, base_url: str = "http://127.0.0.1:5000"):
        self.base_url = base_url.rstrip("/")

    def issue(self, request: DocumentRequest, context: dict[str, Any]) -> Verification:
        digest = hashlib.sha256(json.dumps(context, sort_keys=True, default=str, ensure_ascii=False)
                                .encode("utf-8")).digest()
        raw = base64.b32encode(digest).decode("ascii")[:10]
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        return Verification(code=code, url=f"{self.base_url}/verify/{code}")


def qr_png(url: str) -> bytes:
    """A QR code of the verification address, as PNG (segno writes PNG without Pillow)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=1)
    return out.getvalue()

"""The documents' errors: a stable `code`, an English `message` for logs, `params` from which the
web layer builds the Vietnamese sentence (the same shape as `workflow.errors.WorkflowError`; phase 2
folds this class into that one family)."""
from __future__ import annotations


class DocumentError(Exception):
    """Bad input for a document: a missing field, an unknown kind, a template that is refused..."""

    http_status = 422

    def __init__(self, code: str, message: str, *, fields: dict[str, str] | None = None, **params):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.params = params

    def to_dict(self) -> dict:
        out = {"error": self.code, "message": self.message}
        if self.fields:
            out["fields"] = self.fields
        return out
